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
  `direct_cost` and `fft_cost` (defined in `convlab.spectral_cost`) — when it pays.

Circular results have the input's size: output ``(i, j)`` sees the window
whose top-left tap is at ``(i - (kH - 1) // 2, j - (kW - 1) // 2)``, as
`convlab.conv2d` with ``padding="same"`` does, only with wrapped borders.
Everything is stride 1.
"""

import numpy as np

from ._checks import (
    PADDING_MODES,
    as_array,
    check_channels,
    check_image_and_kernel,
    check_int,
    check_kernel_fits,
    check_memory,
    check_padding,
    check_shape,
    compute_dtype,
)
from .blocks import pad as zero_pad
from .conv import conv2d
from .shapes import resolve_padding
from .spectral_cost import direct_cost, fft_cost

__all__ = ["circular_pad", "circular_conv2d", "embed_kernel", "circulant_matrix", "dft_matrix",
           "dft2_matrix", "circulant_eigenvalues", "fft_conv2d", "direct_cost", "fft_cost"]


# -- validation ---------------------------------------------------------------

def _to_caller(y, ndim):
    """(N, C_out, H, W) back to the caller's layout (2-D, 3-D or 4-D)."""
    return y.reshape(y.shape[4 - ndim:]) if ndim < 4 else y


def _shape_2d(input_shape, name="input_shape"):
    """``(H, W)`` from an (H, W) or (C, H, W) shape, validated."""
    return check_shape(input_shape, name, (2, 3), "(H, W) or (C_in, H, W)")


def _same_pads(kernel_size, input_size):
    """ "same" padding at stride 1 as ``(before, after)`` per axis; ``before`` is the window's
    top-left tap offset (the rule lives in :func:`convlab.shapes.same_padding`)."""
    return resolve_padding("same", tuple(kernel_size), (1, 1), (1, 1), tuple(input_size))


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
    pads = check_padding(padding, modes=(), where="circular_pad()")
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
    x4, w4, bias, ndim = check_image_and_kernel(x, weight, bias)
    kh, kw = w4.shape[-2:]
    wrapped = circular_pad(x4, _same_pads((kh, kw), x4.shape[-2:]))
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
    anchor = tuple(before for before, _ in _same_pads((kh, kw), (height, width)))
    return _embed(weight, (height, width), anchor)


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
    check_channels(w4.shape[1], channels, shape, weight.shape, x_name="input_shape")
    dtype = compute_dtype(weight)
    height, width = shape[-2:]
    check_memory("circulant_matrix's matrix", (w4.shape[0] * height * width, channels * height * width),
                 dtype)
    embedded = embed_kernel(w4.astype(dtype, copy=False), shape)  # (C_out, C_in, H, W)
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
    check_memory("dft_matrix's matrix", (n, n), np.complex128)
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
    check_memory("dft2_matrix's matrix", (height * width, height * width), np.complex128)
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
        One kernel, or a stack of kernels along leading axes.
    input_shape : (H, W) or (C_in, H, W)
        The size of the (wrapped) image the circulant matrix acts on.

    Returns
    -------
    complex ndarray, shape (..., H, W)
        Entry ``(u, v)`` is the eigenvalue for the 2-D frequency ``(u, v)``.

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
    if not circular:
        padding = check_padding(padding, modes=("circular",) + PADDING_MODES)
    x4, w4, bias, ndim = check_image_and_kernel(x, weight, bias, fit=circular)
    kernel_size = w4.shape[-2:]
    if circular:
        anchor = tuple(before for before, _ in _same_pads(kernel_size, x4.shape[-2:]))
        y = _spectral_correlate(x4, w4, anchor)
    else:
        pads = resolve_padding(padding, kernel_size, (1, 1), (1, 1), x4.shape[-2:])
        check_memory("fft_conv2d's padded input", x4.shape[:2] + tuple(
            n + sum(p) for n, p in zip(x4.shape[-2:], pads)), x4.dtype)
        padded = zero_pad(x4, pads)
        check_kernel_fits(kernel_size, padded.shape[-2:], "the padded image",
                   f"(x.shape={np.shape(x)}, padding={padding!r})")
        out_h, out_w = (p - k + 1 for p, k in zip(padded.shape[-2:], kernel_size))
        # anchored at the top-left tap, outputs [0, out) never wrap around
        y = _spectral_correlate(padded, w4, (0, 0))[..., :out_h, :out_w]
    if bias is not None:
        y = y + bias.astype(x4.dtype, copy=False)[:, None, None]
    return _to_caller(y, ndim)
