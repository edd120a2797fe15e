"""Annotated grids of cells: the drawing vocabulary every convlab figure shares.

A figure is one or more grids laid out left to right in a single Axes, in
data coordinates where one cell is one unit and row 0 is at the top.  Cells
are drawn as one :class:`~matplotlib.collections.PatchCollection` per grid
and *kind* (padding, kernel window, uncovered, inserted zero, ...), each
labelled ``"<grid>:<kind>"`` so a test or a widget can ask what was drawn
with :func:`drawn_cells`.  Kinds have fixed colour-blind-safe styles (the
Okabe-Ito palette plus hatching, so they also read in greyscale) and one
shared legend.
"""
import functools

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import PathCollection
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.transforms import Affine2D

__all__ = ["OKABE_ITO", "KINDS", "show_grid", "drawn_cells", "drawn_numbers", "legend_labels",
           "legend_html"]

#: The Okabe-Ito palette, distinguishable with every common colour-vision deficiency.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}

#: Style and legend label of every kind of cell.  Overlays (``alpha < 1``) sit
#: on top of base cells, so a window over padding shows both.
KINDS = {
    "cell": dict(facecolor="white", edgecolor="#9A9A9A", hatch=None, alpha=1.0, label="value"),
    "padding": dict(facecolor="#E4E4E4", edgecolor="#9A9A9A", hatch="///", alpha=1.0, label="padding (zeros)"),
    "inserted": dict(facecolor="#F7F0A0", edgecolor="#9A9A9A", hatch="...", alpha=1.0, label="inserted zero"),
    "uncovered": dict(facecolor="#F4C6A8", edgecolor=OKABE_ITO["vermillion"], hatch="xx", alpha=1.0, label="never covered"),
    "window": dict(facecolor=OKABE_ITO["sky_blue"], edgecolor=OKABE_ITO["blue"], hatch=None, alpha=0.55, label="kernel window"),
    "selected": dict(facecolor=OKABE_ITO["orange"], edgecolor="#8A5A00", hatch=None, alpha=0.75, label="current output"),
    "contrib": dict(facecolor=OKABE_ITO["bluish_green"], edgecolor="#00573F", hatch=None, alpha=0.55, label="contributes"),
    "target": dict(facecolor=OKABE_ITO["reddish_purple"], edgecolor="#7A3A62", hatch=None, alpha=0.8, label="target cell"),
}
_NUMBER_FONT = FontProperties(family="DejaVu Sans")
_OVERLAY_Z = {"window": 3, "selected": 3, "contrib": 3, "target": 4}


def new_axes(ax, figsize):
    """Return ``ax`` or a fresh Axes on a new pyplot figure of ``figsize``."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def clear_artists(ax):
    """Remove everything drawn in ``ax`` but keep the Axes itself.

    Far cheaper than ``ax.clear()``, which rebuilds ticks and spines; the
    explorers redraw into the same Axes this way.
    """
    for artist in (*ax.collections, *ax.texts, *ax.images, *ax.lines, *ax.patches):
        artist.remove()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    ax.set_title("")
    return ax


def reuse_axes(fig, rect=(0, 0, 1, 1)):
    """The figure's only Axes, emptied with :func:`clear_artists`; created at ``rect`` if needed."""
    if len(fig.axes) == 1 and getattr(fig.axes[0], "_convlab_rect", None) == tuple(rect):
        return clear_artists(fig.axes[0])
    fig.clear()
    ax = fig.add_axes(rect)
    ax._convlab_rect = tuple(rect)
    return ax


def cell_text(value):
    """Short label for one number: integers plainly, others with 3 significant digits."""
    value = float(value)
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.3g}"


def as_mask(cells, shape):
    """Boolean mask of ``shape`` from a mask or an iterable of (row, col) pairs."""
    if isinstance(cells, np.ndarray) and cells.dtype == bool:
        return cells
    mask = np.zeros(shape, dtype=bool)
    for r, c in cells:
        mask[r, c] = True
    return mask


def _squares(rows, cols, x0, y0, inset=0.0):
    """Corner coordinates (N, 4, 2) of unit squares at cells (rows, cols)."""
    left = x0 + np.asarray(cols, dtype=float)[:, None] + inset
    top = y0 + np.asarray(rows, dtype=float)[:, None] + inset
    size = 1.0 - 2 * inset
    xs = left + np.array([0.0, size, size, 0.0])
    ys = top + np.array([0.0, 0.0, size, size])
    return np.stack([xs, ys], axis=-1)


def cells_collection(ax, rows, cols, origin, label, inset=0.0, hatch=None, **style):
    """Add the squares at (rows, cols) as *one* compound path; return the collection.

    One path per kind rather than one per cell: Agg sets up a hatch pattern
    once per path, so this draws hatched grids many times faster.  The cells
    are kept in ``.cells`` (an (N, 2) array of row, col) for inspection.
    """
    rows, cols = np.asarray(rows, dtype=int), np.asarray(cols, dtype=int)
    path = Path.make_compound_path_from_polys(_squares(rows, cols, *origin, inset))
    coll = PathCollection([path], label=label, **style)
    coll.set_transform(ax.transData)
    if hatch:
        coll.set_hatch(hatch)
    coll.cells = np.column_stack([rows, cols])
    ax.add_collection(coll, autolim=False)
    return coll


def draw_cells(ax, mask, kind, origin, name):
    """Add one collection with a square per True cell of ``mask``; return it (None if empty)."""
    rows, cols = np.nonzero(mask)
    if len(rows) == 0:
        return None
    style = KINDS[kind]
    overlay = style["alpha"] < 1
    return cells_collection(
        ax, rows, cols, origin, f"{name}:{kind}", hatch=style["hatch"],
        facecolor=style["facecolor"], edgecolor=style["edgecolor"],
        linewidth=1.8 if overlay else 0.8, alpha=style["alpha"] if overlay else None,
        zorder=_OVERLAY_Z.get(kind, 1),
    )


@functools.lru_cache(maxsize=512)
def _glyphs(text):
    """Outline of ``text`` one point high, centred on the origin (cached)."""
    path = TextPath((0, 0), text, size=1, prop=_NUMBER_FONT)
    box = path.get_extents()
    return Path(path.vertices - [(box.x0 + box.x1) / 2, 0.36], path.codes)


def draw_numbers(ax, values, origin, name):
    """Write every value in its cell, as one collection of glyph outlines.

    One collection draws far faster than one ``Text`` per cell, which keeps
    the explorers interactive.  The strings are kept in ``.strings``; the
    font size is set by :func:`finish`.
    """
    values = np.asarray(values)
    strings = [cell_text(v) for v in values.ravel()]
    rows, cols = np.indices(values.shape)
    offsets = np.column_stack([origin[0] + cols.ravel() + 0.5, origin[1] + rows.ravel() + 0.5])
    coll = PathCollection([_glyphs(t) for t in strings], offsets=offsets,
                          offset_transform=ax.transData, facecolor="black", edgecolor="none",
                          zorder=5, label=f"{name}:numbers")
    coll.strings = strings
    coll.set_transform(Affine2D().scale(10 / 72) + ax.figure.dpi_scale_trans)
    ax.add_collection(coll, autolim=False)
    return coll


def draw_grid(ax, values=None, shape=None, origin=(0, 0), name="grid", kinds=None,
              annotate=True, title=None, texts=None):
    """Draw one grid; return its box ``(x0, y0, width, height)``.

    ``kinds`` maps a kind to a mask or to (row, col) pairs; cells of no base
    kind are plain ``"cell"``.  ``texts`` (an object array of strings) replaces
    the numbers when given.
    """
    if values is not None:
        values = np.asarray(values)
        shape = values.shape
    shape = tuple(shape)
    kinds = {k: as_mask(v, shape) for k, v in (kinds or {}).items()}
    base = np.zeros(shape, dtype=bool)
    for kind, mask in kinds.items():
        if KINDS[kind]["alpha"] == 1:
            base |= mask
    draw_cells(ax, ~base, "cell", origin, name)
    for kind, mask in kinds.items():
        if mask.any():
            draw_cells(ax, mask, kind, origin, name)
    x0, y0 = origin
    if annotate and texts is not None:
        for (r, c), v in np.ndenumerate(texts):
            ax.text(x0 + c + 0.5, y0 + r + 0.5, v, ha="center", va="center", zorder=5,
                    gid="celltext")
    elif annotate and values is not None:
        draw_numbers(ax, values, origin, name)
    if title:
        ax.text(x0 + shape[1] / 2, y0 - 0.35, title, ha="center", va="bottom",
                fontsize=10, gid="title")
    return (x0, y0, shape[1], shape[0])


def connector(ax, box_left, box_right, symbol):
    """Write ``symbol`` (e.g. ``"="``) midway between two grid boxes."""
    x = (box_left[0] + box_left[2] + box_right[0]) / 2
    y = min(box_left[1] + box_left[3] / 2, box_right[1] + box_right[3] / 2)
    ax.text(x, y, symbol, ha="center", va="center", fontsize=16 if len(symbol) <= 2 else 11,
            gid="connector")


def draw_row(ax, grids, symbols=(), annotate=True, gap=2.0):
    """Draw grids left to right, top-aligned, with ``symbols[k]`` between grid k and k+1.

    Each grid is a dict of :func:`draw_grid` keywords (``values``, ``name``,
    ``kinds``, ``title``, ``texts``, ``shape``); returns their boxes.
    """
    boxes, x = [], 0.0
    symbols = list(symbols) + [""] * len(grids)
    for spec, symbol in zip(grids, symbols):
        spec = dict(spec)
        spec.setdefault("annotate", annotate)
        boxes.append(draw_grid(ax, origin=(x, 0), **spec))
        x += boxes[-1][2] + _gap(gap, symbol)
    for left, right, symbol in zip(boxes, boxes[1:], symbols):
        if symbol:
            connector(ax, left, right, symbol)
    return boxes


def _gap(gap, symbol):
    """Room between two grids: wider for a word such as "row2im"."""
    return gap if len(symbol) <= 2 else gap + 0.4 * len(symbol)


def row_figsize(grids, gap=2.0, cell=0.42, max_width=12.0):
    """A figure size that gives cells about ``cell`` inches, capped at ``max_width``."""
    shapes = [np.shape(g["values"]) if g.get("values") is not None else g["shape"] for g in grids]
    width = sum(s[1] for s in shapes) + gap * (len(shapes) - 1) + 1.2
    height = max(s[0] for s in shapes) + 2.6
    scale = min(cell, max_width / width)
    return (width * scale, max(height * scale, 2.0))


def finish(ax, boxes, legend=True, title=None, margin=0.6):
    """Fit the view to ``boxes``, size the numbers to the cells, add the legend."""
    x_min = min(b[0] for b in boxes) - margin
    x_max = max(b[0] + b[2] for b in boxes) + margin
    y_min = min(b[1] for b in boxes) - margin - 0.9
    y_max = max(b[1] + b[3] for b in boxes) + margin
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_max, y_min)
    ax.set_aspect("equal")
    ax.set_axis_off()
    fig = ax.figure
    width_in = fig.get_figwidth() * ax.get_position().width
    height_in = fig.get_figheight() * ax.get_position().height
    cell_pt = 72 * min(width_in / (x_max - x_min), height_in / (y_max - y_min))
    size = float(np.clip(0.4 * cell_pt, 4, 12))
    for text in ax.texts:
        if text.get_gid() == "celltext":
            text.set_fontsize(min(size, 10))
    for coll in ax.collections:
        if coll.get_label().endswith(":numbers"):
            coll.set_transform(Affine2D().scale(size / 72) + fig.dpi_scale_trans)
    if title:
        ax.set_title(title, fontsize=11, y=1.0)  # a fixed y skips the slow automatic placement
    if legend:
        add_legend(ax)
    return ax


def drawn_numbers(ax):
    """The numbers written in each grid, by grid name, in row-major order."""
    return {coll.get_label().rsplit(":", 1)[0]: list(coll.strings) for coll in ax.collections
            if coll.get_label().endswith(":numbers")}


def drawn_cells(ax):
    """Count the cells drawn per ``"<grid>:<kind>"`` label.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = show_grid(np.zeros((2, 3)), kinds={"padding": [(0, 0)]})
    >>> drawn_cells(ax)
    {'grid:cell': 5, 'grid:padding': 1}
    >>> plt.close("all")
    """
    counts = {}
    for coll in ax.collections:
        label = coll.get_label()
        if ":" in label and not label.endswith(":numbers"):
            n = len(coll.cells) if hasattr(coll, "cells") else len(coll.get_paths())
            counts[label] = counts.get(label, 0) + n
    return counts


def _kinds_drawn(ax):
    seen = []
    for label in drawn_cells(ax):
        kind = label.split(":", 1)[1]
        if kind != "cell" and kind not in seen:
            seen.append(kind)
    return seen


def add_legend(ax):
    """One legend entry per kind drawn in ``ax`` (plain cells excluded)."""
    seen = _kinds_drawn(ax)
    if not seen:
        return None
    handles = []
    for kind in seen:
        style = KINDS[kind]
        handles.append(Patch(facecolor=style["facecolor"], edgecolor=style["edgecolor"],
                             hatch=style["hatch"], alpha=style["alpha"], label=style["label"]))
    per_row = 4 if ax.figure.get_figwidth() >= 6 else 2
    return ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                     ncol=min(len(handles), per_row), frameon=False, fontsize=9,
                     handlelength=1.6, borderaxespad=0.2)


_CSS_HATCH = {
    "///": "repeating-linear-gradient(135deg, {edge} 0 1px, {face} 1px 4px)",
    "...": "radial-gradient({edge} 0.8px, {face} 1px) 0 0 / 4px 4px",
    "xx": ("repeating-linear-gradient(45deg, {edge} 0 1px, transparent 1px 4px), "
           "repeating-linear-gradient(135deg, {edge} 0 1px, {face} 1px 4px)"),
}


def legend_html(ax):
    """The legend of :func:`add_legend` as HTML swatches (for widgets, drawn by the browser).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = show_grid(np.zeros((2, 2)), kinds={"window": [(0, 0)]}, legend=False)
    >>> "kernel window" in legend_html(ax)
    True
    >>> plt.close("all")
    """
    items = []
    for kind in _kinds_drawn(ax):
        style = KINDS[kind]
        face, edge = style["facecolor"], style["edgecolor"]
        background = _CSS_HATCH.get(style["hatch"], "{face}").format(face=face, edge=edge)
        opacity = style["alpha"] if style["alpha"] < 1 else 1
        items.append(
            f'<span style="display:inline-block;width:14px;height:14px;vertical-align:middle;'
            f'background:{background};border:1px solid {edge};opacity:{opacity:.2f};'
            f'margin:0 4px 0 12px"></span>{style["label"]}')
    return '<span class="convlab-legend">' + "".join(items) + "</span>"


def legend_labels(ax):
    """The legend's labels, in order (empty when there is no legend)."""
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


def show_grid(array, ax=None, annotate=None, title=None, kinds=None, legend=True):
    """Draw a 2-D array as a grid of cells with its numbers written in.

    Parameters
    ----------
    array : array_like, shape (H, W)
    ax : matplotlib Axes, optional
        Drawn into when given; otherwise a new figure is made.
    annotate : bool, optional
        Write the numbers; default when the grid has at most 16 x 16 cells.
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
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = show_grid([[1, 2], [3, 4]], title="x")
    >>> drawn_numbers(ax)
    {'grid': ['1', '2', '3', '4']}
    >>> plt.close("all")
    """
    array = np.asarray(array)
    if array.ndim != 2:
        raise ValueError(f"array must be 2-D; got shape {array.shape}")
    if annotate is None:
        annotate = max(array.shape) <= 16
    ax = new_axes(ax, (max(2.0, 0.45 * array.shape[1] + 0.6), max(2.0, 0.45 * array.shape[0] + 1.0)))
    box = draw_grid(ax, array, kinds=kinds, annotate=annotate, title=title)
    return finish(ax, [box], legend=legend)
