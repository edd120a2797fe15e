"""Checkers for lesson 02 (output size): the output-size formula, "same" padding,
the output shape of a layer, the input cells no window reads, and the receptive field.

The last two need the picture behind the formula rather than the formula
itself: which padded positions the windows start at and which cells their taps
land on, and how the field of view of one output grows through a stack of layers.
"""

import math

import numpy as np

from convlab import conv2d, conv_output_size, coverage, shapes
from convlab.shapes import same_padding

from ..grading.definition import exercise
from ..grading.engine import case
from .common import FORMULA, import_torch


@exercise(vary=False, **FORMULA, reference=conv_output_size, mistakes=[
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


@exercise(vary=False, **FORMULA, reference=same_padding, output_names=("before", "after"), mistakes=[
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


@exercise(vary=False, **FORMULA, reference=_output_shape, output_names=("N", "C_out", "H_out", "W_out"), mistakes=[
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


def _unread_cells(n, k, s, p, d):
    read = coverage.covered_mask((1, n), (1, k), stride=(1, s), padding=((0, 0), (p, p)),
                                 dilation=(1, d))[0]
    return [int(c) for c in np.flatnonzero(~read)]


def _remainder_only(n, k, s, p, d):
    """Counts the trailing cells of the padded axis and calls them all input cells."""
    r = (n + 2 * p - d * (k - 1) - 1) % s
    return list(range(n - r, n))


def _remainder_minus_padding(n, k, s, p, d):
    """Subtracts the padding from the remainder but never looks for gaps."""
    r = max((n + 2 * p - d * (k - 1) - 1) % s - p, 0)
    return list(range(n - r, n))


def _padding_not_shifted(n, k, s, p, d):
    """Takes the windows' padded positions as input positions (forgets to subtract p)."""
    n_out = (n + 2 * p - d * (k - 1) - 1) // s + 1
    read = {i * s + t * d for i in range(n_out) for t in range(k)}
    return [c for c in range(n) if c not in read]


def _dilation_ignored(n, k, s, p, d):
    return _unread_cells(n, k, s, p, 1)


def _dilated_span_contiguous(n, k, s, p, d):
    """Marks every cell from a window's first tap to its last, as if the span were dense."""
    n_out = (n + 2 * p - d * (k - 1) - 1) // s + 1
    read = {i * s + t - p for i in range(n_out) for t in range(d * (k - 1) + 1)}
    return [c for c in range(n) if c not in read]


@exercise(vary=False, **FORMULA, reference=_unread_cells, mistakes=[  # most specific first: several may match one case
    ("dilation_ignored", _dilation_ignored),
    ("unread_dilated_span_contiguous", _dilated_span_contiguous),
    ("unread_gaps_missed", _remainder_minus_padding),
    ("unread_padding_not_shifted", _padding_not_shifted),
    ("unread_remainder_is_padding", _remainder_only),
])
def check_unread_cells():
    """Check ``unread_cells(n, k, s, p, d)``: the input cells no window reads, along one axis.

    The learner's function returns the indices (0-based, in the unpadded input of
    length ``n``) of the cells that no window of a ``k``-tap kernel with stride
    ``s``, padding ``p`` on each side and dilation ``d`` reads, increasing, as a
    list of ints. Reference: :func:`convlab.coverage.covered_mask`.

    Examples
    --------
    >>> def unread_cells(n, k, s, p, d):
    ...     n_out = (n + 2 * p - d * (k - 1) - 1) // s + 1
    ...     read = {i * s + t * d - p for i in range(n_out) for t in range(k)}
    ...     return [c for c in range(n) if c not in read]
    >>> r = check_unread_cells(unread_cells)
    unread_cells: passed 10 cases.
    >>> r = check_unread_cells(lambda n, k, s, p, d: list(range(n - (n + 2*p - d*(k-1) - 1) % s, n)))
    ... # doctest: +ELLIPSIS
    unread_cells: failed on case 3 of 10 (wrong shape).
    ...
        likely misconception: the remainder counts cells of the *padded* axis...
    """
    rows = [  # label, n, k, s, p, d
        ("every cell read", 7, 3, 2, 0, 1),
        ("remainder, no padding", 8, 3, 2, 0, 1),
        ("remainder lands on padding", 8, 3, 2, 1, 1),
        ("1x1 kernel at stride 2", 8, 1, 2, 0, 1),
        ("kernel shorter than the stride", 9, 2, 3, 0, 1),
        ("dilated kernel, one window", 7, 2, 4, 0, 3),
        ("dilation leaves holes", 8, 2, 2, 0, 3),
        ("gaps with padding", 10, 3, 4, 1, 1),
        ("remainder larger than the padding", 9, 3, 3, 1, 1),
        ("stride 1 reads everything", 6, 4, 1, 2, 1),
    ]
    return [case(label, n=n, k=k, s=s, p=p, d=d) for label, n, k, s, p, d in rows]


def _receptive_field(kernel_sizes, strides):
    return shapes.receptive_field(list(kernel_sizes), stride=list(strides))


def _strides_ignored(kernel_sizes, strides):
    return 1 + sum(k - 1 for k in kernel_sizes)


def _own_stride_included(kernel_sizes, strides):
    """Multiplies each layer's growth by the strides up to and including its own."""
    total, jump = 1, 1
    for k, s in zip(kernel_sizes, strides):
        jump *= s
        total += (k - 1) * jump
    return total


def _order_reversed(kernel_sizes, strides):
    """Reads the lists top layer first."""
    return _receptive_field(kernel_sizes[::-1], strides[::-1])


def _sum_of_kernels(kernel_sizes, strides):
    """Adds the kernel sizes, counting the overlapping cell of neighbouring windows twice."""
    total, jump = 0, 1
    for k, s in zip(kernel_sizes, strides):
        total += k * jump
        jump *= s
    return total


@exercise(vary=False, **FORMULA, reference=_receptive_field, mistakes=[
    ("receptive_strides_ignored", _strides_ignored),
    ("receptive_own_stride", _own_stride_included),
    ("receptive_order_reversed", _order_reversed),
    ("receptive_overlap_counted_twice", _sum_of_kernels),
])
def check_receptive_field():
    """Check ``receptive_field(kernel_sizes, strides)``: input cells one top output sees.

    ``kernel_sizes`` and ``strides`` are lists, first layer first (dense kernels);
    the answer is an int, ``1 + sum_l (k_l - 1) * prod_{j<l} s_j``.
    Reference: :func:`convlab.shapes.receptive_field`.

    Examples
    --------
    >>> def receptive_field(kernel_sizes, strides):
    ...     field, step = 1, 1
    ...     for k, s in zip(kernel_sizes, strides):
    ...         field += (k - 1) * step
    ...         step *= s
    ...     return field
    >>> r = check_receptive_field(receptive_field)
    receptive_field: passed 8 cases.
    """
    return [
        case("one layer", kernel_sizes=[3], strides=[1]),
        case("one strided layer", kernel_sizes=[5], strides=[2]),
        case("two 3x3 layers", kernel_sizes=[3, 3], strides=[1, 1]),
        case("stride in the last layer only", kernel_sizes=[3, 3, 3], strides=[1, 1, 2]),
        case("stride in the first layer", kernel_sizes=[3, 3], strides=[2, 1]),
        case("1x1 layer in the middle", kernel_sizes=[3, 1, 3], strides=[2, 2, 1]),
        case("a small VGG-like stack", kernel_sizes=[3, 3, 2, 3, 3], strides=[1, 1, 2, 1, 1]),
        case("three strided layers", kernel_sizes=[7, 3, 3], strides=[2, 2, 2]),
    ]


# ---------------------------------------------------------------- transfer task (lessons-a)
def _padding_for_size_torch(h, h_out, k, s, d):
    """The smallest padding (before, after), odd cell after, giving ``h_out`` outputs; torch counts."""
    import torch
    for total in range(0, h_out * s + d * k + 1):
        before, after = total // 2, total - total // 2
        got = torch.nn.functional.conv1d(torch.zeros(1, 1, h + total), torch.zeros(1, 1, k),
                                         stride=s, dilation=d).shape[-1] if h + total >= d * (k - 1) + 1 else 0
        if got == h_out:
            return (before, after)
        if got > h_out:
            break
    raise ValueError(f"no padding gives {h_out} outputs for h={h}, k={k}, s={s}, d={d}")


def _padding_slip(h, h_out, k, s, d, slip):
    if slip == "same_formula":
        h_out = -(-h // s)
    span = (k - 1) + 1 if slip == "dilation" else d * (k - 1) + 1
    total = (h_out - 1) * s + span - h
    if slip != "negative":
        total = max(total, 0)      # a negative total: the floor already drops the leftover cells
    if slip == "side":
        return (total - total // 2, total // 2)
    return (total // 2, total - total // 2)


@exercise(vary=False, **FORMULA, reference=_padding_for_size_torch, mistakes=[
    ("same_formula_reused", lambda *a: _padding_slip(*a, "same_formula")),
    ("padding_dilation_ignored", lambda *a: _padding_slip(*a, "dilation")),
    ("same_pad_side", lambda *a: _padding_slip(*a, "side")),
    ("negative_padding", lambda *a: _padding_slip(*a, "negative")),
])
def check_padding_for_size():
    """Check ``padding_for_size(h, h_out, k, s, d)``: the padding that gives exactly ``h_out`` outputs.

    Returns the smallest total padding as ``(before, after)``, the odd cell
    after, for an axis of ``h`` cells, a ``k``-tap kernel, stride ``s`` and
    dilation ``d``. Every case has an answer: no padding never gives more than
    ``h_out`` outputs (though it may leave cells over).
    Reference: the smallest total for which ``torch.nn.functional.conv1d``
    returns ``h_out`` outputs, found by trying totals 0, 1, 2, ...

    Examples
    --------
    >>> def padding_for_size(h, h_out, k, s, d):
    ...     total = (h_out - 1) * s + d * (k - 1) + 1 - h
    ...     total = max(total, 0)
    ...     return (total // 2, total - total // 2)
    >>> r = check_padding_for_size(padding_for_size)
    padding_for_size: passed 8 cases.
    """
    import_torch()
    return [case("dilated, stride 2", h=8, h_out=3, k=3, s=2, d=2),
            case("keep the size, odd kernel", h=6, h_out=6, k=3, s=1, d=1),
            case("halve the size, stride 2", h=7, h_out=4, k=3, s=2, d=1),
            case("grow the output", h=5, h_out=9, k=3, s=1, d=1),
            case("an even kernel", h=6, h_out=6, k=4, s=1, d=1),
            case("no padding needed", h=9, h_out=4, k=3, s=2, d=1),
            case("cells left over, no padding", h=10, h_out=4, k=3, s=2, d=1),
            case("stride 3, two cells over", h=13, h_out=4, k=2, s=3, d=1)]
