"""Checkers for lessons 01-02: correlation and output sizes.

Every checker runs the learner's function on small cases (edge cases first)
against convlab's own functions, and names a known mistake when one
reproduces the learner's answer. Inputs are integer-valued floats, so
printed arrays stay readable.
"""

import math

import numpy as np

from convlab import conv2d, conv_output_size, correlate2d, flip_kernel
from convlab.shapes import same_padding

from .definition import exercise
from .engine import case
from .shared import ints


# --------------------------------------------------------------- lesson 01
def _correlate1d(p, w):
    return correlate2d(p[None], w[None])[0]


@exercise(reference=_correlate1d, mistakes=[
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


@exercise(reference=correlate2d, mistakes=[
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


@exercise(reference=lambda image, kernel: correlate2d(image, flip_kernel(kernel)), mistakes=[
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


# --------------------------------------------------------------- lesson 02
@exercise(reference=conv_output_size, mistakes=[
    ("floor_ceil", lambda n, k, s, p, d: math.ceil((n + 2 * p - d * (k - 1) - 1) / s) + 1),
    ("dilation_from_0", lambda n, k, s, p, d: (n + 2 * p - (d + 1) * (k - 1) - 1) // s + 1),
    ("dilation_ignored", lambda n, k, s, p, d: (n + 2 * p - k) // s + 1),
    ("padding_one_side", lambda n, k, s, p, d: (n + p - d * (k - 1) - 1) // s + 1),
    ("plus_one_forgotten", lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) // s),
])
def check_output_size():
    """Check ``output_size(n, k, s, p, d)``: the number of outputs along one axis.

    ``floor((n + 2p - d(k-1) - 1) / s) + 1``, an ``int``.
    Reference: :func:`convlab.conv_output_size`.

    Examples
    --------
    >>> import math
    >>> r = check_output_size(lambda n, k, s, p, d: math.ceil((n + 2*p - d*(k-1) - 1) / s) + 1)
    ... # doctest: +ELLIPSIS
    output_size: failed on case 3 of 8 (wrong values).
    ...
        likely misconception: floor/ceil mix-up in the output size: ...
    """
    return [case("1x1 kernel", n=5, k=1, s=1, p=0, d=1),
            case("dilation 2", n=9, k=3, s=1, p=0, d=2),
            case("stride does not divide", n=8, k=3, s=2, p=0, d=1),
            case("padding larger than k-1", n=3, k=2, s=1, p=3, d=1),
            case("padding equal to k-1", n=4, k=3, s=1, p=2, d=1),
            case("stride 2 and padding 1", n=7, k=3, s=2, p=1, d=1),
            case("all together", n=10, k=3, s=3, p=1, d=2),
            case("kernel as large as the input", n=4, k=4, s=1, p=0, d=1)]


def _same_with(n_out, span, n):
    total = max((n_out - 1) * span[1] + span[0] - n, 0)
    return (total // 2, total - total // 2)


@exercise(reference=same_padding, output_names=("before", "after"), mistakes=[
    ("same_pad_side", lambda n, k, s, d: same_padding(n, k, s, d)[::-1]),
    ("half_padding_same", lambda n, k, s, d: (d * (k - 1) // 2, d * (k - 1) // 2)),
    ("floor_ceil", lambda n, k, s, d: _same_with(n // s, (d * (k - 1) + 1, s), n)),
    ("dilation_ignored", lambda n, k, s, d: same_padding(n, k, s, 1)),
    ("dilation_from_0", lambda n, k, s, d: _same_with(-(-n // s), ((d + 1) * (k - 1) + 1, s), n)),
])
def check_same_padding():
    """Check ``same_padding(n, k, s, d)``: TensorFlow SAME padding ``(before, after)``.

    ``n_out = ceil(n / s)``, total ``max((n_out - 1) s + d(k-1) + 1 - n, 0)``,
    the odd cell after. Reference: :func:`convlab.shapes.same_padding`.

    Examples
    --------
    >>> def same_padding(n, k, s, d):
    ...     total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
    ...     return total // 2, total - total // 2
    >>> r = check_same_padding(same_padding)
    same_padding: passed 8 cases.
    >>> r = check_same_padding(lambda n, k, s, d: ((k - 1) // 2, (k - 1) // 2))
    ... # doctest: +ELLIPSIS
    same_padding: failed on case 3 of 8 (wrong values).
    ...
    """
    return [case("1x1 kernel", n=5, k=1, s=1, d=1),
            case("odd kernel, stride 1", n=5, k=3, s=1, d=1),
            case("even kernel", n=4, k=2, s=1, d=1),
            case("stride 2", n=6, k=3, s=2, d=1),
            case("stride does not divide", n=5, k=4, s=2, d=1),
            case("dilation 2", n=8, k=3, s=2, d=2),
            case("stride 3", n=10, k=5, s=3, d=1),
            case("kernel larger than the input", n=3, k=5, s=1, d=1)]


def _output_shape(x_shape, weight_shape, stride, padding):
    return conv2d(np.zeros(x_shape), np.zeros(weight_shape), stride=stride,
                  padding=padding).shape


@exercise(reference=_output_shape, output_names=("N", "C_out", "H_out", "W_out"), mistakes=[
    ("hw_swapped", lambda x, w, s, p: _output_shape(x, w, s[::-1], p[::-1])),
    ("hw_swapped", lambda x, w, s, p: tuple(np.array(_output_shape(x, w, s, p))[[0, 1, 3, 2]])),
    ("wrong_channels", lambda x, w, s, p: (x[0], x[1]) + _output_shape(x, w, s, p)[2:]),
    ("floor_ceil", lambda x, w, s, p: (x[0], w[0]) + tuple(
        math.ceil((x[a] + 2 * p[a - 2] - w[a]) / s[a - 2]) + 1 for a in (2, 3))),
])
def check_output_shape():
    """Check ``output_shape(x_shape, weight_shape, stride, padding)`` -> ``(N, C_out, H_out, W_out)``.

    ``x_shape`` is ``(N, C_in, H, W)``, ``weight_shape`` ``(C_out, C_in, kH, kW)``,
    ``stride`` and ``padding`` are pairs ``(along H, along W)``. Reference: the
    shape of :func:`convlab.conv2d`'s output.

    Examples
    --------
    >>> def output_shape(x_shape, weight_shape, stride, padding):
    ...     (n, _, h, w), (c_out, _, kh, kw) = x_shape, weight_shape
    ...     return (n, c_out, (h + 2 * padding[0] - kh) // stride[0] + 1,
    ...             (w + 2 * padding[1] - kw) // stride[1] + 1)
    >>> r = check_output_shape(output_shape)
    output_shape: passed 5 cases.
    """
    return [case("batch of one, single channel", x_shape=(1, 1, 5, 5), weight_shape=(1, 1, 3, 3),
                 stride=(1, 1), padding=(0, 0)),
            case("more output than input channels", x_shape=(2, 3, 6, 6),
                 weight_shape=(4, 3, 3, 3), stride=(1, 1), padding=(1, 1)),
            case("non-square input", x_shape=(1, 2, 5, 9), weight_shape=(3, 2, 3, 3),
                 stride=(1, 1), padding=(0, 0)),
            case("different strides", x_shape=(2, 1, 8, 8), weight_shape=(2, 1, 3, 3),
                 stride=(1, 2), padding=(0, 0)),
            case("stride does not divide", x_shape=(1, 2, 8, 7), weight_shape=(2, 2, 2, 3),
                 stride=(3, 2), padding=(1, 0))]
