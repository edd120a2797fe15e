"""Convolution in the frequency domain: circular padding, circulant matrices, the FFT.

Pad an image *circularly* (the left edge continues from the right edge, the
top from the bottom) instead of with zeros, and a stride-1 convolution that
keeps the image size becomes a multiplication by a *doubly circulant* matrix:
every row is the row above shifted by one place, wrapping around, block by
block. The 2-D discrete Fourier transform diagonalises every such matrix, so
the whole convolution is one elementwise product between two FFTs. This
module shows each step with plain numpy and `convlab.conv2d`:

- `circular_pad` and `circular_conv2d` — the direct computation;
- `embed_kernel` and `circulant_matrix` — the matrix view;
- `dft_matrix`, `dft2_matrix` and `circulant_eigenvalues` — its diagonalisation;
- `fft_conv2d` — the fast route (circular, or zero padding by padding first);
  `direct_cost` and `fft_cost` — when it pays.

Circular results have the input's size: output ``(i, j)`` sees the window
whose top-left tap is at ``(i - (kH - 1) // 2, j - (kW - 1) // 2)``, as
`convlab.conv2d` with ``padding="same"`` does, only with wrapped borders.
Everything is stride 1.
"""

import math

import numpy as np

from ._checks import as_array, check_bias, check_int, compute_dtype
from .blocks import pad as zero_pad
from .conv import conv2d
from .shapes import PADDING_MODES, resolve_padding

__all__ = ["circular_pad", "circular_conv2d", "embed_kernel", "circulant_matrix", "dft_matrix",
           "dft2_matrix", "circulant_eigenvalues", "fft_conv2d", "direct_cost", "fft_cost"]


# -- validation ---------------------------------------------------------------

def _image_and_kernel(x, weight, bias=None, fit=True):
    """Validate ``x`` and ``weight``; return batched 4-D copies, the bias and the caller's layout.

    Accepted pairs: ``x`` (H, W) with ``weight`` (kH, kW); ``x`` (C_in, H, W) or
    (N, C_in, H, W) with ``weight`` (C_out, C_in, kH, kW). With ``fit``, the
    kernel must also fit in the (unpadded) image.
    """
    x, weight = as_array(x, "x"), as_array(weight, "weight")
    if x.ndim not in (2, 3, 4) or 0 in x.shape:
        raise ValueError(f"x must be a 2-D (H, W), 3-D (C_in, H, W) or 4-D (N, C_in, H, W) "
                         f"array; got shape {x.shape}")
    expected = "a 2-D (kH, kW) kernel" if x.ndim == 2 else "a 4-D (C_out, C_in, kH, kW) array"
    if weight.ndim != (2 if x.ndim == 2 else 4) or 0 in weight.shape:
        raise ValueError(f"weight must be {expected} for x of shape {x.shape}; got shape {weight.shape}")
    x4 = x.reshape((1,) * (4 - x.ndim) + x.shape)
    w4 = weight.reshape((1,) * (4 - weight.ndim) + weight.shape)
    if w4.shape[1] != x4.shape[1]:
        raise ValueError(f"weight has {w4.shape[1]} input channels but x has {x4.shape[1]} "
                         f"(x.shape={x.shape}, weight.shape={weight.shape})")
    if fit:
        _check_fit(w4.shape[-2:], x4.shape[-2:], "the image", "for a circular convolution")
    bias = check_bias(bias, w4.shape[0])
    dtype = compute_dtype(x4, w4)
    return x4.astype(dtype, copy=False), w4.astype(dtype, copy=False), bias, x.ndim


def _check_fit(kernel_size, image_size, what, why=""):
    """Raise ``ValueError`` unless the kernel fits in the image along both axes."""
    (kh, kw), (height, width) = kernel_size, image_size
    if kh > height or kw > width:
        raise ValueError(f"weight's kernel ({kh}, {kw}) must fit in {what} ({height}, {width})"
                         + (f" {why}" if why else ""))


def _to_caller(y, ndim):
    """(N, C_out, H, W) back to the caller's layout (2-D, 3-D or 4-D)."""
    return y.reshape(y.shape[4 - ndim:]) if ndim < 4 else y


def _shape_2d(input_shape, name="input_shape"):
    """``(H, W)`` from an (H, W) or (C, H, W) shape, validated."""
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) not in (2, 3):
        raise ValueError(f"{name} must be (H, W) or (C_in, H, W); got {input_shape!r}")
    return tuple(check_int(n, name, 1) for n in input_shape)


def _same_offsets(kernel_size):
    """Top-left tap offset of the "same" window: ``(k - 1) // 2`` per axis."""
    return tuple((k - 1) // 2 for k in kernel_size)


# -- the direct computation ---------------------------------------------------

def circular_pad(x, padding):
    """Pad the last two axes of ``x`` by wrapping around (periodic boundary).

    Parameters
    ----------
    x : array_like, shape (..., H, W)
    padding : int, (pH, pW) or ((top, bottom), (left, right))
        Each amount at most the size of its axis.

    Returns
    -------
    ndarray, shape (..., H + top + bottom, W + left + right)
        The top padding is copied from the bottom rows, the left from the
        right columns, and so on.

    See Also
    --------
    convlab.pad : the same with zeros.

    Examples
    --------
    >>> circular_pad(np.array([[1, 2, 3], [4, 5, 6]]), ((1, 0), (1, 1)))
    array([[6, 4, 5, 6, 4],
           [3, 1, 2, 3, 1],
           [6, 4, 5, 6, 4]])
    """
    x = as_array(x, "x")
    if x.ndim < 2 or 0 in x.shape:
        raise ValueError(f"x must have at least 2 non-empty dimensions (..., H, W); got shape {x.shape}")
    if isinstance(padding, str):
        raise ValueError(f"padding must be an int or a sequence of ints for circular_pad(); "
                         f"got mode {padding!r}")
    pads = resolve_padding(padding, (1, 1), (1, 1), (1, 1), x.shape[-2:])
    for (before, after), n, axis in zip(pads, x.shape[-2:], ("H", "W")):
        if max(before, after) > n:
            raise ValueError(f"padding must be at most the axis length {n} (axis {axis}) to wrap "
                             f"around once; got {(before, after)}")
    return np.pad(x, ((0, 0),) * (x.ndim - 2) + pads, mode="wrap")


def circular_conv2d(x, weight, bias=None):
    """Stride-1 cross-correlation with circular padding: the output has the input's size.

    Parameters
    ----------
    x : array_like, shape (H, W), (C_in, H, W) or (N, C_in, H, W)
    weight : array_like, shape (kH, kW) for a 2-D ``x``, else (C_out, C_in, kH, kW)
        The kernel must fit in the image: ``kH <= H``, ``kW <= W``.
    bias : array_like, shape (C_out,), optional

    Returns
    -------
    ndarray, the shape of ``x`` with ``C_out`` channels

    See Also
    --------
    fft_conv2d : the same numbers through the FFT.
    circulant_matrix : the same map as one matrix.

    Notes
    -----
    ``y[o, i, j] = b[o] + sum_{c,m,n} x[c, (i + m - a) mod H, (j + n - b) mod W] w[o, c, m, n]``
    with ``a = (kH - 1) // 2``, ``b = (kW - 1) // 2``: `convlab.conv2d` with
    ``padding="same"``, except that the padding repeats the opposite border.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    >>> circular_conv2d(x, np.array([[0.0, 0.0, 1.0]]))  # every pixel takes its right neighbour
    array([[2., 3., 1.],
           [5., 6., 4.],
           [8., 9., 7.]])
    """
    x4, w4, bias, ndim = _image_and_kernel(x, weight, bias)
    kh, kw = w4.shape[-2:]
    (a, b) = _same_offsets((kh, kw))
    wrapped = circular_pad(x4, ((a, kh - 1 - a), (b, kw - 1 - b)))
    return _to_caller(conv2d(wrapped, w4, bias), ndim)


# -- the matrix view ----------------------------------------------------------

def embed_kernel(weight, input_shape):
    """Place a kernel in an image-sized array of zeros, its "same" anchor tap at ``(0, 0)``.

    Tap ``(m, n)`` lands at ``((m - a) mod H, (n - b) mod W)`` with
    ``a = (kH - 1) // 2``, ``b = (kW - 1) // 2``: the window of output
    ``(0, 0)`` read off the wrapped image. This array is the first row of the
    circulant matrix, reshaped to ``(H, W)``.

    Parameters
    ----------
    weight : array_like, shape (..., kH, kW)
    input_shape : (H, W) or (C_in, H, W)

    Returns
    -------
    ndarray, shape (..., H, W)

    Examples
    --------
    >>> embed_kernel(np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]), (4, 4))
    array([[5, 6, 0, 4],
           [8, 9, 0, 7],
           [0, 0, 0, 0],
           [2, 3, 0, 1]])
    """
    weight = as_array(weight, "weight")
    if weight.ndim < 2 or 0 in weight.shape:
        raise ValueError(f"weight must have at least 2 non-empty dimensions (..., kH, kW); "
                         f"got shape {weight.shape}")
    height, width = _shape_2d(input_shape)[-2:]
    kh, kw = weight.shape[-2:]
    if kh > height or kw > width:
        raise ValueError(f"weight's kernel ({kh}, {kw}) must fit in input_shape {tuple(input_shape)}")
    return _embed(weight, (height, width), _same_offsets((kh, kw)))


def _embed(weight, size, anchor):
    """Kernel taps in an image-sized array of zeros, tap ``anchor`` at ``(0, 0)`` (wrapping)."""
    kh, kw = weight.shape[-2:]
    embedded = np.zeros(weight.shape[:-2] + tuple(size), dtype=weight.dtype)
    embedded[..., :kh, :kw] = weight
    return np.roll(embedded, shift=(-anchor[0], -anchor[1]), axis=(-2, -1))


def circulant_matrix(weight, input_shape):
    """The matrix ``C`` with ``circular_conv2d(x, weight).ravel() == C @ x.ravel()``.

    Parameters
    ----------
    weight : array_like, shape (kH, kW) or (C_out, C_in, kH, kW)
    input_shape : (H, W) or (C_in, H, W)
        The shape of one input image.

    Returns
    -------
    ndarray, shape (C_out * H * W, C_in * H * W)
        For one channel: doubly block circulant. It is made of ``H x H``
        blocks, each block row the one above shifted right by one block
        (wrapping around), and every block is itself a ``W x W`` circulant.

    See Also
    --------
    convlab.conv_matrix : the zero-padded (Toeplitz) version; they differ only
        where a window wraps around the border.
    circulant_eigenvalues : its eigenvalues.

    Notes
    -----
    ``C[(o, i, j), (c, r, q)] = e[o, c, (r - i) mod H, (q - j) mod W]`` where
    ``e = embed_kernel(weight, input_shape)``: entry depends only on the
    differences ``r - i`` and ``q - j``, modulo the image size.

    Examples
    --------
    >>> circulant_matrix(np.array([[1.0, 2.0, 3.0]]), (1, 4))
    array([[2., 3., 0., 1.],
           [1., 2., 3., 0.],
           [0., 1., 2., 3.],
           [3., 0., 1., 2.]])
    """
    weight = as_array(weight, "weight")
    if weight.ndim not in (2, 4) or 0 in weight.shape:
        raise ValueError(f"weight must be a 2-D (kH, kW) or 4-D (C_out, C_in, kH, kW) array; "
                         f"got shape {weight.shape}")
    shape = _shape_2d(input_shape)
    channels = shape[0] if len(shape) == 3 else 1
    w4 = weight.reshape((1,) * (4 - weight.ndim) + weight.shape)
    if w4.shape[1] != channels:
        raise ValueError(f"weight has {w4.shape[1]} input channels but input_shape has {channels} "
                         f"(input_shape={tuple(input_shape)}, weight.shape={weight.shape})")
    dtype = weight.dtype if np.issubdtype(weight.dtype, np.floating) else np.float64
    embedded = embed_kernel(w4.astype(dtype, copy=False), shape)  # (C_out, C_in, H, W)
    height, width = shape[-2:]
    rows = (np.arange(height)[None, :] - np.arange(height)[:, None]) % height  # [i, r] = (r - i) mod H
    cols = (np.arange(width)[None, :] - np.arange(width)[:, None]) % width  # [j, q] = (q - j) mod W
    # blocks[o, c, i, j, r, q] = embedded[o, c, (r - i) mod H, (q - j) mod W]
    blocks = embedded[:, :, rows[:, None, :, None], cols[None, :, None, :]]
    c_out = w4.shape[0]
    return blocks.transpose(0, 2, 3, 1, 4, 5).reshape(c_out * height * width, channels * height * width)


# -- the Fourier view ---------------------------------------------------------

def dft_matrix(n):
    """The ``n x n`` discrete Fourier transform matrix, ``F[k, t] = exp(-2 pi i k t / n)``.

    ``F @ v == np.fft.fft(v)``; its inverse is ``F.conj().T / n``.

    Examples
    --------
    >>> dft_matrix(2).real
    array([[ 1.,  1.],
           [ 1., -1.]])
    >>> v = np.array([1.0, 2.0, 0.0, -1.0])
    >>> bool(np.allclose(dft_matrix(4) @ v, np.fft.fft(v)))
    True
    """
    n = check_int(n, "n", 1)
    k = np.arange(n)
    return np.exp(-2j * np.pi * (np.outer(k, k) % n) / n)  # % n keeps the angles small


def dft2_matrix(shape):
    """The matrix of the 2-D DFT on row-major flattened ``(H, W)`` images.

    ``dft2_matrix((H, W)) @ x.ravel() == np.fft.fft2(x).ravel()``; it is the
    Kronecker product ``F_H ⊗ F_W`` of the 1-D DFT matrices.

    Examples
    --------
    >>> x = np.arange(6.0).reshape(2, 3)
    >>> bool(np.allclose(dft2_matrix((2, 3)) @ x.ravel(), np.fft.fft2(x).ravel()))
    True
    """
    height, width = _shape_2d(shape, "shape")[-2:]
    return np.kron(dft_matrix(height), dft_matrix(width))


def circulant_eigenvalues(weight, input_shape):
    """The eigenvalues of the circulant matrix of a single-channel kernel, as an (H, W) array.

    ``F C F^{-1}`` is diagonal for ``F = dft2_matrix((H, W))`` and
    ``C = circulant_matrix(weight, (H, W))``; its diagonal, reshaped to
    ``(H, W)``, is returned here. Correlation conjugates the kernel's
    spectrum: the eigenvalues are ``conj(fft2(embed_kernel(weight)))``.

    Parameters
    ----------
    weight : array_like, shape (..., kH, kW)
    input_shape : (H, W) or (C_in, H, W)

    Returns
    -------
    complex ndarray, shape (..., H, W)

    Examples
    --------
    >>> circulant_eigenvalues(np.array([[1.0, 1.0, 1.0]]) / 3, (1, 3)).real
    array([[1., 0., 0.]])
    """
    embedded = embed_kernel(weight, input_shape)
    return np.conj(np.fft.fft2(embedded.astype(float, copy=False)))


def _spectral_correlate(x4, w4, anchor):
    """Circular correlation of (N, C_in, H, W) with (C_out, C_in, kH, kW) through the FFT."""
    size = x4.shape[-2:]
    spectrum_x = np.fft.rfft2(x4)  # (N, C_in, H, W // 2 + 1)
    spectrum_w = np.fft.rfft2(_embed(w4, size, anchor))  # (C_out, C_in, H, W // 2 + 1)
    product = np.einsum("nchw,ochw->nohw", spectrum_x, np.conj(spectrum_w))
    return np.fft.irfft2(product, s=size).astype(x4.dtype, copy=False)


def fft_conv2d(x, weight, bias=None, padding="circular"):
    """Stride-1 convolution (cross-correlation) computed through the 2-D FFT.

    Parameters
    ----------
    x, weight, bias
        As for `circular_conv2d`.
    padding : "circular" or a zero padding, default "circular"
        ``"circular"`` gives `circular_conv2d`'s result. Any padding that
        `convlab.conv2d` accepts (an int, a pair, a pair of pairs, ``"valid"``,
        ``"same"``, ``"full"``) gives ``convlab.conv2d(x, weight, bias,
        padding=padding)`` instead: the image is padded with zeros first, so
        the wrap-around only ever reads zeros, and the output is cropped.

    Returns
    -------
    ndarray
        ``circular_conv2d``'s shape for ``"circular"``, else ``convlab.conv2d``'s.

    Raises
    ------
    ValueError
        If the kernel does not fit in the (padded) image, or ``padding`` is unknown.

    Notes
    -----
    With ``X = fft2(x)`` and ``E = fft2(embed_kernel(weight))``,
    ``y[n, o] = b[o] + ifft2( sum_c X[n, c] * conj(E[o, c]) )``: one
    elementwise product per channel pair replaces the sliding window.
    Real inputs allow the half-spectrum transforms ``rfft2`` / ``irfft2``.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    >>> fft_conv2d(x, np.array([[0.0, 0.0, 1.0]])).round(12)
    array([[2., 3., 1.],
           [5., 6., 4.],
           [8., 9., 7.]])
    >>> fft_conv2d(x, np.array([[0.0, 0.0, 1.0]]), padding="same").round(12) + 0.0
    array([[2., 3., 0.],
           [5., 6., 0.],
           [8., 9., 0.]])
    """
    circular = isinstance(padding, str) and padding == "circular"
    if isinstance(padding, str) and not circular and padding not in PADDING_MODES:
        raise ValueError(f"padding must be 'circular', an int, a sequence or one of {PADDING_MODES}; "
                         f"got {padding!r}")
    x4, w4, bias, ndim = _image_and_kernel(x, weight, bias, fit=circular)
    kernel_size = w4.shape[-2:]
    if circular:
        y = _spectral_correlate(x4, w4, _same_offsets(kernel_size))
    else:
        pads = resolve_padding(padding, kernel_size, (1, 1), (1, 1), x4.shape[-2:])
        padded = zero_pad(x4, pads)
        _check_fit(kernel_size, padded.shape[-2:], "the padded image",
                   f"(x.shape={np.shape(x)}, padding={padding!r})")
        out_h, out_w = (p - k + 1 for p, k in zip(padded.shape[-2:], kernel_size))
        # anchored at the top-left tap, outputs [0, out) never wrap around
        y = _spectral_correlate(padded, w4, (0, 0))[..., :out_h, :out_w]
    if bias is not None:
        y = y + bias.astype(x4.dtype, copy=False)[:, None, None]
    return _to_caller(y, ndim)


# -- cost model -----------------------------------------------------------------

def _cost_shapes(input_shape, weight_shape):
    """Normalise to ((N, C_in, H, W), (C_out, C_in, kH, kW))."""
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) not in (2, 3, 4):
        raise ValueError(f"input_shape must be (H, W), (C_in, H, W) or (N, C_in, H, W); "
                         f"got {input_shape!r}")
    if not isinstance(weight_shape, (tuple, list)) or len(weight_shape) not in (2, 4):
        raise ValueError(f"weight_shape must be (kH, kW) or (C_out, C_in, kH, kW); got {weight_shape!r}")
    inp = tuple(check_int(n, "input_shape", 1) for n in input_shape)
    wgt = tuple(check_int(n, "weight_shape", 1) for n in weight_shape)
    inp = (1,) * (4 - len(inp)) + inp
    wgt = (1,) * (4 - len(wgt)) + wgt
    if wgt[1] != inp[1]:
        raise ValueError(f"weight_shape has {wgt[1]} input channels but input_shape has {inp[1]} "
                         f"(input_shape={tuple(input_shape)}, weight_shape={tuple(weight_shape)})")
    return inp, wgt


def direct_cost(input_shape, weight_shape):
    """Real multiplications of a direct "same"-size, stride-1 convolution.

    ``N * C_out * H * W * C_in * kH * kW``: one product per kernel tap per output.

    Examples
    --------
    >>> direct_cost((256, 256), (3, 3))
    589824
    """
    (n, c_in, height, width), (c_out, _, kh, kw) = _cost_shapes(input_shape, weight_shape)
    return n * c_out * height * width * c_in * kh * kw


def fft_cost(input_shape, weight_shape, kernel_transforms=True):
    """Real multiplications of `fft_conv2d`, under a textbook cost model.

    A complex FFT of ``P = H W`` points takes about ``(P / 2) log2 P``
    complex multiplications, i.e. ``2 P log2 P`` real ones; a complex
    product takes 4. The convolution needs ``N C_in`` forward transforms of
    the input, ``C_out C_in`` of the kernels (skip them with
    ``kernel_transforms=False`` when the kernels are fixed and transformed
    once), ``N C_out C_in P`` complex products and ``N C_out`` inverse
    transforms. The kernel size does not appear.

    Examples
    --------
    >>> fft_cost((256, 256), (3, 3)) // (256 * 256)  # per pixel: 3 transforms x 32 + 4
    100
    """
    (n, c_in, height, width), (c_out, _, _, _) = _cost_shapes(input_shape, weight_shape)
    points = height * width
    transform = 2 * points * math.log2(points) if points > 1 else 0
    transforms = n * c_in + n * c_out + (c_out * c_in if kernel_transforms else 0)
    return int(round(transforms * transform + 4 * n * c_out * c_in * points))
