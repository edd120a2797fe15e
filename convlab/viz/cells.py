"""Drawing one grid's cells: kinds as collections, numbers as glyphs, heatmaps with colour bars.

A grid lives in data coordinates where one cell is one unit and row 0 is at
the top.  Cells of one kind are one :class:`~matplotlib.collections.PathCollection`
labelled ``"<grid>:<kind>"`` that keeps its cells in ``.cells`` (an (N, 2)
array of row, col), so a test or a widget can read back what was drawn.
"""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import PathCollection
from matplotlib.colors import Normalize
from matplotlib.path import Path
from matplotlib.transforms import Affine2D

from .style import FONT_PT, KINDS, PAIR_COLORS, SIGNED_CMAP, UNSIGNED_CMAP, glyphs

__all__ = ["cells_collection", "draw_cells", "draw_numbers", "draw_texts", "draw_heat",
           "add_colorbar", "draw_pairs", "as_mask"]

_OVERLAY_Z = {"window": 3, "selected": 3, "contrib": 3, "target": 4}


def as_mask(cells, shape):
    """Boolean mask of ``shape`` from a mask or an iterable of (row, col) pairs."""
    if isinstance(cells, np.ndarray) and cells.dtype == bool:
        if cells.shape != tuple(shape):
            raise ValueError(f"a kinds mask must have the grid's shape {tuple(shape)}; "
                             f"got {cells.shape}")
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


def cells_collection(ax, rows, cols, origin, label, inset=0.0, hatch=None, separate=False,
                     **style):
    """Add the squares at (rows, cols) as one collection; return it.

    By default the squares form *one* compound path (Agg sets up a hatch
    pattern once per path, so hatched grids draw many times faster);
    ``separate=True`` keeps one path per square, for one colour per cell.
    """
    rows, cols = np.asarray(rows, dtype=int), np.asarray(cols, dtype=int)
    squares = _squares(rows, cols, *origin, inset)
    if separate:
        paths = [Path(np.vstack([sq, sq[:1]]), closed=True) for sq in squares]
    else:
        paths = [Path.make_compound_path_from_polys(squares)]
    coll = PathCollection(paths, label=label, **style)
    coll.set_transform(ax.transData)
    if hatch:
        coll.set_hatch(hatch)
    coll.cells = np.column_stack([rows, cols])
    ax.add_collection(coll, autolim=False)
    return coll


def draw_cells(ax, mask, kind, origin, name, heat=False, cell_pt=30.0):
    """One collection with a square per True cell of ``mask`` (None if empty).

    Over a heatmap (``heat``) nothing is filled: base kinds keep their hatch
    and overlays become thick outlines, so the colours stay readable.
    """
    rows, cols = np.nonzero(mask)
    if len(rows) == 0:
        return None
    style = KINDS[kind]
    overlay = style["alpha"] < 1
    face, edge, alpha = style["facecolor"], style["edgecolor"], style["alpha"] if overlay else None
    width = 1.8 if overlay else 0.8
    if heat:
        face, alpha = "none", None
        if kind == "cell":
            edge = "#FFFFFF80" if cell_pt >= 8 else "none"
            width = 0.4
        elif overlay:
            width = 2.2
    return cells_collection(ax, rows, cols, origin, f"{name}:{kind}", hatch=style["hatch"],
                            facecolor=face, edgecolor=edge, linewidth=width, alpha=alpha,
                            zorder=_OVERLAY_Z.get(kind, 1))


def draw_numbers(ax, strings, shape, origin, name, size=FONT_PT, raise_cells=()):
    """Write ``strings`` (row-major over ``shape``) in their cells as one collection of glyphs.

    One collection draws far faster than one ``Text`` per cell.  Cells in
    ``raise_cells`` get their number in the upper part, leaving room for a
    pair letter below.  The strings are kept in ``.strings`` and the size in
    points in ``.fontsize``.
    """
    rows, cols = np.indices(shape)
    dy = np.full(shape, 0.5)
    for r, c in raise_cells:
        dy[r, c] = 0.34
    offsets = np.column_stack([origin[0] + cols.ravel() + 0.5, origin[1] + rows.ravel() + dy.ravel()])
    coll = PathCollection([glyphs(t) for t in strings], offsets=offsets,
                          offset_transform=ax.transData, facecolor="black", edgecolor="none",
                          zorder=5, label=f"{name}:numbers")
    coll.strings = list(strings)
    coll.fontsize = size
    coll.set_transform(Affine2D().scale(size / 72) + ax.figure.dpi_scale_trans)
    ax.add_collection(coll, autolim=False)
    return coll


def draw_texts(ax, texts, origin, size=FONT_PT):
    """One ``Text`` per cell (for multi-line labels), gid ``"celltext"``."""
    x0, y0 = origin
    for (r, c), v in np.ndenumerate(texts):
        ax.text(x0 + c + 0.5, y0 + r + 0.5, v, ha="center", va="center", zorder=5,
                fontsize=size, gid="celltext", linespacing=1.1)


def heat_norm(values):
    """Colour map and limits for ``values``: diverging around 0 when any finite value is negative."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return UNSIGNED_CMAP, Normalize(0.0, 1.0)
    lo, hi = float(finite.min()), float(finite.max())
    if lo < 0:
        top = max(abs(lo), abs(hi))
        return SIGNED_CMAP, Normalize(-top, top)
    if hi == lo:
        return UNSIGNED_CMAP, Normalize(lo - 0.5, hi + 0.5) if lo == 0 else Normalize(0.0, hi)
    return UNSIGNED_CMAP, Normalize(lo, hi)


def draw_heat(ax, values, origin, name, cmap=None):
    """The grid's values as an image in its cells; NaN and infinities in the 'bad' grey."""
    values = np.asarray(values, dtype=float)
    default_cmap, norm = heat_norm(values)
    h, w = values.shape
    x0, y0 = origin
    colours = plt.get_cmap(cmap or default_cmap).with_extremes(bad="#D9D9D9")
    image = ax.imshow(np.ma.masked_invalid(values), cmap=colours, norm=norm,
                      extent=(x0, x0 + w, y0 + h, y0), interpolation="nearest", zorder=0.5,
                      aspect="auto")
    image.set_label(f"{name}:heat")
    return image


def add_colorbar(ax, image, x, y_top, height, width=0.18):
    """A colour bar for ``image`` at data position ``x`` (left), ``y_top``, in data units.

    It is an inset of ``ax`` (not a new figure Axes), so the figure's own
    Axes list is unchanged; its ticks are at the figure's text size.
    """
    (fx0, fy_top), (fx1, fy_bottom) = ax.transLimits.transform(
        [(x, y_top), (x + width, y_top + height)])
    cax = ax.inset_axes([fx0, fy_bottom, fx1 - fx0, fy_top - fy_bottom])
    cax.set_gid("colorbar")
    bar = ax.figure.colorbar(image, cax=cax)
    cax.tick_params(labelsize=FONT_PT, length=2.5, pad=1.5)
    bar.outline.set_linewidth(0.6)
    return bar


def draw_pairs(ax, pairs, origin, name, heat=False, letters=True):
    """Colour each cell of ``pairs`` (a list of (row, col), one per product) by its pair.

    The cell of pair ``k`` gets colour ``PAIR_COLORS[k % len]`` and, with
    ``letters``, the pair's letter (see :func:`convlab.viz.style.pair_letter`)
    in its lower part.  The collection is labelled ``"<grid>:contrib"`` and
    keeps ``.pair_index``, the pair of every cell.
    """
    from .style import pair_letter

    if not pairs:
        return None
    rows, cols = zip(*pairs)
    colors = [PAIR_COLORS[k % len(PAIR_COLORS)] for k in range(len(pairs))]
    style = dict(facecolor="none", edgecolor=colors, linewidth=2.4) if heat else dict(
        facecolor=colors, edgecolor="#333333", linewidth=1.0, alpha=0.6)
    coll = cells_collection(ax, rows, cols, origin, f"{name}:contrib", separate=True,
                            zorder=3, **style)
    coll.pair_index = np.arange(len(pairs))
    if letters:
        x0, y0 = origin
        for k, (r, c) in enumerate(pairs):
            letter = pair_letter(k)
            if letter:
                # on a heatmap the letter sits on a white badge in its pair's colour, so it
                # reads on any cell colour (WCAG contrast against what it sits on)
                badge = dict(boxstyle="round,pad=0.12", facecolor="white", edgecolor=colors[k],
                             linewidth=1.2) if heat else None
                ax.text(x0 + c + 0.5, y0 + r + 0.76, letter, ha="center", va="center",
                        fontsize=FONT_PT, fontweight="bold", color="#222222", zorder=6,
                        gid="pairlabel", bbox=badge)
    return coll
