"""Which input cells one output of a stack of 1-D convolutions sees, one row per layer.

Small stacks are drawn cell by cell (from :func:`convlab.coverage.receptive_field_cells`);
when the input is longer than :data:`MAX_CELLS_PER_ROW` each layer is a bar
with the span of its field marked, so the drawing grows linearly in layers
however fast the field grows.
"""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch, Rectangle

from .. import _checks, coverage
from ..shapes import conv_output_size
from .cells import draw_cells
from .describe import describe
from .legend import add_legend
from .style import FIGTITLE_PT, FONT_PT, KINDS

__all__ = ["show_receptive_field", "MAX_CELLS_PER_ROW", "MAX_LAYERS"]

#: Longest input drawn cell by cell.
MAX_CELLS_PER_ROW = 64
#: Most layers drawn.
MAX_LAYERS = 64
_ROW_IN = 0.42


def _per_layer(value, name, n_layers):
    values = [value] * n_layers if not isinstance(value, (list, tuple, np.ndarray)) else list(value)
    if len(values) != n_layers:
        raise ValueError(f"{name} must be an int or one int per layer ({n_layers}); got {value!r}")
    return [_checks.check_int(v, name, 1) for v in values]


def _sizes(ks, ss, ds, input_size):
    if input_size is None:
        size = 3
        for k, s, d in reversed(list(zip(ks, ss, ds))):
            size = (size - 1) * s + d * (k - 1) + 1
        input_size = size
    sizes = [_checks.check_int(input_size, "input_size", 1)]
    for k, s, d in zip(ks, ss, ds):
        n = conv_output_size(sizes[-1], k, s, 0, d)
        if n < 1:
            raise ValueError(f"input_size {sizes[0]} is too short for this stack: layer "
                             f"{len(sizes)} would have {n} outputs")
        sizes.append(n)
    return sizes


def _spans(ks, ss, ds, position):
    """First and last cell feeding ``position``, per level, bottom to top."""
    spans = [(position, position)]
    for k, s, d in reversed(list(zip(ks, ss, ds))):
        lo, hi = spans[0]
        spans.insert(0, (lo * s, hi * s + d * (k - 1)))
    return spans


def show_receptive_field(n_layers=3, kernel_size=3, stride=1, dilation=1, position=None,
                         input_size=None, ax=None):
    """Which input cells one output of a stack of unpadded 1-D convolutions sees.

    Each row is a layer (input at the bottom); the cells that feed output
    ``position`` of the top layer are marked in every layer below.  Layers
    share ``kernel_size``, ``stride`` and ``dilation`` unless lists are given.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from convlab.viz import drawn_cells
    >>> ax = show_receptive_field(2, kernel_size=3)     # 1 + 2 + 2 = 5 input cells
    >>> drawn_cells(ax)["layer 0:contrib"]
    5
    >>> ax = show_receptive_field(40, stride=2)          # 2**41 - 1 cells: bars
    >>> ax.get_title()
    'receptive field: spans 2,199,023,255,551 input cells'
    """
    _checks.check_axes(ax)
    n_layers = _checks.check_int(n_layers, "n_layers", 1)
    if n_layers > MAX_LAYERS:
        raise ValueError(f"n_layers must be at most {MAX_LAYERS}; got {n_layers}")
    ks = _per_layer(kernel_size, "kernel_size", n_layers)
    ss = _per_layer(stride, "stride", n_layers)
    ds = _per_layer(dilation, "dilation", n_layers)
    sizes = _sizes(ks, ss, ds, input_size)
    if position is None:
        position = sizes[-1] // 2
    position = _checks.check_int(position, "position", 0)
    if position >= sizes[-1]:
        raise ValueError(f"position must lie in the top layer of size {sizes[-1]}; got {position}")
    labels = ["input"] + [f"layer {level}" for level in range(1, n_layers + 1)]
    if ax is None:
        width = min(12.0, 0.3 * min(sizes[0], MAX_CELLS_PER_ROW) + 2.0)
        _, ax = plt.subplots(figsize=(width, _ROW_IN * (n_layers + 1) + 1.3))
    if sizes[0] <= MAX_CELLS_PER_ROW:
        _, fields = coverage.receptive_field_cells(ks, ss, ds, position=position,
                                                   input_size=sizes[0])
        title = f"receptive field: {len(fields[0])} input cells"
        _draw_cells(ax, sizes, fields, labels)
    else:
        spans = _spans(ks, ss, ds, position)
        title = f"receptive field: spans {spans[0][1] - spans[0][0] + 1:,} input cells"
        _draw_bars(ax, sizes, spans, labels)
    ax.set_axis_off()
    ax.set_title(title, fontsize=FIGTITLE_PT)
    describe(ax, (f"Receptive field of output {position} of a stack of {n_layers} unpadded 1-D "
                  f"convolution layers (kernel sizes {ks}, strides {ss}, dilations {ds}), input at "
                  f"the bottom: the marked cells of each layer feed that output; {title[len('receptive field: '):]}."))
    return ax


def _draw_cells(ax, sizes, fields, labels):
    n_layers = len(sizes) - 1
    for level, (size, cells) in enumerate(zip(sizes, fields)):
        mask = np.zeros((1, size), dtype=bool)
        mask[0, cells] = True
        y0 = 1.6 * (n_layers - level)
        x0 = (sizes[0] - size) / 2
        name = f"layer {level}"
        kind = "selected" if level == n_layers else "contrib"
        draw_cells(ax, ~mask, "cell", (x0, y0), name)
        draw_cells(ax, mask, kind, (x0, y0), name)
        ax.text(x0 - 0.4, y0 + 0.5, labels[level], ha="right", va="center", fontsize=FONT_PT,
                gid="rowlabel")
    ax.set_xlim(-5.0, sizes[0] + 0.5)
    ax.set_ylim(1.6 * n_layers + 3.2, -0.6)
    ax.set_aspect("equal")
    add_legend(ax, (0.5 * sizes[0], 1.6 * n_layers + 1.3), 72 * ax.figure.get_figwidth())


def _draw_bars(ax, sizes, spans, labels):
    """Each layer a bar of unit width; its field a marked span (fractions of the layer)."""
    n_layers = len(sizes) - 1
    for level, (size, (lo, hi)) in enumerate(zip(sizes, spans)):
        y = n_layers - level
        kind = KINDS["selected" if level == n_layers else "contrib"]
        ax.add_patch(Rectangle((0, y - 0.3), 1, 0.6, facecolor="white", edgecolor="#9A9A9A",
                               gid="bar"))
        ax.add_patch(Rectangle((lo / size, y - 0.3), max((hi - lo + 1) / size, 0.004), 0.6,
                               facecolor=kind["facecolor"], edgecolor=kind["edgecolor"],
                               alpha=kind["alpha"], gid="span"))
        ax.text(-0.02, y, labels[level], ha="right", va="center", fontsize=FONT_PT, gid="rowlabel")
        ax.text(1.02, y, f"cells {lo:,}\u2013{hi:,} of {size:,}", ha="left", va="center",
                fontsize=FONT_PT, gid="rowlabel")
    ax.set_xlim(-0.25, 1.55)
    ax.set_ylim(-1.2, n_layers + 0.6)
    handles = [Patch(facecolor=KINDS["contrib"]["facecolor"], alpha=KINDS["contrib"]["alpha"],
                     label="span of the field (bars not to scale between layers)")]
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0), frameon=False,
              fontsize=FONT_PT)
