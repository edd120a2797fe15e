"""The kernel window sliding over a padded input: one position, and the whole sweep as frames."""
import base64
import io
import re
import warnings

import matplotlib.pyplot as plt
import numpy as np

from .. import _checks, coverage
from ..blocks import pad
from ..conv import conv2d
from .cells import draw_cells
from .channels import MAX_CHANNELS, draw_channels, show_channels
from .describe import describe, description, span_text
from .grid import clear_artists, plot_row
from .style import cell_text

__all__ = ["sample_input", "show_sliding_window", "animate_conv", "MAX_FRAMES", "MAX_CHANNELS"]

#: Most frames :func:`animate_conv` draws; longer sweeps are sampled evenly.
MAX_FRAMES = 36
#: Cells drawn over all frames at most (a large input gets fewer frames).
MAX_FRAME_CELLS = 200_000
#: Colours of each embedded frame (a palette PNG).
FRAME_COLORS = 128
#: Cell size (inches) of the multi-channel animation: small enough to embed, numbers still at 9 pt.
ANIMATION_CELL_IN = 0.27


def sample_input(shape, seed=0):
    """Small integers 0..9 on a grid of ``shape``, reproducible: something to look at."""
    return np.random.default_rng(seed).integers(0, 10, size=shape).astype(float)


def _is_shape(x):
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool) or (
        isinstance(x, (tuple, list)) and len(x) == 2
        and all(isinstance(v, (int, np.integer)) for v in x))


def as_image(x, name="x"):
    """``x`` as a 2-D float array; an int or a pair is a shape, filled by :func:`sample_input`."""
    if _is_shape(x):
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
    _checks.check_ndim(weight, "weight", (2,), "a 2-D kernel (kH, kW) for a 2-D input x "
                       "(a 3-D weight (C, kH, kW) needs x of shape (C, H, W))")
    return weight.astype(float)


def input_and_kernel(x, weight, kernel_size):
    """``x`` and the kernel drawn with it: (H, W) with (kH, kW), or (C, H, W) with (C, kH, kW).

    A 3-D input needs ``weight`` with one slice per channel (one output
    channel); a kernel of ones is only made for a 2-D input.  ``kernel_size``
    is checked even when ``weight`` gives the kernel (and it is unused).
    """
    _checks.int_tuple(kernel_size, "kernel_size", 2)
    if _is_shape(x):
        return as_image(x), kernel_from(weight, kernel_size)
    x = _checks.as_array(x, "x")
    if x.ndim != 3:
        _checks.check_ndim(x, "x", (2,), "a 2-D array (H, W), an input shape, or a 3-D array "
                           "(C, H, W) with weight of shape (C, kH, kW)")
        return x.astype(float), kernel_from(weight, kernel_size)
    if weight is None:
        raise ValueError("x must be a 2-D array (H, W) or an input shape when weight is None "
                         f"(a 3-D input (C, H, W) needs weight of shape (C, kH, kW)); "
                         f"got shape {x.shape}")
    _checks.check_ndim(x, "x", (3,), "a 3-D array (C, H, W)")
    if x.shape[0] > MAX_CHANNELS:
        raise ValueError(f"x must have at most {MAX_CHANNELS} channels to draw (one row each); "
                         f"got shape {x.shape}")
    weight = _checks.as_array(weight, "weight")
    _checks.check_ndim(weight, "weight", (3,),
                       f"a 3-D kernel (C, kH, kW) with C = {x.shape[0]} like x")
    if weight.shape[0] != x.shape[0]:
        raise ValueError(f"weight must have as many channels as x ({x.shape[0]}), shape "
                         f"({x.shape[0]}, kH, kW); got shape {weight.shape}")
    return x.astype(float), weight.astype(float)


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

    A 3-D input ``(C, H, W)`` with a ``weight`` of shape ``(C, kH, kW)`` (one
    output channel) is drawn as one row per channel: the padded channel
    with its window, its kernel slice, and the sum of the window's
    products; the rows meet in a sum over channels that gives the output
    cell (see :func:`convlab.viz.channels.draw_channels`).  Grids are then
    named ``"input[c]"``, ``"kernel[c]"`` and ``"output"``.

    Parameters
    ----------
    x : array_like, shape (H, W) or (C, H, W), or an int / pair
        The input, or its shape (then small sample integers are used).
    kernel_size : int or pair
        Used when ``weight`` is None (a kernel of ones).
    i, j : int
        Output position.
    stride, padding, dilation
        As for :func:`convlab.conv2d` (``padding`` may be a mode).
    weight : array_like, shape (kH, kW), or (C, kH, kW) for a 3-D ``x``
        Required for a 3-D ``x``.
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
    >>> from convlab.viz import drawn_cells, drawn_numbers
    >>> ax = show_sliding_window(5, kernel_size=3, i=1, j=0, stride=2, padding=1)
    >>> drawn_cells(ax)["input:window"], drawn_cells(ax)["output:selected"]
    (9, 1)
    >>> ax = show_sliding_window(np.ones((3, 5, 5)), weight=np.ones((3, 3, 3)), i=2, j=2)
    >>> drawn_cells(ax)["input[2]:window"], drawn_numbers(ax)["output"][-1]
    (9, '27')
    """
    _checks.check_plot_args(ax=ax, annotate=annotate, legend=legend, title=title)
    x, weight = input_and_kernel(x, weight, kernel_size)
    i, j = _checks.check_int(i, "i", 0), _checks.check_int(j, "j", 0)
    g = coverage.geometry(x.shape[-2:], weight.shape[-2:], stride, padding, dilation)
    if not (i < g.output_shape[0] and j < g.output_shape[1]):
        raise ValueError(
            f"output position (i, j) must lie in the output of shape {g.output_shape}; got ({i}, {j})"
        )
    if x.ndim == 3:
        ax = show_channels(ax, x, weight, g, i, j, window_kinds(x[0], g, i, j), annotate,
                           legend, title)
        return describe(ax, window_sentence(g, i, j, x.shape[0]), before=True)
    y = conv2d(x[None], weight[None, None], stride=g.stride, padding=g.padding,
                  dilation=g.dilation)[0]
    kinds = window_kinds(x, g, i, j)
    grids = [dict(values=pad(x, g.padding), name="input", kinds=kinds,
                  title="padded input" if kinds["padding"].any() else "input"),
             dict(values=weight, name="kernel", title="kernel",
                  kinds={"window": np.ones(weight.shape, dtype=bool)}),
             dict(values=y, name="output", kinds={"selected": [(i, j)]},
                  title=f"output ({i}, {j})")]
    # \u22c6: cross-correlation, as in the lessons
    ax = plot_row(ax, grids, ["\u22c6", "="], annotate=annotate, legend=legend, title=title)
    return describe(ax, window_sentence(g, i, j, 1, y[i, j]), before=True)


def window_sentence(g, i, j, channels, value=None):
    """What the window of output ``(i, j)`` reads, in words (the figure's text alternative)."""
    rows, cols = coverage.window_cells(i, j, g.kernel_size, g.stride, g.dilation)
    (kh, kw) = g.kernel_size
    chans = f", in each of {channels} channels" if channels > 1 else ""
    total = f", sum {cell_text(value)}" if value is not None else ""

    def pair(values):  # "2" for a square setting, "(2, 1)" otherwise
        return str(values[0]) if len(set(values)) == 1 else str(tuple(values))

    pads = [p for axis in g.padding for p in axis]
    return (f"Cross-correlation of a {g.input_shape[0]}\u00d7{g.input_shape[1]} input with a "
            f"{kh}\u00d7{kw} kernel (stride {pair(g.stride)}, padding {pair(pads)}, "
            f"dilation {pair(g.dilation)}) "
            f"giving a {g.output_shape[0]}\u00d7{g.output_shape[1]} output. Output ({i}, {j}) reads "
            f"padded-input rows {span_text(rows)} and columns {span_text(cols)}{chans}: "
            f"{channels * kh * kw} products{total}.")


def animate_conv(x, kernel_size=3, stride=1, padding=0, dilation=1, weight=None,
                 interval=700, figsize=None, max_frames=MAX_FRAMES):
    """The sweep of the window as an animation for a notebook.

    Every output position is one frame (drawn by :func:`show_sliding_window`)
    up to ``max_frames`` (fewer for a large input: at most
    :data:`MAX_FRAME_CELLS` cells over all frames); a longer sweep is sampled evenly, with a warning
    and the frame's position written in its title.  The frames are embedded
    with ``FuncAnimation.to_jshtml`` (no external writer) as palette PNGs of
    :data:`FRAME_COLORS` colours, and the figure is closed.  A 3-D ``x``
    ``(C, H, W)`` with ``weight`` ``(C, kH, kW)`` animates the channel rows
    of :func:`show_sliding_window` (cells of :data:`ANIMATION_CELL_IN`
    inches, about 40 KB a frame for 3 channels of 5 x 5).

    Parameters
    ----------
    x, kernel_size, stride, padding, dilation, weight
        As for :func:`show_sliding_window`.
    interval : int
        Milliseconds between frames (a positive int).
    figsize : (float, float), optional
    max_frames : int

    Returns
    -------
    IPython.display.HTML
        Displays as a player with play / step controls.

    Examples
    --------
    >>> html = animate_conv(3, kernel_size=2)     # 2 x 2 output, 4 frames
    >>> "<script" in html.data
    True
    >>> html = animate_conv(np.ones((3, 5, 5)), weight=np.ones((3, 3, 3)), stride=2, padding=1)
    >>> html.data.count("data:image/png;base64,")     # 3 x 3 output, 9 frames
    9
    """
    interval = _checks.check_int(interval, "interval", 1)
    _checks.check_plot_args(figsize=figsize)
    x, kernel = input_and_kernel(x, weight, kernel_size)
    max_frames = _checks.check_int(max_frames, "max_frames", 1)
    g = coverage.geometry(x.shape[-2:], kernel.shape[-2:], stride, padding, dilation)
    n_positions = g.output_shape[0] * g.output_shape[1]
    picked = np.arange(n_positions)
    sheets = x.shape[0] if x.ndim == 3 else 1
    max_frames = min(max_frames, max(2, MAX_FRAME_CELLS // (sheets * g.padded_shape[0]
                                                            * g.padded_shape[1])))
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

    def position(frame):
        return divmod(int(picked[frame]), g.output_shape[1])

    if x.ndim == 3:
        fig = ax = None
        if figsize is not None:
            fig = plt.figure(figsize=figsize)
            ax = fig.add_axes((0, 0, 1, 1))
        ax = show_channels(ax, x, kernel, g, *position(0), window_kinds(x[0], g, *position(0)),
                           title=frame_title(0), cell_in=ANIMATION_CELL_IN)
        return _embed(ax.figure, lambda frame: _redraw_channels(ax, x, kernel, g, position(frame),
                                                                frame_title(frame)),
                      len(picked), interval)
    i, j = position(0)
    ax = show_sliding_window(x, kernel.shape, i, j, title=frame_title(0), **args)
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

    return _embed(fig, draw, len(picked), interval)


def _redraw_channels(ax, x, weight, g, position, title):
    """One frame of the multi-channel sweep: everything redrawn with the first frame's plan."""
    partial, y = ax.convlab_values
    clear_artists(ax)
    draw_channels(ax, x, weight, g, *position, window_kinds(x[0], g, *position), partial, y,
                  ax.convlab_plan, title=title)
    return []


def _embed(fig, draw, n_frames, interval):
    """The frames of ``draw`` as a looping JavaScript player; ``fig`` is closed."""
    from IPython.display import HTML
    from matplotlib.animation import FuncAnimation

    try:
        anim = FuncAnimation(fig, draw, frames=n_frames, interval=interval, blit=False)
        html = anim.to_jshtml(default_mode="loop")
    finally:
        plt.close(fig)
    html = re.sub(r'(frames\[\d+\] = "data:image/png;base64,)([^"]+)"',
                  lambda m: m.group(1) + _palette_png(m.group(2)) + '"', html)
    return HTML(_with_alt(html, fig, n_frames))


def _with_alt(html, fig, n_frames):
    """The player's picture gets the first frame's description as ``alt``, and says it is animated."""
    import html as html_lib

    text = (f"Animation of {n_frames} frames, one per output position; the first frame: "
            f"{description(fig)}")
    return re.sub(r"<img id=", lambda m: f'<img alt="{html_lib.escape(text)}" id=', html, count=1)


def _palette_png(data):
    """A base64 PNG frame re-encoded with at most :data:`FRAME_COLORS` colours (a third the size).

    The figures are flat colours and anti-aliased edges, so the palette
    changes no pixel by more than a few levels.
    """
    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")
    out = io.BytesIO()
    image.quantize(FRAME_COLORS, method=Image.Quantize.FASTOCTREE,
                   dither=Image.Dither.NONE).save(out, "PNG", optimize=True)
    return base64.b64encode(out.getvalue()).decode("ascii")
