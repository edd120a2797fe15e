"""Checkers for lesson 01 (cross-correlation): 1-D and 2-D correlation loops and the
flipped-kernel convolution.

Every checker runs the learner's function on small cases (edge cases first)
against convlab's own functions, and names a known mistake when one
reproduces the learner's answer. Inputs are integer-valued floats, so
printed arrays stay readable.
"""

import numpy as np

from ...blocks import flip_kernel
from ...conv import correlate2d
from ..grading.definition import exercise
from ..grading.engine import case
from .common import CORRELATE1D_SPACE, IMAGE_SPACE, LOOPS, ints


def _correlate1d(p, w):
    return correlate2d(p[None], w[None])[0]


@exercise(space=CORRELATE1D_SPACE, **LOOPS, reference=_correlate1d, mistakes=[
    ("kernel_flipped", lambda p, w: _correlate1d(p, w[::-1])),
    ("last_position_missing", lambda p, w: _correlate1d(p, w)[:-1]),
])
def check_correlate1d():
    """Check ``correlate1d(p, w)``: valid 1-D cross-correlation, ``q[i] = sum_u p[i+u] w[u]``.

    The learner's function takes 1-D arrays ``p`` (n,) and ``w`` (k,) and
    returns ``q`` of shape ``(n - k + 1,)``.

    Examples
    --------
    >>> def correlate1d(p, w):
    ...     k = len(w)
    ...     return np.array([p[i:i + k] @ w for i in range(len(p) - k + 1)])
    >>> r = check_correlate1d(correlate1d)
    correlate1d: passed 6 cases.
    >>> r = check_correlate1d(lambda p, w: correlate1d(p, w[::-1]))  # doctest: +ELLIPSIS
    correlate1d: failed on case 2 of 6 (wrong values).
    ...
        likely misconception: your kernel is flipped: ...
    """
    rng = np.random.default_rng(1)
    cases = [case("kernel of length 1", p=np.array([2.0, -1.0, 3.0]), w=np.array([2.0])),
             case("kernel as long as the input", p=np.array([1.0, 2.0, 3.0]),
                  w=np.array([1.0, 0.0, -1.0])),
             case("asymmetric kernel", p=np.array([0.0, 1.0, 2.0, 3.0, 4.0]),
                  w=np.array([1.0, -1.0]))]
    for n, k in [(6, 3), (7, 2), (9, 4)]:
        cases.append(case(f"length {n}, kernel {k}", p=ints(rng, n), w=ints(rng, k)))
    return cases


def _image_cases(seed):
    rng = np.random.default_rng(seed)
    return [case("1x1 kernel", image=ints(rng, 2, 3), kernel=np.array([[2.0]])),
            case("kernel as large as the image", image=ints(rng, 2, 2), kernel=ints(rng, 2, 2)),
            case("non-square image and kernel", image=ints(rng, 3, 5), kernel=ints(rng, 2, 3)),
            case("single row", image=ints(rng, 1, 5), kernel=ints(rng, 1, 3)),
            case("3x3 kernel", image=ints(rng, 5, 5), kernel=ints(rng, 3, 3)),
            case("tall kernel", image=ints(rng, 5, 4), kernel=ints(rng, 3, 2))]


@exercise(weight=2, space=IMAGE_SPACE, **LOOPS, reference=correlate2d, mistakes=[
    ("kernel_flipped", lambda image, kernel: correlate2d(image, flip_kernel(kernel))),
    ("hw_swapped", lambda image, kernel: correlate2d(image, kernel.T)),
    ("last_position_missing", lambda image, kernel: correlate2d(image, kernel)[:-1, :-1]),
])
def check_correlate2d():
    """Check ``correlate2d(image, kernel)``: valid 2-D cross-correlation.

    The learner's function takes ``image`` (H, W) and ``kernel`` (kH, kW)
    and returns ``out`` of shape ``(H - kH + 1, W - kW + 1)`` with
    ``out[i, j] = sum_{m, n} image[i + m, j + n] kernel[m, n]``.
    Reference: :func:`convlab.correlate2d`.

    Examples
    --------
    >>> def correlate2d(image, kernel):
    ...     (kh, kw), (h, w) = kernel.shape, image.shape
    ...     return np.array([[np.sum(image[i:i + kh, j:j + kw] * kernel)
    ...                       for j in range(w - kw + 1)] for i in range(h - kh + 1)])
    >>> bool(check_correlate2d(correlate2d))
    correlate2d: passed 6 cases.
    True
    """
    return _image_cases(2)


@exercise(weight=2, space=IMAGE_SPACE, **LOOPS,
          reference=lambda image, kernel: correlate2d(image, flip_kernel(kernel)), mistakes=[
    ("kernel_not_flipped", correlate2d),
    ("flipped_one_axis", lambda image, kernel: correlate2d(image, kernel[::-1])),
    ("flipped_one_axis", lambda image, kernel: correlate2d(image, kernel[:, ::-1])),
])
def check_convolve2d():
    """Check ``convolve2d(image, kernel)``: valid 2-D *true* convolution (kernel rotated 180°).

    Reference: ``convlab.correlate2d(image, convlab.flip_kernel(kernel))``.

    Examples
    --------
    >>> def convolve2d(image, kernel):
    ...     (kh, kw), (h, w) = kernel.shape, image.shape
    ...     rotated = kernel[::-1, ::-1]
    ...     return np.array([[np.sum(image[i:i + kh, j:j + kw] * rotated)
    ...                       for j in range(w - kw + 1)] for i in range(h - kh + 1)])
    >>> r = check_convolve2d(convolve2d)
    convolve2d: passed 6 cases.
    >>> r = check_convolve2d(lambda image, kernel: convolve2d(image, kernel[::-1]))
    ... # doctest: +ELLIPSIS
    convolve2d: failed on case 2 of 6 (wrong values).
    ...
        likely misconception: you flipped the kernel along one axis only: ...
    """
    return _image_cases(3)


# ---------------------------------------------------------------- transfer task (lessons-a)
def _full_slip(x, w, slip):
    k = len(w)
    if slip == "not_flipped":
        padded = np.concatenate([np.zeros(k - 1), x, np.zeros(k - 1)])
        return np.array([padded[i:i + k] @ w for i in range(len(x) + k - 1)])
    if slip == "valid_only":
        return np.convolve(x, w, mode="valid")
    if slip == "one_side":
        return np.convolve(x, w, mode="full")[:len(x)]
    return np.convolve(x, w, mode="full")[::-1]          # output reversed instead of the kernel


@exercise(**LOOPS, reference=lambda x, w: np.convolve(x, w, mode="full"), mistakes=[
    ("kernel_not_flipped", lambda x, w: _full_slip(x, w, "not_flipped")),
    ("full_convolution_valid_only", lambda x, w: _full_slip(x, w, "valid_only")),
    ("full_convolution_one_side", lambda x, w: _full_slip(x, w, "one_side")),
    ("full_convolution_output_reversed", lambda x, w: _full_slip(x, w, "reversed")),
])
def check_convolve_full1d():
    """Check ``convolve_full1d(x, w)``: the *full* true convolution, ``(x * w)_i = sum_u x[i - u] w[u]``.

    ``x`` (H,), ``w`` (k,); returns the ``H + k - 1`` outputs ``i = 0, ...,
    H + k - 2``, with ``x`` taken as 0 outside ``0 .. H - 1`` (the
    coefficients of the product of the polynomials with coefficients ``x``
    and ``w``). Reference: ``numpy.convolve(x, w, mode="full")``.

    Examples
    --------
    >>> def convolve_full1d(x, w):
    ...     y = np.zeros(len(x) + len(w) - 1)
    ...     for i in range(len(y)):
    ...         for u in range(len(w)):
    ...             if 0 <= i - u < len(x):
    ...                 y[i] += x[i - u] * w[u]
    ...     return y
    >>> r = check_convolve_full1d(convolve_full1d)
    convolve_full1d: passed 5 cases.
    """
    rng = np.random.default_rng(13)
    return [case("asymmetric kernel of 3", x=np.array([1.0, 2.0, 0.0, -1.0, 3.0]), w=np.array([1.0, 0.0, -2.0])),
            case("kernel of length 1", x=np.array([2.0, -1.0, 3.0]), w=np.array([3.0])),
            case("kernel of length 2", x=ints(rng, 4), w=np.array([1.0, -1.0])),
            case("kernel longer than the input", x=np.array([1.0, 2.0]), w=ints(rng, 4)),
            case("longer input", x=ints(rng, 9), w=ints(rng, 3))]
