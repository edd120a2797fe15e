"""Grids laid out left to right at a readable size: the layout every convlab figure shares.

:func:`plot_row` takes grid specifications (values or a shape, kinds of
cell, a title, product pairs), chooses one cell size for the whole row
(:data:`~convlab.viz.style.CELL_IN` when there is room), and writes each
grid's numbers only when they fit at :data:`~convlab.viz.style.FONT_PT`;
a grid whose numbers would not fit, or that is larger than
:data:`~convlab.viz.style.MAX_ANNOTATED` a side, is drawn as a heatmap with
its own colour bar (diverging around 0 for signed data).  Non-finite
values are written ("nan", "\u221e") and hatched.  :func:`drawn_cells`,
:func:`lit_cells` and :func:`drawn_numbers` read back what was drawn.
"""
import matplotlib.pyplot as plt
import numpy as np

from .. import _checks
from .cells import add_colorbar, as_mask, draw_cells, draw_heat, draw_numbers, draw_pairs, draw_texts
from .describe import describe, grid_sentence
from .legend import PAIR_LABEL, add_legend, legend_labels, legend_rows
from .style import (
    CELL_IN,
    FIGTITLE_PT,
    FONT_PT,
    KINDS,
    MAX_ANNOTATED,
    MAX_HEIGHT_IN,
    MAX_WIDTH_IN,
    OKABE_ITO,
    TITLE_PT,
    cell_text,
    fits_in_cell,
    text_width_pt,
    wrap_to_width,
)

__all__ = ["OKABE_ITO", "KINDS", "show_grid", "plot_row", "drawn_cells", "lit_cells",
           "drawn_numbers", "legend_labels", "clear_artists"]

SIDE_IN = 0.12
CBAR_IN = 0.8          # room right of a heatmap for its colour bar and tick labels
CBAR_MIN_IN = 0.7      # shortest colour bar
LINE_IN = 1.3 / 72     # one line of text per point of font size
_MAX_NUMBERS = 4096     # most numbers written in one grid


def clear_artists(ax):
    """Remove everything drawn in ``ax`` but keep the Axes itself (far cheaper than ``ax.clear()``)."""
    for child in list(ax.child_axes):  # colour bars first, while their images still exist
        child.remove()
    for artist in (*ax.collections, *ax.texts, *ax.images, *ax.lines, *ax.patches):
        artist.remove()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    ax.set_title("")
    return ax


def prepare_grid(spec):
    spec = dict(spec)
    if spec.get("values") is not None:
        spec["values"] = np.asarray(spec["values"], dtype=float)
        spec["shape"] = spec["values"].shape
    spec["shape"] = tuple(spec["shape"])
    kinds = {k: as_mask(v, spec["shape"]) for k, v in (spec.get("kinds") or {}).items()}
    values = spec.get("values")
    if values is not None and not np.isfinite(values).all():
        kinds["nonfinite"] = ~np.isfinite(values)
    spec["kinds"] = kinds
    spec.setdefault("name", "grid")
    spec.setdefault("pairs", None)
    return spec


def _strings(spec):
    if spec.get("texts") is not None:
        return [str(t) for t in np.asarray(spec["texts"], dtype=object).ravel()]
    return [cell_text(v) for v in spec["values"].ravel()]


def numbers_fit(spec, cell_pt, annotate):
    """Whether ``spec`` gets its numbers written (else a heatmap, or nothing for shapes)."""
    if spec.get("values") is None or annotate is False or spec.get("annotate") is False:
        return False
    if annotate is None and max(spec["shape"]) > MAX_ANNOTATED:
        return False
    if cell_pt < FONT_PT or np.prod(spec["shape"]) > _MAX_NUMBERS:
        return False
    extra = 1 if spec["pairs"] else 0
    return fits_in_cell(_strings(spec), cell_pt, extra_lines=extra)


def _cell_for_numbers(specs, annotate, most=0.6):
    """The cell size for the row: ``CELL_IN``, or up to ``most`` inches when numbers need it."""
    need = CELL_IN
    for spec in specs:
        if spec.get("values") is None or not numbers_fit(spec, 72 * most, annotate):
            continue
        cell = CELL_IN
        while cell < most and not numbers_fit(spec, 72 * cell, annotate):
            cell += 0.03
        need = max(need, cell)
    return need


def gap_in(symbol):
    return max(0.55, text_width_pt(symbol, 16 if len(symbol) <= 2 else 11) / 72 + 0.35)


def _plan(specs, symbols, annotate, width_in, height_in, title, footer, legend_labels_):
    """Cell size (inches) and which grids are heatmaps, for the space available."""
    heat = [False] * len(specs)
    cell = largest = _cell_for_numbers(specs, annotate)
    cols = sum(s["shape"][1] for s in specs)
    rows = max(s["shape"][0] for s in specs)
    for _ in range(5):
        previous = cell
        gaps = _gaps_in(specs, symbols, cell)
        fixed_w = (2 * SIDE_IN + sum(gaps) + _overflow_in(specs[0], cell)
                   + _overflow_in(specs[-1], cell))
        fixed_w += CBAR_IN * sum(heat)
        top = _top_in(specs, cell, symbols, title)
        bottom = _bottom_in(width_in or MAX_WIDTH_IN, footer, legend_labels_)
        if any(heat):
            bottom += max(0.0, CBAR_MIN_IN - rows * cell)
        cell = min(largest, ((width_in or MAX_WIDTH_IN) - fixed_w) / cols)
        tall = annotate is True and all(np.prod(s["shape"]) <= _MAX_NUMBERS for s in specs)
        if height_in is not None or not tall:  # numbers asked for (and possible): grow tall
            cell = min(cell, ((height_in or MAX_HEIGHT_IN) - top - bottom) / rows)
        cell = max(cell, 1e-3)
        new_heat = [s.get("values") is not None and not numbers_fit(s, 72 * cell, annotate)
                    and s.get("heat", True) for s in specs]
        if new_heat == heat and abs(cell - previous) < 0.01 * cell:
            break
        heat = [a or b for a, b in zip(heat, new_heat)]
    return cell, heat, top, bottom, _gaps_in(specs, symbols, cell)


def _grid_title(spec, cell):
    if not spec.get("title"):
        return ""
    return wrap_to_width(spec["title"], 72 * max(spec["shape"][1] * cell, 2.5))


def _overflow_in(spec, cell):
    """How far (inches) a grid's title sticks out on each side of the grid."""
    title = _grid_title(spec, cell)
    if not title:
        return 0.0
    return max(0.0, (text_width_pt(title, TITLE_PT) / 72 - spec["shape"][1] * cell) / 2 + 0.04)


def _gaps_in(specs, symbols, cell):
    """Room after each grid: the connector's, plus the titles sticking out on both sides."""
    return [gap_in(symbol) + _overflow_in(left, cell) + _overflow_in(right, cell)
            for left, right, symbol in zip(specs, specs[1:], symbols)] + [0.0]


def _top_in(specs, cell, symbols, title):
    lines = max((_grid_title(s, cell).count("\n") + 1 if s.get("title") else 0) for s in specs)
    figtitle = (title.count("\n") + 1) * FIGTITLE_PT * LINE_IN + 0.06 if title else 0.0
    return 0.08 + lines * TITLE_PT * LINE_IN + figtitle


def _bottom_in(width_in, footer, labels):
    n_rows, _ = legend_rows(labels, 72 * (width_in - 2 * SIDE_IN))
    return 0.12 + len(footer) * FONT_PT * LINE_IN + n_rows * 0.24 + (0.06 if footer else 0)


def _text_width_in(title, footer, labels):
    """Widest of the figure title, the footer lines and one legend entry (handle included), inches."""
    widths = [text_width_pt(title, FIGTITLE_PT) if title else 0.0]
    widths += [text_width_pt(line) for line in footer]
    widths += [text_width_pt(label) + 2.8 * FONT_PT for label in labels]
    return max(widths) / 72 + 0.1


def _legend_guess(specs, legend, extra):
    if not legend:
        return []
    kinds = []
    for s in specs:
        kinds += [KINDS[k]["label"] for k, m in s["kinds"].items() if m.any()]
        if s["pairs"]:
            kinds.append(PAIR_LABEL)
    kinds += [h.get_label() for h in extra]
    return list(dict.fromkeys(kinds))


def plot_row(ax, grids, symbols=(), annotate=None, title=None, legend=True, footer=(),
             valign="center", extra_handles=()):
    """Draw grids left to right, top-aligned, with ``symbols[k]`` between grid k and k+1.

    Each grid is a dict with ``values`` (or ``shape``), ``name``, ``kinds``
    (kind to mask or cells), ``title``, ``texts`` (strings replacing the
    numbers), ``pairs`` (cells of the grid, one per product, coloured and
    lettered by pair), ``heat`` (False: never a heatmap).  ``footer`` lines
    are written under the grids; the legend lists the kinds drawn.  With
    ``ax=None`` a figure is made whose cells are ``CELL_IN`` inches when the
    row fits in ``MAX_WIDTH_IN``.  Returns the Axes; each grid's box
    ``(x0, y0, width, height)`` is kept in ``ax.convlab_boxes``.
    """
    specs = [prepare_grid(g) for g in grids]
    symbols = list(symbols) + [""] * len(specs)
    guess = _legend_guess(specs, legend, extra_handles)
    given = None
    if ax is not None:
        box = ax.get_position()
        given = (box.width * ax.figure.get_figwidth(), box.height * ax.figure.get_figheight())
    cell, heat, top, bottom, gaps = _plan(specs, symbols, annotate, given and given[0],
                                              given and given[1], title, footer, guess)
    cols = sum(s["shape"][1] for s in specs)
    rows = max(s["shape"][0] for s in specs)
    fixed_w = (2 * SIDE_IN + sum(gaps) + CBAR_IN * sum(heat) + _overflow_in(specs[0], cell)
               + _overflow_in(specs[-1], cell))
    content_w, content_h = fixed_w + cols * cell, top + rows * cell + bottom
    if ax is None:
        # wide enough for the title, the footer and a legend entry; the legend wraps to this width
        fig_w = max(content_w, _text_width_in(title, footer, guess) + 2 * SIDE_IN)
        fitted = _bottom_in(fig_w, footer, guess) + (
            max(0.0, CBAR_MIN_IN - rows * cell) if any(heat) else 0.0)
        content_h += max(0.0, fitted - bottom)
        fig = plt.figure(figsize=(fig_w, content_h))
        ax = fig.add_axes((0, 0, 1, 1))
        given = (fig_w, content_h)
    # data units: one cell; place content centred (or at the top) in the Axes
    x_lo = -(SIDE_IN + _overflow_in(specs[0], cell)) / cell - (given[0] - content_w) / (2 * cell)
    spare_h = (given[1] - content_h) / cell
    y_lo = -top / cell - (spare_h / 2 if valign == "center" else 0.0)
    ax.set_xlim(x_lo, x_lo + given[0] / cell)
    ax.set_ylim(y_lo + given[1] / cell, y_lo)
    ax.set_aspect("equal")
    ax.set_axis_off()
    boxes, x = [], 0.0
    for spec, gap, is_heat in zip(specs, gaps, heat):
        boxes.append(draw_grid(ax, spec, (x, 0.0), is_heat, cell, annotate))
        x += spec["shape"][1] + (CBAR_IN * is_heat + gap) / cell
    for spec, box in zip(specs, boxes):
        if spec.get("title"):
            ax.text(box[0] + box[2] / 2, -0.08 / cell, _grid_title(spec, cell),
                    ha="center", va="bottom", fontsize=TITLE_PT, gid="title", linespacing=1.1)
    for k, (left, right, symbol, is_heat) in enumerate(zip(boxes, boxes[1:], symbols, heat)):
        if symbol:
            x_sym = left[0] + left[2] + (CBAR_IN * is_heat + _overflow_in(specs[k], cell)
                                         + gap_in(symbol) / 2) / cell
            ax.text(x_sym, min(left[3], right[3]) / 2, symbol, ha="center", va="center",
                    fontsize=(20 if symbol == "\u22c6" else 16) if len(symbol) <= 2 else 11,
                    gid="connector")
    y = rows + (max(0.0, CBAR_MIN_IN / cell - rows) if any(heat) else 0.0) + 0.12 / cell
    for line in footer:
        ax.text(x_lo + given[0] / (2 * cell), y, line,
                ha="center", va="top", fontsize=FONT_PT, gid="footer")
        y += FONT_PT * LINE_IN / cell
    centre = x_lo + given[0] / (2 * cell)
    if legend:
        add_legend(ax, (centre, y + 0.06 / cell), 72 * (given[0] - 2 * SIDE_IN), extra_handles)
    if title:
        (_, fy), = ax.transLimits.transform([(0.0, y_lo + (spare_h / 2 if valign == "center" else 0))])
        ax.set_title(title, fontsize=FIGTITLE_PT, y=fy, va="top", pad=0)
    ax.convlab_description = ""  # redrawn: the inventory is this drawing's, not the last one's
    describe(ax, grid_sentence(specs, symbols, heat, {k: v["label"] for k, v in KINDS.items()},
                               title, footer))
    ax.convlab_boxes = boxes
    ax.convlab_heat = heat
    ax.convlab_cell_in = cell
    return ax


def draw_grid(ax, spec, origin, heat, cell, annotate):
    shape, kinds, name = spec["shape"], spec["kinds"], spec["name"]
    cell_pt = 72 * cell
    base = np.zeros(shape, dtype=bool)
    for kind, mask in kinds.items():
        if KINDS[kind]["alpha"] == 1:
            base |= mask
    drawn = [draw_cells(ax, ~base, "cell", origin, name, heat, cell_pt)]
    for kind, mask in kinds.items():
        drawn.append(draw_cells(ax, mask, kind, origin, name, heat, cell_pt))
    pairs = spec["pairs"] or []
    numbers = not heat and numbers_fit(spec, cell_pt, annotate)
    letters = bool(pairs) and (numbers or (heat and cell_pt >= 2 * FONT_PT))
    drawn.append(draw_pairs(ax, pairs, origin, name, heat, letters))
    for coll in drawn:
        if coll is not None:
            coll.heat = heat
    if heat:
        image = draw_heat(ax, spec["values"], origin, name, spec.get("cmap"))
        height = max(shape[0], CBAR_MIN_IN / cell)
        add_colorbar(ax, image, origin[0] + shape[1] + 0.1 / cell, origin[1], height,
                     width=0.14 / cell)
    elif numbers and spec.get("texts") is not None:
        draw_texts(ax, np.asarray(spec["texts"], dtype=object), origin)
    elif numbers:
        draw_numbers(ax, _strings(spec), shape, origin, name, raise_cells=pairs if letters else ())
    return (origin[0], origin[1], shape[1], shape[0])


def drawn_numbers(ax):
    """The numbers written in each grid, by grid name, in row-major order."""
    _checks.check_axes(ax, optional=False)
    return {coll.get_label().rsplit(":", 1)[0]: list(coll.strings) for coll in ax.collections
            if coll.get_label().endswith(":numbers")}


def lit_cells(ax):
    """The cells drawn per ``"<grid>:<kind>"`` label, as sets of (row, col).

    Examples
    --------
    >>> ax = show_grid(np.zeros((2, 3)), kinds={"window": [(0, 1), (1, 2)]})
    >>> sorted(lit_cells(ax)["grid:window"])
    [(0, 1), (1, 2)]
    """
    _checks.check_axes(ax, optional=False)
    found = {}
    for coll in ax.collections:
        if hasattr(coll, "cells"):
            found.setdefault(coll.get_label(), set()).update(map(tuple, coll.cells.tolist()))
    return found


def drawn_cells(ax):
    """Count the cells drawn per ``"<grid>:<kind>"`` label.

    Examples
    --------
    >>> ax = show_grid(np.zeros((2, 3)), kinds={"padding": [(0, 0)]})
    >>> drawn_cells(ax)
    {'grid:cell': 5, 'grid:padding': 1}
    """
    _checks.check_axes(ax, optional=False)
    counts = {}
    for coll in ax.collections:
        if hasattr(coll, "cells"):
            counts[coll.get_label()] = counts.get(coll.get_label(), 0) + len(coll.cells)
    return counts


def show_grid(array, ax=None, annotate=None, title=None, kinds=None, legend=True):
    """Draw a 2-D array as a grid of cells, its numbers written in when they fit.

    Parameters
    ----------
    array : array_like, shape (H, W)
    ax : matplotlib Axes, optional
        Drawn into when given; otherwise a new figure is made.
    annotate : bool, optional
        None (default): numbers when the grid is at most 16 x 16 and they fit;
        True: numbers whenever they fit; False: never.  A grid without
        numbers is a heatmap with a colour bar.
    title : str, optional
    kinds : dict, optional
        Kind name (a key of :data:`KINDS`, e.g. ``"padding"``) to a boolean
        mask or a list of (row, col) cells styled that way.
    legend : bool
        Add a legend of the kinds drawn.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = show_grid([[1, 2], [3, 4]], title="x")
    >>> drawn_numbers(ax)
    {'grid': ['1', '2', '3', '4']}
    >>> ax = show_grid(np.ones((40, 40)))        # too large for numbers: a heatmap
    >>> drawn_numbers(ax), len(ax.images)
    ({}, 1)
    """
    _checks.check_plot_args(ax=ax, annotate=annotate, title=title, legend=legend)
    array = _checks.as_array(array, "array")
    _checks.check_ndim(array, "array", (2,), "2-D")
    if kinds is not None:
        if not isinstance(kinds, dict):
            raise TypeError(f"kinds must be a dict of kind name to cells; got {type(kinds).__name__}")
        for kind in kinds:
            _checks.check_choice(kind, "kinds key", tuple(KINDS))
    spec = dict(values=array, kinds=kinds, title=title)
    return plot_row(ax, [spec], annotate=annotate, legend=legend)
