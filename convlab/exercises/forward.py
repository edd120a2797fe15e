"""Checkers for lessons 01-04: correlation, output sizes, channels, im2row.

Every checker runs the learner's function on small cases (edge cases first)
against convlab's own functions, and names a known mistake when one
reproduces the learner's answer. Inputs are integer-valued floats, so
printed arrays stay readable.
"""

import math

import numpy as np

import convlab as cl
from convlab.shapes import same_padding as _same_padding

from .engine import DEFAULT_TIME_LIMIT, case, run_check


def ints(rng, *shape):
    """Integer-valued float64 array in [-3, 3] (readable in a verdict)."""
    return rng.integers(-3, 4, size=shape).astype(np.float64)


# --------------------------------------------------------------- lesson 01
def _correlate1d(p, w):
    return cl.correlate2d(p[None], w[None])[0]


def _correlate1d_cases():
    rng = np.random.default_rng(1)
    cases = [case("kernel of length 1", p=np.array([2.0, -1.0, 3.0]), w=np.array([2.0])),
             case("kernel as long as the input", p=np.array([1.0, 2.0, 3.0]),
                  w=np.array([1.0, 0.0, -1.0])),
             case("asymmetric kernel", p=np.array([0.0, 1.0, 2.0, 3.0, 4.0]),
                  w=np.array([1.0, -1.0]))]
    for n, k in [(6, 3), (7, 2), (9, 4)]:
        cases.append(case(f"length {n}, kernel {k}", p=ints(rng, n), w=ints(rng, k)))
    return cases


def check_correlate1d(correlate1d, *, time_limit=DEFAULT_TIME_LIMIT):
    """Check ``correlate1d(p, w)``: valid 1-D cross-correlation, ``q[i] = sum_u p[i+u] w[u]``.

    Parameters
    ----------
    correlate1d : callable
        The learner's function; takes 1-D arrays ``p`` (n,) and ``w`` (k,),
        returns ``q`` of shape ``(n - k + 1,)``.
    time_limit : float
        Seconds allowed per case.

    Returns
    -------
    CheckResult
        Truthy when every case passed; the verdict is also shown.

    Examples
    --------
    >>> r = check_correlate1d(lambda p, w: np.convolve(p, w[::-1], mode="valid"))
    correlate1d: passed 6 cases.
    >>> r = check_correlate1d(lambda p, w: np.convolve(p, w, mode="valid"))  # doctest: +ELLIPSIS
    correlate1d: failed on case 2 of 6 (wrong values).
    ...
        likely misconception: your kernel is flipped: ...
    """
    return run_check(correlate1d, name="correlate1d", argument="correlate1d",
                     cases=_correlate1d_cases(), reference=_correlate1d,
                     mistakes=check_correlate1d.mistakes, time_limit=time_limit)


check_correlate1d.mistakes = [
    ("kernel_flipped", lambda p, w: _correlate1d(p, w[::-1])),
    ("last_position_missing", lambda p, w: _correlate1d(p, w)[:-1]),
]


def _image_cases(seed):
    rng = np.random.default_rng(seed)
    return [case("1x1 kernel", image=ints(rng, 2, 3), kernel=np.array([[2.0]])),
            case("kernel as large as the image", image=ints(rng, 2, 2), kernel=ints(rng, 2, 2)),
            case("non-square image and kernel", image=ints(rng, 3, 5), kernel=ints(rng, 2, 3)),
            case("single row", image=ints(rng, 1, 5), kernel=ints(rng, 1, 3)),
            case("3x3 kernel", image=ints(rng, 5, 5), kernel=ints(rng, 3, 3)),
            case("tall kernel", image=ints(rng, 5, 4), kernel=ints(rng, 3, 2))]


def check_correlate2d(correlate2d, *, time_limit=DEFAULT_TIME_LIMIT):
    """Check ``correlate2d(image, kernel)``: valid 2-D cross-correlation.

    The learner's function takes ``image`` (H, W) and ``kernel`` (kH, kW)
    and returns ``out`` of shape ``(H - kH + 1, W - kW + 1)`` with
    ``out[i, j] = sum_{m, n} image[i + m, j + n] kernel[m, n]``.
    Reference: :func:`convlab.correlate2d`.

    Examples
    --------
    >>> import convlab as cl
    >>> bool(check_correlate2d(cl.correlate2d))
    correlate2d: passed 6 cases.
    True
    """
    return run_check(correlate2d, name="correlate2d", argument="correlate2d",
                     cases=_image_cases(2), reference=cl.correlate2d,
                     mistakes=check_correlate2d.mistakes, time_limit=time_limit)


check_correlate2d.mistakes = [
    ("kernel_flipped", lambda image, kernel: cl.correlate2d(image, cl.flip_kernel(kernel))),
    ("hw_swapped", lambda image, kernel: cl.correlate2d(image, kernel.T)),
    ("last_position_missing", lambda image, kernel: cl.correlate2d(image, kernel)[:-1, :-1]),
]


def _convolve2d(image, kernel):
    return cl.correlate2d(image, cl.flip_kernel(kernel))


def check_convolve2d(convolve2d, *, time_limit=DEFAULT_TIME_LIMIT):
    """Check ``convolve2d(image, kernel)``: valid 2-D *true* convolution (kernel rotated 180°).

    Reference: ``convlab.correlate2d(image, convlab.flip_kernel(kernel))``.

    Examples
    --------
    >>> r = check_convolve2d(lambda image, kernel: _convolve2d(image, kernel))
    convolve2d: passed 6 cases.
    """
    return run_check(convolve2d, name="convolve2d", argument="convolve2d",
                     cases=_image_cases(3), reference=_convolve2d,
                     mistakes=check_convolve2d.mistakes, time_limit=time_limit)


check_convolve2d.mistakes = [
    ("kernel_not_flipped", cl.correlate2d),
    ("flipped_one_axis", lambda image, kernel: cl.correlate2d(image, kernel[::-1])),
    ("flipped_one_axis", lambda image, kernel: cl.correlate2d(image, kernel[:, ::-1])),
]


# --------------------------------------------------------------- lesson 02
def _size_cases():
    return [case("1x1 kernel", n=5, k=1, s=1, p=0, d=1),
            case("dilation 2", n=9, k=3, s=1, p=0, d=2),
            case("stride does not divide", n=8, k=3, s=2, p=0, d=1),
            case("padding larger than k-1", n=3, k=2, s=1, p=3, d=1),
            case("padding equal to k-1", n=4, k=3, s=1, p=2, d=1),
            case("stride 2 and padding 1", n=7, k=3, s=2, p=1, d=1),
            case("all together", n=10, k=3, s=3, p=1, d=2),
            case("kernel as large as the input", n=4, k=4, s=1, p=0, d=1)]


def check_output_size(output_size, *, time_limit=DEFAULT_TIME_LIMIT):
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
    return run_check(output_size, name="output_size", argument="output_size",
                     cases=_size_cases(), reference=cl.conv_output_size,
                     mistakes=check_output_size.mistakes, time_limit=time_limit)


check_output_size.mistakes = [
    ("floor_ceil", lambda n, k, s, p, d: math.ceil((n + 2 * p - d * (k - 1) - 1) / s) + 1),
    ("dilation_from_0", lambda n, k, s, p, d: (n + 2 * p - (d + 1) * (k - 1) - 1) // s + 1),
    ("dilation_ignored", lambda n, k, s, p, d: (n + 2 * p - k) // s + 1),
    ("padding_one_side", lambda n, k, s, p, d: (n + p - d * (k - 1) - 1) // s + 1),
    ("plus_one_forgotten", lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) // s),
]


def _same_cases():
    return [case("1x1 kernel", n=5, k=1, s=1, d=1),
            case("odd kernel, stride 1", n=5, k=3, s=1, d=1),
            case("even kernel", n=4, k=2, s=1, d=1),
            case("stride 2", n=6, k=3, s=2, d=1),
            case("stride does not divide", n=5, k=4, s=2, d=1),
            case("dilation 2", n=8, k=3, s=2, d=2),
            case("stride 3", n=10, k=5, s=3, d=1),
            case("kernel larger than the input", n=3, k=5, s=1, d=1)]


def check_same_padding(same_padding, *, time_limit=DEFAULT_TIME_LIMIT):
    """Check ``same_padding(n, k, s, d)``: TensorFlow SAME padding ``(before, after)``.

    ``n_out = ceil(n / s)``, total ``max((n_out - 1) s + d(k-1) + 1 - n, 0)``,
    the odd cell after. Reference: :func:`convlab.shapes.same_padding`.

    Examples
    --------
    >>> r = check_same_padding(lambda n, k, s, d: ((k - 1) // 2, (k - 1) // 2))
    ... # doctest: +ELLIPSIS
    same_padding: failed on case 3 of 8 (wrong values).
    ...
    """
    return run_check(same_padding, name="same_padding", argument="same_padding",
                     cases=_same_cases(), reference=_same_padding,
                     mistakes=check_same_padding.mistakes, time_limit=time_limit,
                     output_names=("before", "after"))


def _same_with(n_out, span, n):
    total = max((n_out - 1) * span[1] + span[0] - n, 0)
    return (total // 2, total - total // 2)


check_same_padding.mistakes = [
    ("same_pad_side", lambda n, k, s, d: _same_padding(n, k, s, d)[::-1]),
    ("half_padding_same", lambda n, k, s, d: (d * (k - 1) // 2, d * (k - 1) // 2)),
    ("floor_ceil", lambda n, k, s, d: _same_with(n // s, (d * (k - 1) + 1, s), n)),
    ("dilation_ignored", lambda n, k, s, d: _same_padding(n, k, s, 1)),
    ("dilation_from_0", lambda n, k, s, d: _same_with(-(-n // s), ((d + 1) * (k - 1) + 1, s), n)),
]


def _shape_cases():
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


def _output_shape(x_shape, weight_shape, stride, padding):
    return cl.conv2d(np.zeros(x_shape), np.zeros(weight_shape), stride=stride,
                     padding=padding).shape


def check_output_shape(output_shape, *, time_limit=DEFAULT_TIME_LIMIT):
    """Check ``output_shape(x_shape, weight_shape, stride, padding)`` -> ``(N, C_out, H_out, W_out)``.

    ``x_shape`` is ``(N, C_in, H, W)``, ``weight_shape`` ``(C_out, C_in, kH, kW)``,
    ``stride`` and ``padding`` are pairs ``(along H, along W)``. Reference: the
    shape of :func:`convlab.conv2d`'s output.

    Examples
    --------
    >>> r = check_output_shape(_output_shape)
    output_shape: passed 5 cases.
    """
    return run_check(output_shape, name="output_shape", argument="output_shape",
                     cases=_shape_cases(), reference=_output_shape,
                     mistakes=check_output_shape.mistakes, time_limit=time_limit,
                     output_names=("N", "C_out", "H_out", "W_out"))


check_output_shape.mistakes = [
    ("hw_swapped", lambda x, w, s, p: _output_shape(x, w, s[::-1], p[::-1])),
    ("hw_swapped", lambda x, w, s, p: tuple(np.array(_output_shape(x, w, s, p))[[0, 1, 3, 2]])),
    ("wrong_channels", lambda x, w, s, p: (x[0], x[1]) + _output_shape(x, w, s, p)[2:]),
    ("floor_ceil", lambda x, w, s, p: (x[0], w[0]) + tuple(
        math.ceil((x[a] + 2 * p[a - 2] - w[a]) / s[a - 2]) + 1 for a in (2, 3))),
]
