"""How convlab figures look: palette, cell kinds, sizes, and how a number is written.

Every size here is a rule the figures keep: text is never under
:data:`FONT_PT` points, a cell is :data:`CELL_IN` inches when there is room
(24 px at 100 % zoom needs 0.25 in at 96 dpi), and a number is written in
its cell only when it fits there at that size -- otherwise the grid is drawn
as a heatmap with a colour bar.
"""
import functools
import textwrap

import numpy as np
from matplotlib.font_manager import FontProperties
from matplotlib.path import Path
from matplotlib.textpath import TextPath

__all__ = ["OKABE_ITO", "KINDS", "PAIR_COLORS", "explorer_palette", "cell_text", "text_width_pt",
           "fits_in_cell", "wrap_to_width", "pair_letter"]

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
    "uncovered": dict(facecolor="#F4C6A8", edgecolor=OKABE_ITO["vermillion"], hatch="xx", alpha=1.0,
                      label="never covered"),
    "nonfinite": dict(facecolor="#D9D9D9", edgecolor="#444444", hatch="++", alpha=1.0, label="NaN or \u00b1\u221e"),
    "window": dict(facecolor=OKABE_ITO["sky_blue"], edgecolor=OKABE_ITO["blue"], hatch=None, alpha=0.55,
                   label="kernel window"),
    "selected": dict(facecolor=OKABE_ITO["orange"], edgecolor="#8A5A00", hatch=None, alpha=0.75,
                     label="current output"),
    "contrib": dict(facecolor=OKABE_ITO["bluish_green"], edgecolor="#00573F", hatch=None, alpha=0.55,
                    label="contributes"),
    "target": dict(facecolor=OKABE_ITO["reddish_purple"], edgecolor="#7A3A62", hatch=None, alpha=0.8,
                   label="target cell"),
}

#: Colours that tell product pairs (and im2row windows) apart; Okabe-Ito first.
PAIR_COLORS = [OKABE_ITO[k] for k in ("orange", "sky_blue", "bluish_green", "vermillion", "blue",
                                      "yellow")] + ["#999999", "#66C2A5", "#8C6BB1"]


def explorer_palette():
    """The figures' colours for the explorers' ES module: one palette for both.

    ``css`` becomes CSS custom properties on each explorer (``--cl-window``,
    ``--cl-selected``, ...), ``pairs`` colours the product pairs.

    Examples
    --------
    >>> p = explorer_palette()
    >>> p["css"]["window"] == KINDS["window"]["facecolor"], p["pairs"][0] == PAIR_COLORS[0]
    (True, True)
    """
    css = {}
    for kind in ("window", "selected", "target", "contrib"):
        css[kind] = KINDS[kind]["facecolor"]
        css[f"{kind}-edge"] = KINDS[kind]["edgecolor"]
    return {"css": css, "pairs": list(PAIR_COLORS)}


FONT_PT = 9.0          #: numbers, legends, colour-bar ticks, labels
TITLE_PT = 10.0        #: the title above each grid
FIGTITLE_PT = 11.0     #: the title of the whole figure
CELL_IN = 0.42         #: preferred cell size (inches)
MAX_WIDTH_IN = 12.0    #: widest figure a function makes by itself
MAX_HEIGHT_IN = 9.0    #: tallest figure a function makes by itself
MAX_ANNOTATED = 16     #: by default grids larger than this (either side) are heatmaps
SIGNED_CMAP = "RdBu_r"  #: diverging, centred on 0
UNSIGNED_CMAP = "viridis"

_FONT = FontProperties(family="DejaVu Sans")


def cell_text(value):
    """Short label for one number: integers plainly, others with 3 significant digits.

    NaN and infinities are written out instead of failing.

    Examples
    --------
    >>> [cell_text(v) for v in (3.0, -0.125, 1 / 3, np.nan, np.inf, -np.inf)]
    ['3', '-0.125', '0.333', 'nan', '\u221e', '-\u221e']
    """
    value = float(value)
    if np.isnan(value):
        return "nan"
    if np.isinf(value):
        return "\u221e" if value > 0 else "-\u221e"
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.3g}"


@functools.lru_cache(maxsize=4096)
def glyphs(text):
    """Outline of ``text`` one point high, centred on the origin (cached)."""
    path = TextPath((0, 0), text, size=1, prop=_FONT)
    box = path.get_extents()
    return Path(path.vertices - [(box.x0 + box.x1) / 2, 0.36], path.codes)


@functools.lru_cache(maxsize=4096)
def _width_one_pt(line):
    if not line:
        return 0.0
    box = TextPath((0, 0), line, size=1, prop=_FONT).get_extents()
    return box.x1 - min(box.x0, 0.0)


def text_width_pt(text, size=FONT_PT):
    """Width in points of the widest line of ``text`` at ``size`` points."""
    return size * max(_width_one_pt(line) for line in str(text).split("\n"))


def fits_in_cell(strings, cell_pt, size=FONT_PT, extra_lines=0):
    """Whether every string fits inside a square cell of ``cell_pt`` points.

    The check uses the widest distinct string (so a grid of repeated values
    costs one measurement per distinct value).
    """
    distinct = set(strings)
    if not distinct:
        return True
    lines = max(s.count("\n") + 1 for s in distinct) + extra_lines
    widest = max(text_width_pt(s, size) for s in distinct)
    return widest <= 0.86 * cell_pt and 1.2 * size * lines <= 0.92 * cell_pt


def wrap_to_width(text, width_pt, size=TITLE_PT):
    """``text`` wrapped into lines no wider than ``width_pt`` (words are never split)."""
    per_char = max(text_width_pt(text, size) / max(len(text), 1), 1e-6)
    chars = max(int(width_pt / per_char), 8)
    return "\n".join(textwrap.wrap(text, chars, break_long_words=False)) or text


def pair_letter(k):
    """Label of the ``k``-th product pair: a..z then A..Z, None beyond."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[k] if k < len(letters) else None
