"""Single-channel 2-D cross-correlation, for the first lessons and for filtering."""

from .._checks import as_array, check_ndim
from .api import conv2d


def correlate2d(image, kernel, padding="valid", stride=1, dilation=1, method="shift"):
    """Slide ``kernel`` over ``image`` and take a dot product at every position.

    Parameters
    ----------
    image : array_like, shape (H, W)
    kernel : array_like, shape (kH, kW)
    padding : int, (pH, pW), ((top, bottom), (left, right)) or {"valid", "same", "full"}
    stride, dilation : int or (int, int)
    method : str, default "shift"
        Any of ``convlab.FORWARD_METHODS``.

    Returns
    -------
    ndarray, shape (H_out, W_out)

    Notes
    -----
    ``out[i, j] = sum_{m, n} padded[i*s + m*d, j*s + n*d] kernel[m, n]``. This is
    what deep learning calls convolution; mathematical convolution is
    ``correlate2d(image, flip_kernel(kernel))``.

    Examples
    --------
    >>> correlate2d(np.array([[1, 2, 3], [4, 5, 6]]), np.array([[1, 0], [0, -1]]))
    array([[-4., -4.]])
    """
    image, kernel = as_array(image, "image"), as_array(kernel, "kernel")
    check_ndim(image, "image", (2,), "a 2-D (H, W) array")
    check_ndim(kernel, "kernel", (2,), "a 2-D (kH, kW) array")
    return conv2d(image[None], kernel[None, None], None, stride, padding, dilation, 1, method)[0]
