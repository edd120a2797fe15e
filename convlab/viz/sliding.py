"""The kernel window sliding over a padded input: one position, the whole sweep, the receptive field."""
import matplotlib.pyplot as plt
import numpy as np

import convlab as cl
from convlab import coverage
from convlab.viz.grid import connector, draw_grid, finish, new_axes

__all__ = ["sample_input", "show_sliding_window", "animate_conv", "show_receptive_field"]


def sample_input(shape, seed=0):
    """Small integers 0..9 on a grid of ``shape``, reproducible: something to look at."""
    return np.random.default_rng(seed).integers(0, 10, size=shape).astype(float)


def _as_image(x, name="x"):
    x = np.asarray(x)
    if x.ndim == 0 or (x.ndim == 1 and x.size == 2):
        return sample_input(tuple(np.broadcast_to(x, (2,)).astype(int)))
    if x.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (H, W) or an input shape; got shape {x.shape}")
    return x


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
        Write the numbers; default when the padded input is at most 14 wide.
    legend : bool
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from convlab.viz import drawn_cells
    >>> ax = show_sliding_window(5, kernel_size=3, i=1, j=0, stride=2, padding=1)
    >>> drawn_cells(ax)["input:window"], drawn_cells(ax)["output:selected"]
    (9, 1)
    >>> plt.close("all")
    """
    x = _as_image(x)
    if weight is None:
        weight = np.ones(np.broadcast_to(np.asarray(kernel_size), (2,)))
    weight = np.asarray(weight, dtype=float)
    if weight.ndim != 2:
        raise ValueError(f"weight must be a 2-D kernel (kH, kW); got shape {weight.shape}")
    g = coverage.geometry(x.shape, weight.shape, stride, padding, dilation)
    if not (0 <= i < g.output_shape[0] and 0 <= j < g.output_shape[1]):
        raise ValueError(
            f"output position (i, j) must lie in the output of shape {g.output_shape}; got ({i}, {j})"
        )
    y = cl.conv2d(x[None], weight[None, None], stride=g.stride, padding=g.padding,
                  dilation=g.dilation)[0]
    padded = cl.pad(x, g.padding)
    (top, _), (left, _) = g.padding
    pad_mask = np.ones(g.padded_shape, dtype=bool)
    pad_mask[top: top + x.shape[0], left: left + x.shape[1]] = False
    unc_mask = np.zeros(g.padded_shape, dtype=bool)
    unc_mask[top: top + x.shape[0], left: left + x.shape[1]] = ~coverage.covered_mask(
        x.shape, weight.shape, g.stride, g.padding, g.dilation)
    rows, cols = coverage.window_cells(i, j, weight.shape, g.stride, g.dilation)
    win = np.zeros(g.padded_shape, dtype=bool)
    win[np.ix_(rows, cols)] = True
    if annotate is None:
        annotate = g.padded_shape[1] <= 14 and g.padded_shape[0] <= 14
    width = g.padded_shape[1] + weight.shape[1] + y.shape[1] + 4
    ax = new_axes(ax, (min(12, 0.42 * width + 0.6), 0.42 * max(g.padded_shape[0], 4) + 1.6))
    kinds = {"padding": pad_mask, "uncovered": unc_mask, "window": win}
    b_in = draw_grid(ax, padded, origin=(0, 0), name="input", kinds=kinds, annotate=annotate,
                     title="padded input" if pad_mask.any() else "input")
    kx = b_in[2] + 2
    b_k = draw_grid(ax, weight, origin=(kx, 0), name="kernel", annotate=annotate, title="kernel",
                    kinds={"window": np.ones(weight.shape, dtype=bool)})
    ox = kx + b_k[2] + 2
    b_out = draw_grid(ax, y, origin=(ox, 0), name="output", kinds={"selected": [(i, j)]},
                      annotate=annotate, title=f"output ({i}, {j})")
    connector(ax, b_in, b_k, "\u22c6")  # \u22c6: cross-correlation, as in the lessons
    connector(ax, b_k, b_out, "=")
    return finish(ax, [b_in, b_k, b_out], legend=legend, title=title)


def animate_conv(x, kernel_size=3, stride=1, padding=0, dilation=1, weight=None,
                 interval=700, figsize=None):
    """The whole sweep of the window as an animation for a notebook.

    Every output position is one frame (drawn by :func:`show_sliding_window`);
    the frames are embedded with ``FuncAnimation.to_jshtml`` (no external
    writer), and the figure is closed.

    Returns
    -------
    IPython.display.HTML
        Displays as a player with play / step controls.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> html = animate_conv(3, kernel_size=2)     # 2 x 2 output, 4 frames
    >>> "<script" in html.data
    True
    """
    from IPython.display import HTML
    from matplotlib.animation import FuncAnimation

    x = _as_image(x)
    kernel_shape = np.asarray(weight).shape if weight is not None else kernel_size
    g = coverage.geometry(x.shape, kernel_shape, stride, padding, dilation)
    positions = [(i, j) for i in range(g.output_shape[0]) for j in range(g.output_shape[1])]
    fig, ax = plt.subplots(figsize=figsize or (7, 3.2))

    def draw(frame):
        ax.clear()
        i, j = positions[frame]
        show_sliding_window(x, kernel_size, i, j, stride, padding, dilation, weight=weight, ax=ax)
        return []

    try:
        anim = FuncAnimation(fig, draw, frames=len(positions), interval=interval, blit=False)
        html = anim.to_jshtml(default_mode="loop")
    finally:
        plt.close(fig)
    return HTML(html)


def show_receptive_field(n_layers=3, kernel_size=3, stride=1, dilation=1, position=None,
                         input_size=None, ax=None):
    """Which input cells one output of a stack of 1-D convolutions sees.

    Each row is a layer (input at the bottom); the cells that feed output
    ``position`` of the top layer are marked in every layer below.  Layers
    share ``kernel_size``, ``stride`` and ``dilation`` unless lists are given.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from convlab.viz import drawn_cells
    >>> ax = show_receptive_field(2, kernel_size=3)     # 1 + 2 + 2 = 5 input cells
    >>> drawn_cells(ax)["layer 0:contrib"]
    5
    >>> plt.close("all")
    """
    ks = [int(k) for k in np.broadcast_to(kernel_size, (n_layers,))]
    ss = [int(s) for s in np.broadcast_to(stride, (n_layers,))]
    ds = [int(d) for d in np.broadcast_to(dilation, (n_layers,))]
    sizes, fields = coverage.receptive_field_cells(ks, ss, ds, position=position,
                                                   input_size=input_size)
    ax = new_axes(ax, (min(12, 0.4 * sizes[0] + 1.5), 0.55 * (n_layers + 1) + 1.2))
    boxes = []
    for level, (size, cells) in enumerate(zip(sizes, fields)):
        mask = np.zeros((1, size), dtype=bool)
        mask[0, cells] = True
        y0 = 1.6 * (n_layers - level)
        x0 = (sizes[0] - size) / 2
        name = f"layer {level}"
        kind = "selected" if level == n_layers else "contrib"
        boxes.append(draw_grid(ax, shape=(1, size), origin=(x0, y0), name=name,
                               kinds={kind: mask}, annotate=False))
        ax.text(x0 - 0.4, y0 + 0.5, "input" if level == 0 else f"layer {level}",
                ha="right", va="center", fontsize=9, gid="rowlabel")
    boxes.append((-3.5, 0, 1, 1))
    return finish(ax, boxes, title=f"receptive field: {len(fields[0])} input cells")
