"""The two moves of the backward pass, drawn: rotate the kernel, insert zeros -- and both at once.

:func:`show_transposed_conv` is the transposed convolution written as a plain one:
zero-insert, pad, correlate with the flipped kernel.
"""
import numpy as np

from .. import _checks, coverage
from ..blocks import flip_kernel, zero_insert
from ..conv import conv_transpose2d
from .grid import plot_row
from .style import MAX_ANNOTATED, cell_text

__all__ = ["show_kernel_flip", "show_zero_insertion", "show_transposed_conv", "as_2d",
           "spread_title", "MAX_SPREAD_CELLS"]

#: Largest zero-inserted grid drawn.
MAX_SPREAD_CELLS = 250_000


def as_2d(a, name):
    """``a`` as a 2-D float array, refused by name otherwise."""
    a = _checks.as_array(a, name)
    _checks.check_ndim(a, name, (2,), "a 2-D array")
    return a.astype(float)


def spread_title(name, stride, *steps):
    """Title of a zero-inserted grid; zero insertion is only named when the stride inserts zeros."""
    if max(np.broadcast_to(stride, 2)) > 1:
        steps = ("zeros inserted",) + steps
    return ", ".join((name,) + steps)


def _index_labels(values, order):
    """Strings "value\\nm,n": each cell's value above the index it had in the original kernel."""
    kw = values.shape[1]
    return np.array([f"{cell_text(v)}\n{k // kw},{k % kw}" for v, k in zip(values.ravel(), order.ravel())],
                    dtype=object).reshape(values.shape)


def show_kernel_flip(weight, ax=None, annotate=None):
    """A kernel and the same kernel rotated by 180 degrees (:func:`convlab.flip_kernel`).

    Each cell shows its value and, below it, the index ``m,n`` it had in the
    original kernel, so the rotation can be followed cell by cell; a kernel
    larger than 16 a side (or whose labels do not fit) is two heatmaps.

    Examples
    --------
    >>> ax = show_kernel_flip([[1, 2], [3, 4]])
    >>> [t.get_text() for t in ax.texts if t.get_gid() == "celltext"][4:]
    ['4\\n1,1', '3\\n1,0', '2\\n0,1', '1\\n0,0']
    """
    _checks.check_plot_args(ax=ax, annotate=annotate)
    weight = as_2d(weight, "weight")
    flipped = flip_kernel(weight)
    kernel = dict(values=weight, name="kernel", title="kernel w")
    rotated = dict(values=flipped, name="flipped", title="flip_kernel(w)")
    if max(weight.shape) <= MAX_ANNOTATED and annotate is not False:
        index = np.arange(weight.size).reshape(weight.shape)
        kernel["texts"] = _index_labels(weight, index)
        rotated["texts"] = _index_labels(flipped, flip_kernel(index))
    return plot_row(ax, [kernel, rotated], ["\u21bb 180\u00b0"], annotate=annotate, legend=False)


def show_zero_insertion(grad, stride=2, ax=None, annotate=None):
    """A gradient and :func:`convlab.zero_insert` of it: ``stride - 1`` zeros between entries.

    Examples
    --------
    >>> from convlab.viz import drawn_cells
    >>> drawn_cells(show_zero_insertion(np.ones((2, 2)), stride=3))["inserted:inserted"]
    12
    """
    _checks.check_plot_args(ax=ax, annotate=annotate)
    grad = as_2d(grad, "grad")
    pair = _checks.int_tuple(stride, "stride", 2)
    _checks.check_zero_inserted(grad.shape, pair, "grad", MAX_SPREAD_CELLS)
    spread = zero_insert(grad, pair)
    inserted = zero_insert(np.ones_like(grad), pair) == 0
    grids = [dict(values=grad, name="grad", title="G"),
             dict(values=spread, name="inserted", kinds={"inserted": inserted},
                  title=f"zero_insert(G, stride={stride})")]
    return plot_row(ax, grids, ["\u2192"], annotate=annotate)


def show_transposed_conv(x, weight, stride=1, padding=0, output_padding=0, dilation=1,
                         ax=None, annotate=None):
    """A transposed convolution as a plain one: zero-insert, pad, correlate with the flipped kernel.

    The output comes from :func:`convlab.conv_transpose2d`; the middle grid
    is the input laid out by :func:`convlab.coverage.gather_gradient` (the
    transposed convolution is the input gradient of a convolution).

    Examples
    --------
    >>> from convlab.viz import drawn_cells
    >>> ax = show_transposed_conv(np.ones((2, 2)), np.ones((3, 3)), stride=2)
    >>> drawn_cells(ax)["spread:inserted"], len(ax.get_legend().get_texts())
    (5, 2)
    """
    _checks.check_plot_args(ax=ax, annotate=annotate)
    x, weight = as_2d(x, "x"), as_2d(weight, "weight")
    _checks.check_zero_inserted(x.shape, _checks.int_tuple(stride, "stride", 2), "x", MAX_SPREAD_CELLS)
    y = conv_transpose2d(x[None, None], weight[None, None], stride=stride, padding=padding,
                            output_padding=output_padding, dilation=dilation)[0, 0]
    spread = coverage.gather_gradient(x, y.shape, weight.shape, stride, padding, dilation)
    labels = coverage.gather_cells(y.shape, weight.shape, stride, padding, dilation)
    steps = ("padded",) if (labels == 0).any() else ()
    grids = [dict(values=x, name="x", title="x"),
             dict(values=spread, name="spread", title=spread_title("x", stride, *steps),
                  kinds={"padding": labels == 0, "inserted": labels == 1}),
             dict(values=flip_kernel(weight), name="weight", title="flipped w"),
             dict(values=y, name="y", title=f"conv_transpose2d {y.shape[0]}\u00d7{y.shape[1]}")]
    return plot_row(ax, grids, ["\u2192", "\u22c6", "="], annotate=annotate)
