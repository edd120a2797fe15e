"""Checkers for lessons 11-12: filters on images, and the FFT / circulant view.

References: :mod:`convlab.filters` (Sobel, Gaussian kernel) and
:func:`convlab.correlate2d` (a separable blur is a 2-D correlation with the
outer product; a circular correlation is a valid correlation of the image
padded by wrapping around).
"""

import numpy as np

from convlab import correlate2d
from convlab.filters import SOBEL_X, SOBEL_Y, gaussian_kernel, gaussian_kernel1d, sobel

from .definition import exercise
from .engine import case
from .shared import ints


def _images(seed):
    rng = np.random.default_rng(seed)
    step = np.zeros((4, 5))
    step[:, 2:] = 1.0
    return [("a single bright pixel", np.pad(np.ones((1, 1)), 2)),
            ("a vertical step edge", step),
            ("a 1x1 image", np.array([[3.0]])),
            ("a small random image", ints(rng, 5, 6)),
            ("a non-square random image", rng.uniform(0, 1, size=(6, 4)))]


# -------------------------------------------------------------- lesson 11
def _responses(image, padding="same"):
    return (correlate2d(image, SOBEL_X, padding=padding),
            correlate2d(image, SOBEL_Y, padding=padding))


@exercise(reference=sobel, mistakes=[
    ("no_sqrt", lambda image: sum(g ** 2 for g in _responses(image))),
    ("abs_sum", lambda image: sum(np.abs(g) for g in _responses(image))),
    ("one_direction", lambda image: np.abs(_responses(image)[0])),
    ("one_direction", lambda image: np.abs(_responses(image)[1])),
    ("valid_not_same", lambda image: np.hypot(*_responses(image, "valid"))),
])
def check_sobel_magnitude():
    """Check ``sobel_magnitude(image)``: ``sqrt((I ⋆ SOBEL_X)² + (I ⋆ SOBEL_Y)²)``, same size.

    ``image`` (H, W); zero padding so the output has the image's shape.
    Reference: :func:`convlab.filters.sobel`.

    Examples
    --------
    >>> import convlab as cl
    >>> sobel_x = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
    >>> def sobel_magnitude(image):
    ...     gx = cl.correlate2d(image, sobel_x, padding="same")
    ...     gy = cl.correlate2d(image, sobel_x.T, padding="same")
    ...     return np.sqrt(gx ** 2 + gy ** 2)
    >>> r = check_sobel_magnitude(sobel_magnitude)
    sobel_magnitude: passed 5 cases.
    """
    return [case(label, image=image) for label, image in _images(101)]


def _gauss(size, sigma, centre=None, square=True, normalise=True):
    t = np.arange(size) - ((size - 1) / 2 if centre is None else centre)
    g = np.exp(-(t[:, None] ** 2 + t[None, :] ** 2) / (2 * (sigma ** 2 if square else sigma)))
    return g / g.sum() if normalise else g


@exercise(reference=gaussian_kernel, mistakes=[
    ("gaussian_not_normalised", lambda size, sigma: _gauss(size, sigma, normalise=False)),
    ("gaussian_off_centre", lambda size, sigma: _gauss(size, sigma, centre=size // 2)),
    ("gaussian_off_centre", lambda size, sigma: _gauss(size, sigma, centre=0)),
    ("gaussian_sigma_not_squared", lambda size, sigma: _gauss(size, sigma, square=False)),
])
def check_gaussian_kernel():
    """Check ``gaussian_kernel(size, sigma)``: a normalised (size, size) Gaussian, centred.

    Entries ``exp(-(u² + v²) / (2 sigma²))`` around the centre ``(size - 1) / 2``,
    divided by their sum. Reference: :func:`convlab.filters.gaussian_kernel`.

    Examples
    --------
    >>> def gaussian_kernel(size, sigma):
    ...     u = np.arange(size) - (size - 1) / 2
    ...     g = np.exp(-np.add.outer(u ** 2, u ** 2) / (2 * sigma ** 2))
    ...     return g / g.sum()
    >>> r = check_gaussian_kernel(gaussian_kernel)
    gaussian_kernel: passed 6 cases.
    """
    return [case("size 1", size=1, sigma=1.0), case("size 3, sigma 1", size=3, sigma=1.0),
            case("the classic 5x5, sigma 1", size=5, sigma=1.0),
            case("sigma 2", size=5, sigma=2.0), case("even size", size=4, sigma=1.0),
            case("narrow", size=7, sigma=0.5)]


@exercise(reference=lambda image, k: correlate2d(image, np.outer(k, k), padding="same"), mistakes=[
    ("one_pass_only", lambda image, k: correlate2d(image, k[None, :], padding="same")),
    ("one_pass_only", lambda image, k: correlate2d(image, k[:, None], padding="same")),
    ("valid_not_same", lambda image, k: correlate2d(image, np.outer(k, k))),
])
def check_separable_blur():
    """Check ``separable_blur(image, kernel1d)``: a 1-D pass down the columns, then along the rows.

    Equals the 2-D correlation with ``np.outer(kernel1d, kernel1d)``, zero
    padding, same size (``image`` (H, W), ``kernel1d`` (k,), k odd).
    Reference: ``convlab.correlate2d(image, np.outer(k, k), padding="same")``.

    Examples
    --------
    >>> import convlab as cl
    >>> def separable_blur(image, kernel1d):
    ...     columns = cl.correlate2d(image, kernel1d[:, None], padding="same")
    ...     return cl.correlate2d(columns, kernel1d[None, :], padding="same")
    >>> r = check_separable_blur(separable_blur)
    separable_blur: passed 5 cases.
    """
    kernels = [np.array([1.0]), np.array([1.0, 2.0, 1.0]) / 4, gaussian_kernel1d(5, 1.0),
               np.array([1.0, 0.0, -1.0]), gaussian_kernel1d(3, 0.8)]
    return [case(label, image=image, kernel1d=k) for (label, image), k in zip(_images(102), kernels)]


# -------------------------------------------------------------- lesson 12
def _circular(image, kernel):
    wrapped = np.pad(image, ((0, kernel.shape[0] - 1), (0, kernel.shape[1] - 1)), mode="wrap")
    return correlate2d(wrapped, kernel)


def _circular_convolution(image, kernel):
    f = np.fft
    return f.ifft2(f.fft2(image) * f.fft2(kernel, s=image.shape)).real


@exercise(reference=_circular, mistakes=[
    ("kernel_flipped", _circular_convolution),
    ("linear_not_circular", lambda image, kernel: correlate2d(
        image, kernel, padding=((0, kernel.shape[0] - 1), (0, kernel.shape[1] - 1)))),
])
def check_circular_correlate_fft():
    """Check ``circular_correlate_fft(image, kernel)``: circular cross-correlation via the 2-D FFT.

    ``out[i, j] = sum_{m, n} image[(i + m) % H, (j + n) % W] kernel[m, n]``,
    shape (H, W), real (``kernel`` no larger than ``image``).
    Reference: :func:`convlab.correlate2d` on the image padded by wrapping.

    Examples
    --------
    >>> fft = np.fft
    >>> r = check_circular_correlate_fft(lambda image, kernel: fft.ifft2(
    ...     fft.fft2(image) * np.conj(fft.fft2(kernel, s=image.shape))).real)
    circular_correlate_fft: passed 5 cases.
    """
    rng = np.random.default_rng(111)
    return [case("1x1 kernel", image=ints(rng, 2, 3), kernel=np.array([[2.0]])),
            case("kernel as large as the image", image=ints(rng, 2, 2), kernel=ints(rng, 2, 2)),
            case("wrap-around at the border", image=ints(rng, 3, 3), kernel=ints(rng, 2, 2)),
            case("non-square", image=ints(rng, 4, 6), kernel=ints(rng, 3, 2)),
            case("larger image", image=ints(rng, 8, 8), kernel=ints(rng, 3, 3))]


def _circulant(w, n):
    return np.stack([_circular(np.eye(n)[j][None], w[None])[0] for j in range(n)], axis=1)


@exercise(reference=_circulant, mistakes=[
    ("matrix_transposed", lambda w, n: _circulant(w, n).T),
    ("kernel_flipped", lambda w, n: _circulant(w[::-1], n)),
])
def check_circulant_matrix():
    """Check ``circulant_matrix(w, n)``: the (n, n) matrix of 1-D circular correlation with ``w``.

    ``(C @ p)[i] = sum_u p[(i + u) % n] w[u]``; every row is the previous one
    shifted right by one (wrapping). Reference: columns from
    :func:`convlab.correlate2d` on wrapped unit vectors.

    Examples
    --------
    >>> def circulant_matrix(w, n):
    ...     first_row = np.zeros(n)
    ...     first_row[:len(w)] = w
    ...     return np.array([np.roll(first_row, i) for i in range(n)])
    >>> r = check_circulant_matrix(circulant_matrix)
    circulant_matrix: passed 5 cases.
    """
    return [case("kernel of length 1", w=np.array([2.0]), n=3),
            case("n equal to the kernel length", w=np.array([1.0, 2.0]), n=2),
            case("short kernel", w=np.array([1.0, 2.0, 3.0]), n=4),
            case("kernel [1, -1]", w=np.array([1.0, -1.0]), n=5),
            case("longer", w=np.array([3.0, 0.0, -1.0, 2.0]), n=6)]
