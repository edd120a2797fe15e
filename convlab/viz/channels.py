"""Several input channels under one kernel: a window per channel, its partial sum, and their total.

One row per input channel repeats the single-channel picture (padded
channel with the window lit, ``star`` its kernel slice, ``=`` the sum of the
window's products); lines from every row meet in a "sum over channels" node
whose arrow points at the output cell, and a caption writes the sum out.
The partial sums are the channel-by-channel (depthwise) convolution and the
output the full one, both from :func:`convlab.conv2d`.
"""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch

from ..blocks import pad
from ..conv import conv2d
from .describe import describe
from .grid import CBAR_IN, CBAR_MIN_IN, LINE_IN, SIDE_IN, draw_grid, gap_in, numbers_fit, prepare_grid
from .legend import add_legend, legend_rows
from .style import CELL_IN, FIGTITLE_PT, FONT_PT, KINDS, MAX_HEIGHT_IN, MAX_WIDTH_IN, TITLE_PT, cell_text, text_width_pt

__all__ = ["MAX_CHANNELS", "channel_values", "caption", "plan_channels", "draw_channels",
           "show_channels"]

#: Most input channels drawn (one row each).
MAX_CHANNELS = 8

PARTIAL_PT = 11.0          # the partial sum written after each row's "="
SUM_LABEL = "over channels"
PARTIAL_TITLE = "window \u00b7 kernel"
_NODE_R_IN = 0.2           # radius of the "sum over channels" node
_LINK_IN = 0.35            # room between the partial sums and the node
_ARROW_IN = 0.45           # room between the node and the output
_ROW_GAP_IN = 0.14         # between channel rows
_TITLE_IN = TITLE_PT * LINE_IN + 0.08


def channel_values(x, weight, g):
    """Partial sums per channel, shape (C, H_out, W_out), and the output (H_out, W_out).

    Both come from :func:`convlab.conv2d`: the partial sums are the depthwise
    convolution (``groups=C``, channel ``c`` with ``weight[c]`` only), the
    output the convolution of all channels with the one kernel.

    Examples
    --------
    >>> from convlab import coverage
    >>> x, w = np.ones((2, 3, 3)), np.stack([np.ones((2, 2)), -np.ones((2, 2))])
    >>> partial, y = channel_values(x, w, coverage.geometry((3, 3), (2, 2)))
    >>> partial[:, 0, 0].tolist(), float(y[0, 0])
    ([4.0, -4.0], 0.0)
    """
    conv = dict(stride=g.stride, padding=g.padding, dilation=g.dilation)
    partial = conv2d(x, weight[:, None], groups=x.shape[0], **conv)
    y = conv2d(x, weight[None], **conv)[0]
    return partial, y


def caption(partial, y, i, j):
    """The sum over channels written out: ``"output (i, j) = p0 + p1 + ... = y"``.

    Examples
    --------
    >>> caption(np.array([[[2.0]], [[-1.0]]]), np.array([[1.0]]), 0, 0)
    'output (0, 0) = 2 + (-1) = 1'
    """
    terms = [cell_text(v) for v in partial[:, i, j]]
    terms = [f"({t})" if t.startswith("-") else t for t in terms]
    return f"output ({i}, {j}) = " + " + ".join(terms) + f" = {cell_text(y[i, j])}"


def _titles(C, padded, g):
    inputs = [f"channel {c}, padded" if padded else f"channel {c}" for c in range(C)]
    kernels = [f"kernel[{c}]" for c in range(C)]
    last = (g.output_shape[0] - 1, g.output_shape[1] - 1)
    return inputs, kernels, f"output {last}"


def _widths(plan, cell):
    """Column widths (inches) for cell size ``cell`` and the heat flags in ``plan``."""
    (hp, wp), (kh, kw), (ho, wo) = plan["shapes"]
    heat = plan["heat"]
    t = plan["title_in"]
    return dict(input=max(wp * cell + CBAR_IN * heat["input"], t["input"]),
                star=gap_in("\u22c6"),
                kernel=max(kw * cell + CBAR_IN * heat["kernel"], t["kernel"]),
                equals=gap_in("="),
                # the header may reach over the "=" gap and the links on either side
                partial=max(plan["partial_in"], t["partial"] - 0.5),
                link=_LINK_IN,
                node=max(2 * _NODE_R_IN, text_width_pt(SUM_LABEL, FONT_PT) / 72 + 0.04),
                arrow=_ARROW_IN,
                output=max(wo * cell + CBAR_IN * heat["output"], t["output"]))


def _row_grid_in(plan, cell):
    (hp, _), (kh, _), _ = plan["shapes"]
    grid = max(hp, kh) * cell
    return max(grid, CBAR_MIN_IN) if plan["heat"]["input"] or plan["heat"]["kernel"] else grid


def _heights(plan, cell, width_in):
    C = plan["channels"]
    row = _TITLE_IN + _row_grid_in(plan, cell)
    stack = C * row + (C - 1) * _ROW_GAP_IN
    ho = plan["shapes"][2][0]
    out = _TITLE_IN + max(ho * cell, CBAR_MIN_IN if plan["heat"]["output"] else 0.0)
    n_legend, _ = legend_rows(plan["legend"], 72 * (width_in - 2 * SIDE_IN))
    top = 0.08 + (FIGTITLE_PT * LINE_IN + 0.06 if plan["title"] else 0.0)
    bottom = 0.14 + FONT_PT * LINE_IN + 0.06 + n_legend * 0.24
    return dict(top=top, stack=max(stack, out), bottom=bottom)


def _heat_flags(plan, cell, annotate):
    specs = plan["specs"]
    return {name: not numbers_fit(spec, 72 * cell, annotate) for name, spec in specs.items()}


def plan_channels(x, weight, g, partial, y, kinds, annotate=None, width_in=None, height_in=None,
                  cell_in=CELL_IN, title=None, legend=True):
    """Cell size, heat flags and column widths of the channel rows (values fix only the widths).

    The same plan draws every frame of an animation, so nothing moves.
    """
    C = x.shape[0]
    padded = g.padded_shape != tuple(x.shape[1:])
    inputs, kernels, output = _titles(C, padded, g)

    def title_w(texts):
        return max(text_width_pt(t, TITLE_PT) for t in texts) / 72 + 0.08

    labels = [KINDS[k]["label"] for k in ("padding", "uncovered") if kinds[k].any()]
    labels += [KINDS["window"]["label"], KINDS["selected"]["label"]]
    plan = dict(channels=C, shapes=(g.padded_shape, weight.shape[1:], g.output_shape),
                title=title, annotate=annotate, legend=labels if legend else [],
                title_in=dict(input=title_w(inputs), kernel=title_w(kernels),
                              partial=title_w([PARTIAL_TITLE]), output=title_w([output])),
                partial_in=max(text_width_pt(cell_text(v), PARTIAL_PT)
                               for v in np.unique(partial)) / 72 + 0.2,
                caption_in=max(text_width_pt(caption(partial, y, i, j), FONT_PT)
                               for i, j in _caption_positions(y.shape)) / 72,
                specs=dict(input=prepare_grid(dict(values=pad(x, g.padding), name="input")),
                           kernel=prepare_grid(dict(values=weight, name="kernel")),
                           output=prepare_grid(dict(values=y, name="output"))))
    (hp, wp), (kh, kw), (ho, wo) = plan["shapes"]
    budget_w, budget_h = width_in or MAX_WIDTH_IN, height_in or MAX_HEIGHT_IN
    cell = cell_in
    plan["heat"] = _heat_flags(plan, cell, annotate)
    for _ in range(6):
        widths = _widths(plan, cell)
        total_w = 2 * SIDE_IN + sum(widths.values())
        grown = wp + kw + wo
        fixed_w = total_w - cell * grown
        heights = _heights(plan, cell, max(total_w, plan["caption_in"] + 2 * SIDE_IN))
        fixed_h = heights["top"] + heights["bottom"] + heights["stack"] - C * max(hp, kh) * cell
        new = min(cell_in, (budget_w - fixed_w) / grown, (budget_h - fixed_h) / (C * max(hp, kh)))
        new = max(new, 1e-3)
        heat = {k: plan["heat"][k] or v for k, v in _heat_flags(plan, new, annotate).items()}
        settled = abs(new - cell) < 0.01 * cell and heat == plan["heat"]
        cell, plan["heat"] = new, heat
        if settled:
            break
    widths = _widths(plan, cell)
    content_w = max(2 * SIDE_IN + sum(widths.values()), plan["caption_in"] + 2 * SIDE_IN)
    heights = _heights(plan, cell, content_w)
    plan.update(cell=cell, widths=widths, heights=heights, content=(
        content_w, heights["top"] + heights["stack"] + heights["bottom"]))
    return plan


def _caption_positions(shape, most=400):
    """Output positions whose caption is measured (every one, or an even sample of a large output)."""
    n = shape[0] * shape[1]
    picks = np.unique(np.linspace(0, n - 1, min(n, most)).round().astype(int))
    return [divmod(int(k), shape[1]) for k in picks]


def _text(ax, cell, x_in, y_in, text, **style):
    return ax.text(x_in / cell, y_in / cell, text, **style)


def draw_channels(ax, x, weight, g, i, j, kinds, partial, y, plan, legend=True, title=None):
    """Draw the channel rows for output ``(i, j)`` into ``ax`` with a plan from :func:`plan_channels`.

    ``kinds`` are the masks of one channel's padded grid (padding, never
    read, window), the same for every channel.  Grids are named
    ``"input[c]"``, ``"kernel[c]"`` and ``"output"``; the partial sums are
    texts with gid ``"partial"``.
    """
    cell, widths, heights = plan["cell"], plan["widths"], plan["heights"]
    (hp, wp), (kh, kw), (ho, wo) = plan["shapes"]
    box = ax.get_position()
    given = (box.width * ax.figure.get_figwidth(), box.height * ax.figure.get_figheight())
    left = (given[0] - plan["content"][0]) / 2 + SIDE_IN
    top = (given[1] - plan["content"][1]) / 2
    ax.set_xlim(0, given[0] / cell)
    ax.set_ylim(given[1] / cell, 0)
    ax.set_aspect("equal")
    ax.set_axis_off()
    heat = plan["heat"]
    columns, x_at = {}, left
    for name, width in widths.items():
        columns[name] = (x_at, width)
        x_at += width

    def grid(name, values, kind_masks, x_col, y_top, grid_title, shape):
        spec = prepare_grid(dict(values=values, name=name, kinds=kind_masks))
        col_x, col_w = columns[x_col]
        x0 = col_x + (col_w - shape[1] * cell - CBAR_IN * heat[x_col]) / 2
        draw_grid(ax, spec, (x0 / cell, y_top / cell), heat[x_col], cell, plan["annotate"])
        _text(ax, cell, x0 + shape[1] * cell / 2, y_top - 0.06, grid_title, ha="center",
              va="bottom", fontsize=TITLE_PT, gid="title")
        return x0

    C = plan["channels"]
    inputs, kernels, _ = _titles(C, g.padded_shape != tuple(x.shape[1:]), g)
    padded = pad(x, g.padding)
    row_in = _TITLE_IN + _row_grid_in(plan, cell)
    stack_top = top + heights["top"]
    stack_h = C * row_in + (C - 1) * _ROW_GAP_IN
    node = (columns["node"][0] + columns["node"][1] / 2, stack_top + heights["stack"] / 2)
    row_kinds = {k: v for k, v in kinds.items() if v.any()}
    for c in range(C):
        row_top = stack_top + (heights["stack"] - stack_h) / 2 + c * (row_in + _ROW_GAP_IN)
        grid_top = row_top + _TITLE_IN
        grid(f"input[{c}]", padded[c], row_kinds, "input", grid_top, inputs[c], (hp, wp))
        grid(f"kernel[{c}]", weight[c], {"window": np.ones((kh, kw), dtype=bool)}, "kernel",
             grid_top, kernels[c], (kh, kw))
        y_mid = grid_top + min(hp, kh) * cell / 2
        for name, symbol in (("star", "\u22c6"), ("equals", "=")):
            col_x, col_w = columns[name]
            _text(ax, cell, col_x + col_w / 2, y_mid, symbol, ha="center", va="center",
                  fontsize=20 if symbol == "\u22c6" else 16, gid="connector")
        col_x, col_w = columns["partial"]
        _text(ax, cell, col_x + col_w / 2, y_mid, cell_text(partial[c, i, j]), ha="center",
              va="center", fontsize=PARTIAL_PT, gid="partial", zorder=6,
              bbox=dict(boxstyle="round,pad=0.3", facecolor="white", edgecolor="#555555",
                        linewidth=0.8))
        if c == 0:  # one header for the column of partial sums
            _text(ax, cell, col_x + col_w / 2, row_top + _TITLE_IN - 0.06, PARTIAL_TITLE,
                  ha="center", va="bottom", fontsize=TITLE_PT, gid="title")
        ax.plot([(col_x + col_w / 2) / cell, node[0] / cell], [y_mid / cell, node[1] / cell],
                color="#555555", linewidth=1.0, zorder=2, solid_capstyle="round")
    ax.add_patch(Circle((node[0] / cell, node[1] / cell), _NODE_R_IN / cell, facecolor="white",
                        edgecolor="#333333", linewidth=1.2, zorder=4))
    _text(ax, cell, node[0], node[1], "\u03a3", ha="center", va="center", fontsize=14,
          gid="connector", zorder=5)
    _text(ax, cell, node[0], node[1] + _NODE_R_IN + 0.05, SUM_LABEL, ha="center", va="top",
          fontsize=FONT_PT, gid="sumlabel")
    out_top = node[1] - ho * cell / 2
    x_out = grid("output", y, {"selected": [(i, j)]}, "output", out_top, f"output ({i}, {j})",
                 (ho, wo))
    ax.add_patch(FancyArrowPatch(((node[0] + _NODE_R_IN) / cell, node[1] / cell),
                                 ((x_out - 0.04) / cell, out_top / cell + i + 0.5),
                                 arrowstyle="-|>", mutation_scale=12, color="#333333",
                                 linewidth=1.2, zorder=4))
    foot = stack_top + heights["stack"] + 0.14
    centre = given[0] / 2
    _text(ax, cell, centre, foot, caption(partial, y, i, j), ha="center", va="top",
          fontsize=FONT_PT, gid="footer")
    if legend:
        add_legend(ax, (centre / cell, (foot + FONT_PT * LINE_IN + 0.06) / cell),
                   72 * (given[0] - 2 * SIDE_IN))
    if title:
        _text(ax, cell, centre, top + 0.08, title, ha="center", va="top", fontsize=FIGTITLE_PT,
              gid="figtitle")
    ax.convlab_cell_in = cell
    ax.convlab_plan = plan
    ax.convlab_description = ""  # a redrawn frame describes itself anew
    return describe(ax, (f"One row per input channel ({C}): the padded channel with the window of "
                         f"output ({i}, {j}), \u22c6 its kernel slice, = the sum of that window's "
                         f"products; the {C} channel sums meet in a sum over channels that gives "
                         f"the output cell. {caption(partial, y, i, j)}."))


def show_channels(ax, x, weight, g, i, j, kinds, annotate=None, legend=True, title=None,
                  cell_in=CELL_IN):
    """Plan and draw the channel rows for output ``(i, j)``; a figure is made when ``ax`` is None.

    ``g`` is the geometry of one channel and ``kinds`` the masks of its
    padded grid (see :func:`convlab.viz.sliding.window_kinds`); the values
    come from :func:`channel_values`.  Most callers want
    :func:`convlab.viz.show_sliding_window`, which checks the arguments.

    Examples
    --------
    >>> from convlab import coverage
    >>> from convlab.viz import lit_cells
    >>> from convlab.viz.sliding import window_kinds
    >>> g = coverage.geometry((4, 4), (2, 2), stride=2)
    >>> x = np.arange(32.0).reshape(2, 4, 4)
    >>> ax = show_channels(None, x, np.ones((2, 2, 2)), g, 1, 0, window_kinds(x[0], g, 1, 0))
    >>> sorted(lit_cells(ax)["input[1]:window"])
    [(2, 0), (2, 1), (3, 0), (3, 1)]
    >>> [t.get_text() for t in ax.texts if t.get_gid() == "partial"]
    ['42', '106']
    """
    partial, y = channel_values(x, weight, g)
    given = (None, None)
    if ax is not None:
        box = ax.get_position()
        given = (box.width * ax.figure.get_figwidth(), box.height * ax.figure.get_figheight())
    plan = plan_channels(x, weight, g, partial, y, kinds, annotate, *given, cell_in=cell_in,
                         title=title, legend=legend)
    if ax is None:
        fig = plt.figure(figsize=plan["content"])
        ax = fig.add_axes((0, 0, 1, 1))
    ax.convlab_values = (partial, y)
    return draw_channels(ax, x, weight, g, i, j, kinds, partial, y, plan, legend, title)
