"""Convolution as a matrix product: the patch matrix (im2row) and the convolution matrix."""
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from .. import _checks, coverage
from ..blocks import pad
from ..matrices import conv_matrix, im2row
from .cells import cells_collection
from .describe import describe, span_text
from .grid import plot_row
from .style import FIGTITLE_PT, FONT_PT, PAIR_COLORS, fits_in_cell

__all__ = ["show_im2row", "show_conv_matrix", "ROW_COLORS", "MAX_MATRIX_ENTRIES"]

#: Colours that tell rows (and kernel taps) apart; Okabe-Ito first.
ROW_COLORS = PAIR_COLORS
#: Largest convolution matrix drawn (entries).
MAX_MATRIX_ENTRIES = 250_000


def _as_kernel(weight):
    weight = _checks.as_array(weight, "weight")
    _checks.check_ndim(weight, "weight", (2,), "a 2-D kernel (kH, kW)")
    return weight.astype(float)


def show_im2row(x, kernel_size=3, stride=1, padding=0, dilation=1, rows=None, ax=None,
                annotate=None):
    """The input and its patch matrix :func:`convlab.im2row`, windows and rows colour-matched.

    Row ``r`` of the patch matrix is the window of output ``(r // W_out, r % W_out)``;
    each highlighted row is filled in its own colour and its window on the
    (padded) input is outlined in the same colour -- overlapping windows
    show nested outlines, never a blend of colours.

    Parameters
    ----------
    x : array_like, shape (H, W)
    kernel_size, stride, padding, dilation
        As for :func:`convlab.im2row`.
    rows : sequence of int, optional
        Rows to highlight; default three spread over the matrix.
    ax : matplotlib Axes, optional
    annotate : bool, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from convlab.viz import drawn_cells
    >>> ax = show_im2row(np.arange(16.0).reshape(4, 4), 2, stride=2, rows=[0, 3])
    >>> drawn_cells(ax)["patches:row 3"], drawn_cells(ax)["input:row 3"]
    (4, 4)
    """
    _checks.check_plot_args(ax=ax, annotate=annotate)
    x = _checks.as_array(x, "x")
    _checks.check_ndim(x, "x", (2,), "a 2-D array (H, W)")
    x = x.astype(float)
    g = coverage.geometry(x.shape, kernel_size, stride, padding, dilation)
    n_rows = g.output_shape[0] * g.output_shape[1]
    if n_rows * g.kernel_size[0] * g.kernel_size[1] > MAX_MATRIX_ENTRIES:
        raise ValueError(f"the patch matrix would be {n_rows:,} \u00d7 "
                         f"{g.kernel_size[0] * g.kernel_size[1]}; figures draw at most "
                         f"{MAX_MATRIX_ENTRIES:,} entries (use a smaller x)")
    if rows is None:
        rows = np.unique(np.linspace(0, n_rows - 1, min(3, n_rows)).astype(int)).tolist()
    rows = [_checks.check_int(r, "rows", 0)
            for r in _checks.check_sequence(rows, "rows", "patch-matrix row indices")]
    for r in rows:
        if r >= n_rows:
            raise ValueError(f"rows must lie in 0..{n_rows - 1} (the patch matrix rows); got {r}")
    patches = im2row(x[None], g.kernel_size, g.stride, g.padding, g.dilation)
    pad_mask = pad(np.zeros_like(x), g.padding, value=1) == 1
    grids = [dict(values=pad(x, g.padding), name="input", kinds={"padding": pad_mask},
                  title="padded input" if pad_mask.any() else "input"),
             dict(values=patches, name="patches",
                  title=f"im2row: {n_rows} \u00d7 {patches.shape[1]}")]
    handles = []
    for k, r in enumerate(rows):
        color = ROW_COLORS[k % len(ROW_COLORS)]
        i, j = divmod(r, g.output_shape[1])
        handles.append(Patch(facecolor=color + "73", edgecolor=color, linewidth=2.0,
                             label=f"row {r} = window ({i}, {j})"))
    ax = plot_row(ax, grids, ["\u2192"], annotate=annotate, extra_handles=handles)
    (input_box, patch_box), heat = ax.convlab_boxes, ax.convlab_heat
    for k, r in enumerate(rows):
        color = ROW_COLORS[k % len(ROW_COLORS)]
        i, j = divmod(r, g.output_shape[1])
        win_rows, win_cols = coverage.window_cells(i, j, g.kernel_size, g.stride, g.dilation)
        cells = [(a, b) for a in win_rows for b in win_cols]
        inset = 0.05 + 0.07 * (k % 4)
        cells_collection(ax, *zip(*cells), input_box[:2], f"input:row {r}", inset,
                         facecolor="none", edgecolor=color, linewidth=2.4, zorder=4)
        fill = dict(facecolor="none", edgecolor=color, linewidth=2.4) if heat[1] else dict(
            facecolor=color, edgecolor=color, alpha=0.45, linewidth=1.0)
        cells_collection(ax, [r] * patches.shape[1], range(patches.shape[1]), patch_box[:2],
                         f"patches:row {r}", zorder=3, **fill)
    said = []
    for r in rows:
        i, j = divmod(r, g.output_shape[1])
        win_rows, win_cols = coverage.window_cells(i, j, g.kernel_size, g.stride, g.dilation)
        said.append(f"row {r} is the window of output ({i}, {j}), input rows {span_text(win_rows)} "
                    f"and columns {span_text(win_cols)}")
    windows = "; ".join(said)
    return describe(ax, f"im2row: each of the {n_rows} windows of the padded input becomes one row "
                    f"of {patches.shape[1]} values of the patch matrix; outlined in matching colours: "
                    f"{windows}.", before=True)


def show_conv_matrix(weight, input_shape, stride=1, padding=0, dilation=1, ax=None,
                     annotate=None):
    """The convolution matrix :func:`convlab.conv_matrix`, coloured by kernel tap.

    Every non-zero entry is one weight ``w[m, n]``; colouring by ``(m, n)``
    shows the Toeplitz diagonals, and lines mark the blocks (one block per
    output row and input row).  Matrices over :data:`MAX_MATRIX_ENTRIES`
    entries are refused before anything is allocated.

    Parameters
    ----------
    weight : array_like, shape (kH, kW)
    input_shape : (H, W)
    stride, padding, dilation
        As for :func:`convlab.conv_matrix`.
    ax : matplotlib Axes, optional
    annotate : bool, optional
        Write the non-zero values (default: when they fit in the cells).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = show_conv_matrix(np.ones((2, 2)), (3, 3))
    >>> ax.images[0].get_array().shape, len(ax.get_legend().get_texts())
    ((4, 9), 4)
    """
    _checks.check_plot_args(ax=ax, annotate=annotate)
    weight = _as_kernel(weight)
    g = coverage.geometry(input_shape, weight.shape, stride, padding, dilation)
    n_out = g.output_shape[0] * g.output_shape[1]
    n_in = g.input_shape[0] * g.input_shape[1]
    if n_out * n_in > MAX_MATRIX_ENTRIES:
        raise ValueError(
            f"the convolution matrix for input_shape {g.input_shape} would be {n_out:,} \u00d7 "
            f"{n_in:,} = {n_out * n_in:,} entries; show_conv_matrix draws at most "
            f"{MAX_MATRIX_ENTRIES:,} (use a smaller input_shape)")
    args = (g.input_shape, g.stride, g.padding, g.dilation)
    matrix = conv_matrix(weight, *args)
    taps = np.arange(1, weight.size + 1, dtype=float).reshape(weight.shape)
    tap_of = conv_matrix(taps, *args).astype(int)  # 0 where the entry is structurally zero
    own = ax is None
    if own:
        scale = min(0.3, 10.0 / n_in, 8.0 / n_out)
        # room for the title, and beside the matrix for the legend (one row per tap) or the
        # colour bar's label
        side = 0.22 * weight.size + 0.8 if weight.size <= 16 else 3.4
        ax = _new_axes((max(n_in * scale + 2.6, 4.4), max(n_out * scale + 1.4, side)))
    colors = ["white"] + [ROW_COLORS[t % len(ROW_COLORS)] for t in range(weight.size)]
    image = ax.imshow(tap_of, cmap=ListedColormap(colors), vmin=-0.5, vmax=weight.size + 0.5,
                      interpolation="nearest")
    box = ax.get_position()
    cell_pt = 72 * min(box.width * ax.figure.get_figwidth() / n_in,
                       box.height * ax.figure.get_figheight() / n_out)
    strings = [f"{v:g}" for v in matrix[tap_of != 0]]
    if annotate is None or annotate:
        annotate = fits_in_cell(strings, cell_pt) and len(strings) <= 4096
    if annotate:
        for (r, c), t in np.ndenumerate(tap_of):
            if t:
                ax.text(c, r, f"{matrix[r, c]:g}", ha="center", va="center", fontsize=FONT_PT,
                        gid="cellnum")
    width, out_width = g.input_shape[1], g.output_shape[1]
    for c in range(width, n_in, width):
        ax.axvline(c - 0.5, color="0.25", linewidth=1.0, gid="block")
    for r in range(out_width, n_out, out_width):
        ax.axhline(r - 0.5, color="0.25", linewidth=1.0, gid="block")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(f"input x.ravel(): {n_in} = {g.input_shape[0]}\u00d7{g.input_shape[1]}",
                  fontsize=FONT_PT)
    ax.set_ylabel(f"output y.ravel()\n{n_out} = {g.output_shape[0]}\u00d7{g.output_shape[1]}",
                  fontsize=FONT_PT)
    density = np.count_nonzero(tap_of) / tap_of.size
    ax.set_title(f"convolution matrix {n_out}\u00d7{n_in}, {density:.0%} non-zero",
                 fontsize=FIGTITLE_PT)
    if weight.size <= 16:
        handles = [Patch(facecolor=colors[t + 1], label=f"w[{m},{n}]")
                   for t, (m, n) in enumerate(np.ndindex(weight.shape))]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                  fontsize=FONT_PT)
    else:
        bar = ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
        bar.set_label("kernel tap m\u00b7kW + n + 1 (0: structural zero)", fontsize=FONT_PT)
        bar.ax.tick_params(labelsize=FONT_PT)
    return describe(ax, (
        f"Convolution matrix of a {weight.shape[0]}\u00d7{weight.shape[1]} kernel on a "
        f"{g.input_shape[0]}\u00d7{g.input_shape[1]} input: {n_out} rows (one per output value) by "
        f"{n_in} columns (one per input value), {density:.0%} non-zero. Each non-zero entry is one "
        f"kernel weight, coloured by which w[m, n] it is; equal weights run along diagonals "
        f"(Toeplitz blocks), and lines mark the {g.output_shape[0]}\u00d7{g.input_shape[0]} blocks, "
        f"one per output row and input row."))


def _new_axes(figsize):
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax
