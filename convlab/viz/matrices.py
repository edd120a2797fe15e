"""Convolution as a matrix product: the patch matrix (im2row) and the convolution matrix."""
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

import convlab as cl
from convlab import coverage
from convlab.viz.grid import OKABE_ITO, cells_collection, draw_row, finish, new_axes, row_figsize

__all__ = ["show_im2row", "show_conv_matrix", "ROW_COLORS"]

#: Colours that tell rows (and kernel taps) apart; Okabe-Ito first.
ROW_COLORS = [OKABE_ITO[k] for k in ("orange", "sky_blue", "bluish_green", "vermillion",
                                      "reddish_purple", "blue", "yellow")] + ["#999999", "#66C2A5"]


def _fill(ax, cells, color, origin, label, inset=0.0):
    """One collection of (possibly inset) squares in a single colour."""
    rows, cols = zip(*cells)
    return cells_collection(ax, rows, cols, origin, label, inset, facecolor=color,
                            edgecolor=color, alpha=0.45, linewidth=1.5, zorder=3)


def show_im2row(x, kernel_size=3, stride=1, padding=0, dilation=1, rows=None, ax=None,
                annotate=None):
    """The input and its patch matrix :func:`convlab.im2row`, windows and rows colour-matched.

    Row ``r`` of the patch matrix is the window of output ``(r // W_out, r % W_out)``;
    each highlighted row and its window on the (padded) input share a colour.

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
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from convlab.viz import drawn_cells
    >>> ax = show_im2row(np.arange(16.0).reshape(4, 4), 2, stride=2, rows=[0, 3])
    >>> drawn_cells(ax)["patches:row 3"], drawn_cells(ax)["input:row 3"]
    (4, 4)
    >>> plt.close("all")
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"x must be a 2-D array (H, W); got shape {x.shape}")
    g = coverage.geometry(x.shape, kernel_size, stride, padding, dilation)
    patches = cl.im2row(x[None], g.kernel_size, g.stride, g.padding, g.dilation)
    n_rows = patches.shape[0]
    if rows is None:
        rows = np.unique(np.linspace(0, n_rows - 1, min(3, n_rows)).astype(int)).tolist()
    for r in rows:
        if not 0 <= r < n_rows:
            raise ValueError(f"rows must lie in 0..{n_rows - 1} (the patch matrix rows); got {r}")
    padded = cl.pad(x, g.padding)
    pad_mask = cl.pad(np.zeros_like(x), g.padding, value=1) == 1
    grids = [dict(values=padded, name="input", kinds={"padding": pad_mask},
                  title="padded input" if pad_mask.any() else "input"),
             dict(values=patches, name="patches",
                  title=f"im2row: {n_rows} \u00d7 {patches.shape[1]}")]
    if annotate is None:
        annotate = max(padded.shape) <= 16 and patches.shape[0] <= 36 and patches.shape[1] <= 16
    ax = new_axes(ax, row_figsize(grids))
    boxes = draw_row(ax, grids, ["\u2192"], annotate=annotate)
    handles = [Patch(facecolor="#E4E4E4", edgecolor="#9A9A9A", hatch="///", label="padding (zeros)")]
    for k, r in enumerate(rows):
        color = ROW_COLORS[k % len(ROW_COLORS)]
        i, j = divmod(r, g.output_shape[1])
        win_rows, win_cols = coverage.window_cells(i, j, g.kernel_size, g.stride, g.dilation)
        inset = 0.06 * (k % 4)
        _fill(ax, [(a, b) for a in win_rows for b in win_cols], color, boxes[0][:2],
              f"input:row {r}", inset)
        _fill(ax, [(r, c) for c in range(patches.shape[1])], color, boxes[1][:2],
              f"patches:row {r}")
        handles.append(Patch(facecolor=color, alpha=0.45, label=f"row {r} = window ({i}, {j})"))
    finish(ax, boxes, legend=False)
    if not pad_mask.any():
        handles = handles[1:]
    ncol = 1 if ax.figure.get_figwidth() < 6 else 2
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
              ncol=ncol, frameon=False, fontsize=9)
    return ax


def show_conv_matrix(weight, input_shape, stride=1, padding=0, dilation=1, ax=None,
                     annotate=None):
    """The convolution matrix :func:`convlab.conv_matrix`, coloured by kernel tap.

    Every non-zero entry is one weight ``w[m, n]``; colouring by ``(m, n)``
    shows the Toeplitz diagonals, and lines mark the blocks (one block per
    output row and input row).

    Parameters
    ----------
    weight : array_like, shape (kH, kW)
    input_shape : (H, W)
    stride, padding, dilation
        As for :func:`convlab.conv_matrix`.
    ax : matplotlib Axes, optional
    annotate : bool, optional
        Write the non-zero values; default when the matrix has at most 40 columns.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> ax = show_conv_matrix(np.ones((2, 2)), (3, 3))
    >>> ax.images[0].get_array().shape, len(ax.get_legend().get_texts())
    ((4, 9), 4)
    >>> plt.close("all")
    """
    weight = np.asarray(weight, dtype=float)
    if weight.ndim != 2:
        raise ValueError(f"weight must be a 2-D kernel (kH, kW); got shape {weight.shape}")
    g = coverage.geometry(input_shape, weight.shape, stride, padding, dilation)
    args = (g.input_shape, g.stride, g.padding, g.dilation)
    matrix = cl.conv_matrix(weight, *args)
    taps = np.arange(1, weight.size + 1, dtype=float).reshape(weight.shape)
    tap_of = cl.conv_matrix(taps, *args).astype(int)  # 0 where the entry is structurally zero
    n_out, n_in = matrix.shape
    if ax is None:
        ax = new_axes(None, (min(12, 0.3 * n_in + 1.5), min(10, 0.3 * n_out + 1.8)))
    colors = ["white"] + [ROW_COLORS[t % len(ROW_COLORS)] for t in range(weight.size)]
    ax.imshow(tap_of, cmap=ListedColormap(colors), vmin=-0.5, vmax=weight.size + 0.5,
              interpolation="nearest")
    if annotate is None:
        annotate = n_in <= 40 and n_out <= 40
    if annotate:
        for (r, c), t in np.ndenumerate(tap_of):
            if t:
                ax.text(c, r, f"{matrix[r, c]:g}", ha="center", va="center",
                        fontsize=7 if n_in > 16 else 9, gid="cellnum")
    width, out_width = g.input_shape[1], g.output_shape[1]
    for c in range(width, n_in, width):
        ax.axvline(c - 0.5, color="0.25", linewidth=1.0, gid="block")
    for r in range(out_width, n_out, out_width):
        ax.axhline(r - 0.5, color="0.25", linewidth=1.0, gid="block")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(f"input x.ravel(): {n_in} = {g.input_shape[0]}\u00d7{g.input_shape[1]}")
    ax.set_ylabel(f"output y.ravel(): {n_out} = {g.output_shape[0]}\u00d7{g.output_shape[1]}")
    density = np.count_nonzero(tap_of) / tap_of.size
    ax.set_title(f"convolution matrix {n_out}\u00d7{n_in}, {density:.0%} non-zero", fontsize=11)
    handles = [Patch(facecolor=colors[t + 1], label=f"w[{m},{n}]")
               for t, (m, n) in enumerate(np.ndindex(weight.shape))]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              fontsize=8)
    return ax
