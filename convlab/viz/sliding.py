"""The kernel window sliding over a padded input: one position, and the whole sweep as frames."""
import warnings

import matplotlib.pyplot as plt
import numpy as np

import convlab as cl
from convlab import _checks, coverage
from convlab.viz.cells import draw_cells
from convlab.viz.grid import plot_row

__all__ = ["sample_input", "show_sliding_window", "animate_conv", "MAX_FRAMES"]

#: Most frames :func:`animate_conv` draws; longer sweeps are sampled evenly.
MAX_FRAMES = 36
#: Cells drawn over all frames at most (a large input gets fewer frames).
MAX_FRAME_CELLS = 200_000


def sample_input(shape, seed=0):
    """Small integers 0..9 on a grid of ``shape``, reproducible: something to look at."""
    return np.random.default_rng(seed).integers(0, 10, size=shape).astype(float)


def as_image(x, name="x"):
    """``x`` as a 2-D float array; an int or a pair is a shape, filled by :func:`sample_input`."""
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool) or (
            isinstance(x, (tuple, list)) and len(x) == 2
            and all(isinstance(v, (int, np.integer)) for v in x)):
        shape = _checks.int_tuple(x, f"{name} (as a shape)", 2)
        if shape[0] * shape[1] > 1_000_000:
            raise ValueError(f"{name} as a shape must have at most 1,000,000 cells; got {shape}")
        return sample_input(shape)
    x = _checks.as_array(x, name)
    _checks.check_ndim(x, name, (2,), "a 2-D array (H, W) or an input shape")
    return x.astype(float)


def kernel_from(weight, kernel_size):
    """The 2-D kernel to draw: ``weight``, or ones of ``kernel_size``."""
    if weight is None:
        if isinstance(kernel_size, np.ndarray) and kernel_size.ndim == 0:
            kernel_size = kernel_size.item()  # a 0-d array is a scalar, like np.int64
        return np.ones(_checks.int_tuple(kernel_size, "kernel_size", 2))
    weight = _checks.as_array(weight, "weight")
    _checks.check_ndim(weight, "weight", (2,), "a 2-D kernel (kH, kW)")
    return weight.astype(float)


def window_kinds(x, g, i, j):
    """Masks on the padded input: padding, never-read input cells, and the window of ``(i, j)``."""
    (top, _), (left, _) = g.padding
    inside = (slice(top, top + x.shape[0]), slice(left, left + x.shape[1]))
    pad = np.ones(g.padded_shape, dtype=bool)
    pad[inside] = False
    unc = np.zeros(g.padded_shape, dtype=bool)
    unc[inside] = ~coverage.covered_mask(x.shape, g.kernel_size, g.stride, g.padding, g.dilation)
    rows, cols = coverage.window_cells(i, j, g.kernel_size, g.stride, g.dilation)
    win = np.zeros(g.padded_shape, dtype=bool)
    win[np.ix_(rows, cols)] = True
    return {"padding": pad, "uncovered": unc, "window": win}


def show_sliding_window(x, kernel_size=3, i=0, j=0, stride=1, padding=0, dilation=1,
                        weight=None, ax=None, annotate=None, legend=True, title=None):
    """Draw input, kernel and output with the window of output ``(i, j)`` marked.

    The padded input shows padding cells, the cells the window at ``(i, j)``
    reads (spread out by the dilation), and the input cells no window ever
    reads (a stride remainder or dilation gaps).  The output, computed with
    :func:`convlab.conv2d`, marks position ``(i, j)``.

    Parameters
    ----------
    x : array_like, shape (H, W), or an int / pair
        The input, or its shape (then small sample integers are used).
    kernel_size : int or pair
        Used when ``weight`` is None (a kernel of ones).
    i, j : int
        Output position.
    stride, padding, dilation
        As for :func:`convlab.conv2d` (``padding`` may be a mode).
    weight : array_like, shape (kH, kW), optional
    ax : matplotlib Axes, optional
    annotate : bool, optional
        Numbers when they fit (default: also only up to 16 x 16); False: heatmaps.
    legend : bool
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from convlab.viz import drawn_cells
    >>> ax = show_sliding_window(5, kernel_size=3, i=1, j=0, stride=2, padding=1)
    >>> drawn_cells(ax)["input:window"], drawn_cells(ax)["output:selected"]
    (9, 1)
    """
    x = as_image(x)
    weight = kernel_from(weight, kernel_size)
    i, j = _checks.check_int(i, "i", 0), _checks.check_int(j, "j", 0)
    g = coverage.geometry(x.shape, weight.shape, stride, padding, dilation)
    if not (i < g.output_shape[0] and j < g.output_shape[1]):
        raise ValueError(
            f"output position (i, j) must lie in the output of shape {g.output_shape}; got ({i}, {j})"
        )
    y = cl.conv2d(x[None], weight[None, None], stride=g.stride, padding=g.padding,
                  dilation=g.dilation)[0]
    kinds = window_kinds(x, g, i, j)
    grids = [dict(values=cl.pad(x, g.padding), name="input", kinds=kinds,
                  title="padded input" if kinds["padding"].any() else "input"),
             dict(values=weight, name="kernel", title="kernel",
                  kinds={"window": np.ones(weight.shape, dtype=bool)}),
             dict(values=y, name="output", kinds={"selected": [(i, j)]},
                  title=f"output ({i}, {j})")]
    # \u22c6: cross-correlation, as in the lessons
    return plot_row(ax, grids, ["\u22c6", "="], annotate=annotate, legend=legend, title=title)


def animate_conv(x, kernel_size=3, stride=1, padding=0, dilation=1, weight=None,
                 interval=700, figsize=None, max_frames=MAX_FRAMES):
    """The sweep of the window as an animation for a notebook.

    Every output position is one frame (drawn by :func:`show_sliding_window`)
    up to ``max_frames`` (fewer for a large input: at most
    :data:`MAX_FRAME_CELLS` cells over all frames); a longer sweep is sampled evenly, with a warning
    and the frame's position written in its title.  The frames are embedded
    with ``FuncAnimation.to_jshtml`` (no external writer), and the figure is
    closed.

    Returns
    -------
    IPython.display.HTML
        Displays as a player with play / step controls.

    Examples
    --------
    >>> html = animate_conv(3, kernel_size=2)     # 2 x 2 output, 4 frames
    >>> "<script" in html.data
    True
    """
    from IPython.display import HTML
    from matplotlib.animation import FuncAnimation

    x = as_image(x)
    kernel = kernel_from(weight, kernel_size)
    max_frames = _checks.check_int(max_frames, "max_frames", 1)
    g = coverage.geometry(x.shape, kernel.shape, stride, padding, dilation)
    n_positions = g.output_shape[0] * g.output_shape[1]
    picked = np.arange(n_positions)
    max_frames = min(max_frames, max(2, MAX_FRAME_CELLS // (g.padded_shape[0] * g.padded_shape[1])))
    if n_positions > max_frames:
        picked = np.unique(np.linspace(0, n_positions - 1, max_frames).round().astype(int))
        warnings.warn(f"animate_conv: the output has {n_positions:,} positions; drawing "
                      f"{len(picked)} evenly spaced frames (max_frames={max_frames})",
                      stacklevel=2)
    args = dict(stride=g.stride, padding=g.padding, dilation=g.dilation, weight=kernel)

    def frame_title(frame):
        if len(picked) == n_positions:
            return None
        return f"position {picked[frame] + 1:,} of {n_positions:,} (every frame is one of {len(picked)})"

    i, j = divmod(int(picked[0]), g.output_shape[1])
    ax = show_sliding_window(x, None, i, j, title=frame_title(0), **args)
    fig = ax.figure
    if figsize is not None:
        fig.set_size_inches(figsize)

    def draw(frame):
        # only the window, the current output and the titles change from frame to frame
        i, j = divmod(int(picked[frame]), g.output_shape[1])
        for coll in [c for c in ax.collections if c.get_label() in ("input:window", "output:selected")]:
            coll.remove()
        (input_box, _, output_box), heat = ax.convlab_boxes, ax.convlab_heat
        selected = np.zeros(g.output_shape, dtype=bool)
        selected[i, j] = True
        for mask, kind, box, name, is_heat in [
                (window_kinds(x, g, i, j)["window"], "window", input_box, "input", heat[0]),
                (selected, "selected", output_box, "output", heat[2])]:
            draw_cells(ax, mask, kind, box[:2], name, is_heat).heat = is_heat
        for text in ax.texts:
            if text.get_gid() == "title" and text.get_text().startswith("output ("):
                text.set_text(f"output ({i}, {j})")
        if frame_title(frame):
            ax.set_title(frame_title(frame))
        return []

    try:
        anim = FuncAnimation(fig, draw, frames=len(picked), interval=interval, blit=False)
        html = anim.to_jshtml(default_mode="loop")
    finally:
        plt.close(fig)
    return HTML(html)
