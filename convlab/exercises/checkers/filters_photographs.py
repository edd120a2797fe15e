"""Checkers for lesson 12 (filters on photographs): Sobel magnitude, the Gaussian
kernel, a separable blur, the gradient that fits a kernel, and a kernel's 1-D factors.

References: :mod:`convlab.filters`, :func:`convlab.correlate2d` (a separable
blur is a 2-D correlation with the outer product) and ``F.conv2d`` under torch
autograd for the fitting gradient. ``rank_one_factors(kernel)`` returns
``(column, row)`` with ``np.outer(column, row) == kernel``; the factors are
unique only up to a scale, so the checker compares their outer product.
"""

import numpy as np

from ...blocks import pad
from ...conv import correlate2d
from ...filters import SOBEL_X, SOBEL_Y, gaussian_kernel, gaussian_kernel1d, sobel
from ..grading.definition import exercise
from ..grading.engine import case
from .common import NO_BACKWARD, NO_FILTER_LIBRARY, import_torch, ints


def _images(seed):
    rng = np.random.default_rng(seed)
    step = np.zeros((4, 5))
    step[:, 2:] = 1.0
    return [("a single bright pixel", np.pad(np.ones((1, 1)), 2)),
            ("a vertical step edge", step),
            ("a 1x1 image", np.array([[3.0]])),
            ("a small random image", ints(rng, 5, 6)),
            ("a non-square random image", rng.uniform(0, 1, size=(6, 4)))]


def _responses(image, padding="same"):
    return (correlate2d(image, SOBEL_X, padding=padding),
            correlate2d(image, SOBEL_Y, padding=padding))


@exercise(**NO_FILTER_LIBRARY, reference=sobel, mistakes=[
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
    ...     gx = correlate2d(image, sobel_x, padding="same")
    ...     gy = correlate2d(image, sobel_x.T, padding="same")
    ...     return np.sqrt(gx ** 2 + gy ** 2)
    >>> r = check_sobel_magnitude(sobel_magnitude)
    sobel_magnitude: passed 5 cases.
    """
    return [case(label, image=image) for label, image in _images(101)]


def _gauss(size, sigma, centre=None, square=True, normalise=True):
    t = np.arange(size) - ((size - 1) / 2 if centre is None else centre)
    g = np.exp(-(t[:, None] ** 2 + t[None, :] ** 2) / (2 * (sigma ** 2 if square else sigma)))
    return g / g.sum() if normalise else g


@exercise(vary=False, **NO_FILTER_LIBRARY, reference=gaussian_kernel, mistakes=[
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


@exercise(**NO_FILTER_LIBRARY, reference=lambda image, k: correlate2d(image, np.outer(k, k), padding="same"), mistakes=[
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
    ...     columns = correlate2d(image, kernel1d[:, None], padding="same")
    ...     return correlate2d(columns, kernel1d[None, :], padding="same")
    >>> r = check_separable_blur(separable_blur)
    separable_blur: passed 5 cases.
    """
    kernels = [np.array([1.0]), np.array([1.0, 2.0, 1.0]) / 4, gaussian_kernel1d(5, 1.0),
               np.array([1.0, 0.0, -1.0]), gaussian_kernel1d(3, 0.8)]
    return [case(label, image=image, kernel1d=k) for (label, image), k in zip(_images(102), kernels)]


def _loss_grad(image, kernel, target):
    import torch
    k = torch.tensor(kernel, requires_grad=True)
    out = torch.nn.functional.conv2d(torch.tensor(image)[None, None], k[None, None],
                                     padding=kernel.shape[0] // 2)[0, 0]
    ((out - torch.tensor(target)) ** 2).mean().backward()
    return k.grad.numpy()


def _residual_correlation(image, kernel, target):
    """``correlate(pad(I), R)`` without the mean's factor 2 / (H W)."""
    p = kernel.shape[0] // 2
    residual = correlate2d(image, kernel, padding=p) - target
    return correlate2d(pad(image, p), residual)


@exercise(weight=2, **NO_BACKWARD, reference=_loss_grad, mistakes=[
    ("mean_factor_missing", lambda i, k, t: 2 * _residual_correlation(i, k, t)),
    ("square_factor_missing", lambda i, k, t: _residual_correlation(i, k, t) / i.size),
    ("grad_flipped", lambda i, k, t: _loss_grad(i, k, t)[::-1, ::-1]),
])
def check_kernel_loss_grad():
    """Check ``kernel_loss_grad(image, kernel, target)``: dL/dK of a mean squared error.

    ``image`` and ``target`` (H, W), ``kernel`` (k, k) with k odd; returns (k, k).

    Examples
    --------
    >>> def correlate(a, b):  # valid cross-correlation
    ...     (h, w), (kh, kw) = a.shape, b.shape
    ...     return np.array([[np.sum(a[i:i + kh, j:j + kw] * b) for j in range(w - kw + 1)]
    ...                      for i in range(h - kh + 1)])
    >>> def kernel_loss_grad(image, kernel, target):
    ...     padded = np.pad(image, kernel.shape[0] // 2)
    ...     residual = correlate(padded, kernel) - target
    ...     return 2 / image.size * correlate(padded, residual)
    >>> r = check_kernel_loss_grad(kernel_loss_grad)
    kernel_loss_grad: passed 4 cases.
    """
    import_torch()
    rng = np.random.default_rng(161)
    return [case("1x1 kernel", image=ints(rng, 3, 3), kernel=np.array([[2.0]]),
                 target=ints(rng, 3, 3)),
            case("3x3, exact target", image=ints(rng, 4, 4), kernel=ints(rng, 3, 3),
                 target=np.zeros((4, 4))),
            case("non-square image", image=ints(rng, 4, 6), kernel=ints(rng, 3, 3),
                 target=ints(rng, 4, 6)),
            case("5x5 kernel", image=rng.normal(size=(6, 5)), kernel=rng.normal(size=(5, 5)),
                 target=rng.normal(size=(6, 5)))]


# ---------------------------------------------------------------- rank one
def _outer_of_factors(rank_one_factors, kernel):
    factors = rank_one_factors(kernel)
    if not isinstance(factors, (tuple, list)) or len(factors) != 2:
        return factors  # the comparison reports the wrong type
    column, row = (np.asarray(f, dtype=float).ravel() for f in factors)
    return np.outer(column, row)


def _naive_factors(kernel):
    column = kernel[:, 0]
    row = kernel[0] / kernel[0, 0]
    return column, row


@exercise(vary=False, **NO_FILTER_LIBRARY, reference=lambda kernel: kernel, call=_outer_of_factors, mistakes=[
    ("zero_pivot", lambda kernel: np.outer(*_naive_factors(kernel))),
])
def check_rank_one_factors():
    """Check ``rank_one_factors(kernel)``: 1-D ``(column, row)`` whose outer product is ``kernel``.

    Every case is a rank-1 kernel; the checker compares ``np.outer(column, row)``
    with the kernel.

    Examples
    --------
    >>> def rank_one_factors(kernel):
    ...     u, s, vt = np.linalg.svd(kernel)
    ...     return u[:, 0] * s[0], vt[0]
    >>> r = check_rank_one_factors(rank_one_factors)
    rank_one_factors: passed 5 cases.
    """
    import_torch()
    return [case("Sobel x", kernel=np.outer([1.0, 2.0, 1.0], [1.0, 0.0, -1.0])),
            case("a zero corner", kernel=np.outer([0.0, 1.0, 2.0], [1.0, 0.0, -1.0])),
            case("a Gaussian", kernel=np.outer(*[np.exp(-np.arange(-2, 3) ** 2 / 2)] * 2)),
            case("negative entries", kernel=np.outer([-1.0, 3.0], [2.0, -0.5, 1.0])),
            case("1x1", kernel=np.array([[-4.0]]))]


# ------------------------------------------------------------------ questions (lesson 12)
from ..grading.questions import multiple_choice  # noqa: E402  (appended declaration)

multiple_choice(
    "emboss_flip", lesson="12",
    prompt="The emboss kernel E = [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]] is neither symmetric nor "
           "antisymmetric. You convolve a photograph with E (flip the kernel, as in mathematics) "
           "instead of correlating. What do you get?",
    choices={"a": "The same image: E is symmetric.",
             "b": "The negative of the correlation, as with Sobel.",
             "c": "A different filter: the rotated kernel is neither E nor -E.",
             "d": "The correlation of the transposed image."},
    correct="c",
    explain={"a": "rotate E by 180 degrees: the -2 corner moves to the +2 corner, so E is not "
                  "symmetric.",
             "b": "-E has centre -1, but the rotated E keeps its centre +1: it is not -E either.",
             "d": "a 180-degree rotation of the kernel is not a transpose of the image."},
    why_right="the corners swap (the light comes from the opposite corner) while the centre "
              "weight keeps its sign: only (anti)symmetric kernels give the same or the negated "
              "response.")


# ------------------------------------------- an elliptical Gaussian (transfer of exercise 2)
def _elliptical(shape, sigmas):
    """The normalised (kH, kW) Gaussian with one sigma per axis: an outer product of 1-D ones."""
    return np.outer(gaussian_kernel1d(shape[0], sigmas[0]), gaussian_kernel1d(shape[1], sigmas[1]))


def _elliptical_slip(shape, sigmas, centre=None, square=True, normalise=True):
    (kh, kw), (s_row, s_col) = shape, sigmas
    u = np.arange(kh) - ((kh - 1) / 2 if centre is None else kh // 2)
    v = np.arange(kw) - ((kw - 1) / 2 if centre is None else kw // 2)
    power = 2 if square else 1
    g = np.exp(-u[:, None] ** 2 / (2 * s_row ** power) - v[None, :] ** 2 / (2 * s_col ** power))
    return g / g.sum() if normalise else g


@exercise(vary=False, **NO_FILTER_LIBRARY, reference=_elliptical, mistakes=[
    ("gaussian_sigmas_swapped", lambda shape, sigmas: _elliptical(shape, sigmas[::-1])),
    ("gaussian_not_normalised", lambda shape, sigmas: _elliptical_slip(shape, sigmas, normalise=False)),
    ("gaussian_off_centre", lambda shape, sigmas: _elliptical_slip(shape, sigmas, centre="floor")),
    ("gaussian_sigma_not_squared", lambda shape, sigmas: _elliptical_slip(shape, sigmas, square=False)),
])
def check_elliptical_gaussian():
    """Check ``elliptical_gaussian(shape, sigmas)``: a normalised Gaussian with one sigma per axis.

    ``shape = (kH, kW)``, ``sigmas = (sigma_row, sigma_col)``; entries proportional to
    ``exp(-u**2 / (2 sigma_row**2) - v**2 / (2 sigma_col**2))`` with ``u`` the row offset
    from ``(kH - 1) / 2`` and ``v`` the column offset from ``(kW - 1) / 2``, divided by
    their sum. Reference: the outer product of two :func:`convlab.filters.gaussian_kernel1d`.

    Examples
    --------
    >>> def elliptical_gaussian(shape, sigmas):
    ...     u = np.arange(shape[0]) - (shape[0] - 1) / 2
    ...     v = np.arange(shape[1]) - (shape[1] - 1) / 2
    ...     k = np.exp(-u[:, None] ** 2 / (2 * sigmas[0] ** 2) - v[None, :] ** 2 / (2 * sigmas[1] ** 2))
    ...     return k / k.sum()
    >>> r = check_elliptical_gaussian(elliptical_gaussian)
    elliptical_gaussian: passed 6 cases.
    """
    return [case("round: both sigmas 1", shape=(5, 5), sigmas=(1.0, 1.0)),
            case("wider than tall", shape=(3, 7), sigmas=(0.5, 2.0)),
            case("taller than wide", shape=(7, 3), sigmas=(2.0, 0.7)),
            case("even sizes: a half-integer centre", shape=(4, 6), sigmas=(1.0, 1.5)),
            case("one row: a 1-D blur", shape=(1, 5), sigmas=(1.0, 1.2)),
            case("sigma 3 across, 1 down", shape=(5, 9), sigmas=(1.0, 3.0))]
