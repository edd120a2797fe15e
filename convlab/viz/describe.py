"""Figures that describe themselves: a text alternative in words, carried as the image's ``alt``.

Every figure function of :mod:`convlab.viz` ends with :func:`describe`,
which keeps a sentence or two on the figure ("Padded input x, 9×9, ...
correlated with kernel w, 3×3, gives output y, 4×4; the kernel window
covers rows 2, 4, 6 ...").  :func:`description` reads it back.

Jupyter carries alt text for an image output in the output's metadata,
``{"image/png": {"alt": ...}}`` (what ``IPython.display.Image(alt=...)``
writes and nbconvert's classic HTML template reads).  When a figure is shown
in IPython, the PNG formatter for matplotlib figures is wrapped so that it
returns that metadata with the picture; the handout export
(:mod:`convlab.course.handout`) writes it as the ``<img alt="...">``.
"""
import functools

import numpy as np

__all__ = ["describe", "description", "grid_sentence", "cells_phrase", "span_text"]

# How the symbol between two grids reads aloud.
_SYMBOL_WORDS = {"\u22c6": "correlated with", "=": "gives", "\u2192": "becomes",
                 "\u21bb 180\u00b0": "rotated 180\u00b0 gives", "+": "plus", "\u00d7": "times"}


def describe(target, text, before=False):
    """Keep ``text`` as the text alternative of ``target`` (an Axes or a Figure); return ``target``.

    ``before=True`` puts ``text`` in front of what is already there (a
    function's own sentence ahead of the grids' inventory).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = describe(ax, "Three grids.")
    >>> _ = describe(ax, "A window slides.", before=True)
    >>> description(fig)
    'A window slides. Three grids.'
    >>> plt.close(fig)
    """
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    if not isinstance(target, (Axes, Figure)):
        raise TypeError(f"target must be a matplotlib Axes or Figure; got {type(target).__name__}")
    if not isinstance(text, str) or not text.strip():
        raise TypeError(f"text must be a non-empty str (what the figure shows, in words); got {text!r}")
    if not isinstance(before, bool):
        raise TypeError(f"before must be a bool; got {type(before).__name__}")
    text = " ".join(text.split())
    old = getattr(target, "convlab_description", "")
    if old:
        text = f"{text} {old}" if before else f"{old} {text}"
    target.convlab_description = text
    _carry_alt_in_ipython()
    return target


def description(target):
    """The text alternative of an Axes or a Figure ('' when none was given).

    A Figure's is its own, else its Axes' descriptions in order.
    """
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    if not isinstance(target, (Axes, Figure)):
        raise TypeError(f"target must be a matplotlib Axes or Figure; got {type(target).__name__}")
    own = getattr(target, "convlab_description", "")
    if own or not hasattr(target, "get_axes"):
        return own
    return " ".join(t for t in (getattr(ax, "convlab_description", "") for ax in target.get_axes()) if t)


def span_text(values):
    """Indices in words: ``"2\u20135"`` when consecutive, ``"1, 3, 5"`` otherwise."""
    values = [int(v) for v in values]
    if len(values) > 2 and all(b - a == 1 for a, b in zip(values, values[1:])):
        return f"{values[0]}\u2013{values[-1]}"
    if len(values) > 8:
        return f"{', '.join(map(str, values[:4]))}, \u2026, {values[-1]}"
    return ", ".join(map(str, values))


def cells_phrase(mask):
    """Where the ``True`` cells of a 2-D mask are: "all 9 cells", "1 cell at row 2, column 3", ..."""
    mask = np.asarray(mask, dtype=bool)
    n = int(mask.sum())
    if n == mask.size:
        return f"all {n} cells"
    rows, cols = np.nonzero(mask)
    r, c = np.unique(rows), np.unique(cols)
    if n == 1:
        return f"1 cell at row {r[0]}, column {c[0]}"
    rows_word = "row" if len(r) == 1 else "rows"
    cols_word = "column" if len(c) == 1 else "columns"
    return f"{n} cells in {rows_word} {span_text(r)}, {cols_word} {span_text(c)}"


def _grid_phrase(spec, heat, labels):
    h, w = spec["shape"]
    name = " ".join(str(spec.get("title") or spec.get("name") or "grid").split())
    parts = [f"{name} ({h}\u00d7{w}, {'a heatmap with a colour bar' if heat else 'values written in the cells'})"]
    for kind, mask in spec["kinds"].items():
        if np.any(mask):
            parts.append(f"{labels.get(kind, kind)}: {cells_phrase(mask)}")
    pairs = spec.get("pairs") or []
    if pairs:
        parts.append(f"{len(pairs)} product pair{'s' if len(pairs) != 1 else ''}, each in its "
                     "own colour and letter")
    return "; ".join(parts)


def grid_sentence(specs, symbols, heat, labels, title=None, footer=()):
    """The inventory of a row of grids: what each shows and what joins them, left to right."""
    phrases = [_grid_phrase(spec, is_heat, labels) for spec, is_heat in zip(specs, heat)]
    text = phrases[0]
    for symbol, phrase in zip(symbols, phrases[1:]):
        word = _SYMBOL_WORDS.get(symbol.strip(), "then") if symbol else "then"
        text += f"; {word} {phrase}"
    lead = f"{' '.join(str(title).split())}. " if title else ""
    noun = "Grid" if len(specs) == 1 else "Grids, left to right"
    tail = "".join(f" {' '.join(str(line).split())}." for line in footer if str(line).strip())
    return f"{lead}{noun}: {text}.{tail}"


def _alt_png(fig, inner):
    """The wrapped formatter: the picture as before, plus ``{"alt": description}``."""
    data = inner(fig)
    text = description(fig)
    if data is None or not text:
        return data
    metadata = {}
    if isinstance(data, tuple) and len(data) == 2:
        data, metadata = data[0], dict(data[1] or {})
    metadata["alt"] = text
    return data, metadata


def _carry_alt_in_ipython():
    """In IPython, let figures' PNG outputs carry their description (idempotent; no-op elsewhere).

    The inline backend registers a PNG formatter for Figure; it is wrapped
    here, again whenever the backend has registered a fresh one.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    from matplotlib.figure import Figure

    png = shell.display_formatter.formatters.get("image/png")
    try:
        inner = png.lookup_by_type(Figure)
    except (KeyError, AttributeError):
        return
    if getattr(inner, "convlab_alt", False):
        return
    wrapped = functools.partial(_alt_png, inner=inner)
    wrapped.convlab_alt = True
    png.for_type(Figure, wrapped)
