"""Checkers for lesson 02's geometry exercises: unread input cells and the receptive field.

Both exercises need the picture behind the output-size formula rather than the
formula itself: which padded positions the windows start at and which cells
their taps land on, and how the field of view of one output grows through a
stack of layers.
"""

import numpy as np

from convlab import coverage, shapes

from .definition import exercise
from .engine import case
from .misconceptions import MESSAGES


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


@exercise(reference=_unread_cells, mistakes=[  # most specific first: several may match one case
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
    return [
        case("every cell read", n=7, k=3, s=2, p=0, d=1),
        case("remainder, no padding", n=8, k=3, s=2, p=0, d=1),
        case("remainder lands on padding", n=8, k=3, s=2, p=1, d=1),
        case("1x1 kernel at stride 2", n=8, k=1, s=2, p=0, d=1),
        case("kernel shorter than the stride", n=9, k=2, s=3, p=0, d=1),
        case("dilated kernel, one window", n=7, k=2, s=4, p=0, d=3),
        case("dilation leaves holes", n=8, k=2, s=2, p=0, d=3),
        case("gaps with padding", n=10, k=3, s=4, p=1, d=1),
        case("remainder larger than the padding", n=9, k=3, s=3, p=1, d=1),
        case("stride 1 reads everything", n=6, k=4, s=1, p=2, d=1),
    ]


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


@exercise(reference=_receptive_field, mistakes=[
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

MESSAGES.update({
    "unread_remainder_is_padding": (
        "the remainder counts cells of the *padded* axis: its last p cells are padding, "
        "so only max(r - p, 0) real cells are left over at the end (and look for gaps "
        "between windows too)."),
    "unread_gaps_missed": (
        "you only looked at the end of the axis: when the kernel is shorter than the stride, "
        "or a dilated kernel's taps are further apart than the stride, cells between taps "
        "are skipped too; mark the cells every tap of every window lands on."),
    "unread_dilated_span_contiguous": (
        "a dilated window reads only its taps, d cells apart, not every cell of its span: "
        "the cells between two taps are read only if another window's tap lands there."),
    "receptive_order_reversed": (
        "the lists go first layer first: the stride of a layer widens the steps of the "
        "layers *above* it, so read the layers from the input upwards."),
    "unread_padding_not_shifted": (
        "the windows' positions count from the start of the *padded* axis: subtract p to "
        "get the input cell a tap reads."),
    "receptive_strides_ignored": (
        "strides ignored: after a stride-s layer, one step in the layer above spans s cells "
        "below, so later kernels grow the field s times faster."),
    "receptive_own_stride": (
        "a layer's own stride does not widen its own window: multiply (k_l - 1) by the "
        "strides of the layers *below* it only."),
    "receptive_overlap_counted_twice": (
        "neighbouring windows overlap: a k-tap layer adds k - 1 cells to the field, not k "
        "(the field of one cell is 1, not 0)."),
})
