"""Classic image filters as cross-correlations: Sobel edges and Gaussian blur.

Both kernels are *separable* (rank 1): the 3×3 Sobel kernel is the outer
product of a smoothing ``[1, 2, 1]`` and a difference ``[1, 0, -1]``, and a
Gaussian kernel is the outer product of a 1-D Gaussian with itself.  A 2-D
correlation with such a kernel equals a 1-D correlation down the columns
followed by one along the rows: ``2k`` instead of ``k²`` multiplications per
pixel.  The functions here do exactly that with array slicing, and the tests
check them against the 2-D kernels applied by ``convlab.correlate2d`` and
against ``scipy.ndimage``.

All filters act on the last two axes (so ``(H, W)`` and ``(C, H, W)`` both
work), return an array of the image's shape ("same" output, the odd padding
cell of an even kernel at the bottom/right) and pad with zeros unless
``mode`` says otherwise.  float32 stays float32; integers compute in float64.
"""

import numpy as np

from ._checks import check_array, check_choice, check_int, check_memory, positive_float

__all__ = [
    "SOBEL_X",
    "SOBEL_Y",
    "BORDER_MODES",
    "gaussian_kernel",
    "gaussian_kernel1d",
    "sobel_gradients",
    "sobel",
    "gaussian_blur",
]

#: Sobel kernel for horizontal change (responds to vertical edges).
#: Cross-correlating with it gives left-minus-right intensity.
SOBEL_X = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
SOBEL_X.setflags(write=False)
#: Sobel kernel for vertical change, ``SOBEL_X.T`` (top minus bottom).
SOBEL_Y = SOBEL_X.T

# Border modes, named as in scipy.ndimage, and the np.pad mode doing the same.
_NP_PAD_MODE = {
    "constant": "constant",  # zeros:            0 0 | a b c d | 0 0
    "nearest": "edge",  # repeat edge:           a a | a b c d | d d
    "reflect": "symmetric",  # mirror incl. edge: b a | a b c d | d c
    "mirror": "reflect",  # mirror about edge:   c b | a b c d | c b
    "wrap": "wrap",  # periodic:                 c d | a b c d | a b
}
#: Accepted values of ``mode`` (scipy.ndimage's names).
BORDER_MODES = tuple(_NP_PAD_MODE)


def _image(image):
    return check_array(image, "image", min_ndim=2, layout="(..., H, W)", floating=True)


def _pad2(image, rows, cols, mode):
    """Pad the last two axes by ``rows=(top, bottom)``, ``cols=(left, right)``."""
    widths = [(0, 0)] * (image.ndim - 2) + [rows, cols]
    return np.pad(image, widths, mode=_NP_PAD_MODE[mode])


# ------------------------------------------------------------------ kernels
def gaussian_kernel1d(size, sigma):
    """Normalised 1-D Gaussian of ``size`` taps centred at ``(size - 1) / 2``.

    Examples
    --------
    >>> gaussian_kernel1d(3, 1.0).round(4)
    array([0.2741, 0.4519, 0.2741])
    """
    size, sigma = check_int(size, "size", 1), positive_float(sigma, "sigma")
    check_memory("gaussian_kernel1d's taps", (size,))
    t = np.arange(size) - (size - 1) / 2
    g = np.exp(-0.5 * (t / sigma) ** 2)
    return g / g.sum()


def gaussian_kernel(size, sigma):
    """Normalised 2-D Gaussian kernel of shape ``(size, size)``.

    Parameters
    ----------
    size : int
        Side length (odd sizes have a centre tap; 5 with ``sigma=1`` is the classic).
    sigma : float
        Standard deviation in pixels.

    Returns
    -------
    ndarray, shape (size, size)
        Entries sum to 1. It is the outer product of :func:`gaussian_kernel1d`
        with itself (rank 1, hence separable).

    Examples
    --------
    >>> k = gaussian_kernel(5, 1.0)
    >>> k.shape, round(float(k.sum()), 12), int(np.linalg.matrix_rank(k))
    ((5, 5), 1.0, 1)
    """
    check_memory("gaussian_kernel's kernel", (check_int(size, "size", 1),) * 2)
    g = gaussian_kernel1d(size, sigma)
    return np.outer(g, g)


# ------------------------------------------------------------- 1-D passes
def _correlate_last(p, taps, n_out):
    """Correlate along the last axis: ``out[..., j] = sum_u taps[u] p[..., j + u]``."""
    out = taps[0] * p[..., 0:n_out]
    for u in range(1, len(taps)):
        out += taps[u] * p[..., u : u + n_out]
    return out


def _correlate_rows_axis(p, taps, n_out):
    """Correlate along axis -2: ``out[..., i, :] = sum_u taps[u] p[..., i + u, :]``."""
    out = taps[0] * p[..., 0:n_out, :]
    for u in range(1, len(taps)):
        out += taps[u] * p[..., u : u + n_out, :]
    return out


# ------------------------------------------------------------------- Sobel
def _sobel_padded(image, mode):
    img = _image(image)
    mode = check_choice(mode, "mode", BORDER_MODES)
    h, w = img.shape[-2:]
    if mode == "constant":
        p = np.zeros(img.shape[:-2] + (h + 2, w + 2), dtype=img.dtype)
        p[..., 1:-1, 1:-1] = img
    else:
        p = _pad2(img, (1, 1), (1, 1), mode)
    return img, p


def _sobel_strips(p, h):
    """Yield ``(r0, r1, gx, gy)`` for horizontal strips of output rows.

    Working on strips of ~128 kB keeps the temporaries in cache (and out of
    the allocator's slow path), which makes this about 5× faster than whole-
    image temporaries; the arithmetic is the same.
    """
    per_row = p.itemsize * (p.shape[-1]) * int(np.prod(p.shape[:-2], dtype=np.int64))
    strip = max(4, (1 << 17) // max(per_row, 1))
    for r0 in range(0, h, strip):
        r1 = min(r0 + strip, h)
        q = p[..., r0 : r1 + 2, :]  # padded rows r0 .. r1 + 1
        # x: difference [1, 0, -1] along the row, then [1, 2, 1] = [1, 1] * [1, 1]
        # down the columns.
        d = q[..., :, :-2] - q[..., :, 2:]
        e = d[..., :-1, :] + d[..., 1:, :]
        gx = e[..., :-1, :] + e[..., 1:, :]
        # y: [1, 2, 1] along the row, then difference [1, 0, -1] down the columns.
        a = q[..., :, :-1] + q[..., :, 1:]
        s = a[..., :, :-1] + a[..., :, 1:]
        gy = s[..., :-2, :] - s[..., 2:, :]
        yield r0, r1, gx, gy


def sobel_gradients(image, mode="constant"):
    """The two Sobel responses ``(image ⋆ SOBEL_X, image ⋆ SOBEL_Y)``.

    Parameters
    ----------
    image : array_like, shape (..., H, W)
    mode : {"constant", "nearest", "reflect", "mirror", "wrap"}, default "constant"
        Border handling, as in ``scipy.ndimage`` ("constant" = zero padding).

    Returns
    -------
    gx, gy : ndarray, each of the image's shape
        ``⋆`` is cross-correlation (no kernel flip), so ``gx`` is positive
        where the image gets darker from left to right.

    Notes
    -----
    ``SOBEL_X = [1, 2, 1]ᵀ [1, 0, -1]``: smooth down the columns, difference
    along the rows; ``SOBEL_Y`` the other way round.

    Examples
    --------
    >>> step = np.array([[1.0, 1.0, 0.0, 0.0]] * 3)
    >>> gx, gy = sobel_gradients(step, mode="nearest")
    >>> gx
    array([[0., 4., 4., 0.],
           [0., 4., 4., 0.],
           [0., 4., 4., 0.]])
    """
    img, p = _sobel_padded(image, mode)
    gx_all = np.empty(img.shape, dtype=img.dtype)
    gy_all = np.empty(img.shape, dtype=img.dtype)
    for r0, r1, gx, gy in _sobel_strips(p, img.shape[-2]):
        gx_all[..., r0:r1, :] = gx
        gy_all[..., r0:r1, :] = gy
    return gx_all, gy_all


def sobel(image, mode="constant"):
    """Sobel edge magnitude ``sqrt((I ⋆ SOBEL_X)² + (I ⋆ SOBEL_Y)²)``.

    Parameters
    ----------
    image : array_like, shape (..., H, W)
        Filtered over its last two axes; float32 stays float32.
    mode : {"constant", "nearest", "reflect", "mirror", "wrap"}, default "constant"
        Border handling (``scipy.ndimage`` names); "constant" pads with zeros.

    Returns
    -------
    ndarray
        The image's shape and (floating) dtype.

    Raises
    ------
    ValueError
        If ``image`` has fewer than 2 dimensions or ``mode`` is unknown.

    See Also
    --------
    sobel_gradients : the two signed responses.

    Examples
    --------
    >>> img = np.zeros((5, 5)); img[:, 3:] = 1.0
    >>> sobel(img, mode="nearest")[2]
    array([0., 0., 4., 4., 0.])
    """
    img, p = _sobel_padded(image, mode)
    out = np.empty(img.shape, dtype=img.dtype)
    for r0, r1, gx, gy in _sobel_strips(p, img.shape[-2]):
        np.multiply(gx, gx, out=gx)
        np.multiply(gy, gy, out=gy)
        gx += gy
        np.sqrt(gx, out=out[..., r0:r1, :])
    return out


# ---------------------------------------------------------------- Gaussian
def gaussian_blur(image, sigma, size=None, mode="constant"):
    """Blur with a normalised Gaussian, as two 1-D passes.

    Parameters
    ----------
    image : array_like, shape (..., H, W)
    sigma : float
        Standard deviation in pixels.
    size : int, optional
        Kernel side; default ``2 * ceil(3 * sigma) + 1`` (covers ±3σ).
    mode : {"constant", "nearest", "reflect", "mirror", "wrap"}, default "constant"
        Border handling; "constant" pads with zeros, so the borders darken.

    Returns
    -------
    ndarray
        The image's shape; equal (to rounding) to correlating with
        ``gaussian_kernel(size, sigma)`` using "same" padding.

    Notes
    -----
    ``K = g gᵀ``, so ``I ⋆ K = (I ⋆ g_column) ⋆ g_row``: ``2k`` multiplications
    per pixel instead of ``k²``.

    Examples
    --------
    >>> img = np.zeros((5, 5)); img[2, 2] = 1.0
    >>> out = gaussian_blur(img, sigma=1.0, size=5)
    >>> np.allclose(out, gaussian_kernel(5, 1.0)), out.shape
    (True, (5, 5))
    """
    img = _image(image)
    sigma = positive_float(sigma, "sigma")
    size = 2 * int(np.ceil(3 * sigma)) + 1 if size is None else check_int(size, "size", 1)
    mode = check_choice(mode, "mode", BORDER_MODES)
    check_memory("gaussian_blur's padded image", img.shape[:-2] + tuple(n + size - 1 for n in img.shape[-2:]),
                 img.dtype)
    taps = gaussian_kernel1d(size, sigma).astype(img.dtype)
    before = (size - 1) // 2
    after = size - 1 - before
    h, w = img.shape[-2:]
    p = _pad2(img, (before, after), (before, after), mode)
    cols = _correlate_rows_axis(p, taps, h)  # down the columns: (..., H, W + size - 1)
    return _correlate_last(cols, taps, w)  # along the rows: (..., H, W)
