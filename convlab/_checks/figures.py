"""Arguments of figures and explorers: Axes, figures, sizes, titles, cells, control tables.

matplotlib is imported only when an Axes or a Figure is checked, so the
validator stays importable (and cheap) without it.
"""

import numpy as np

from .scalars import PADDING_MODES, as_scalar, check_bool, check_choice, check_int, check_number, given_text, int_tuple


def check_axes(ax, name="ax", optional=True):
    """Return ``ax`` if it is a matplotlib Axes (or None when ``optional``).

    >>> check_axes(None) is None
    True
    >>> check_axes(3)
    Traceback (most recent call last):
    ...
    TypeError: ax must be a matplotlib Axes or None; got 3 (int)
    """
    from matplotlib.axes import Axes

    if (ax is None and optional) or isinstance(ax, Axes):
        return ax
    expected = "a matplotlib Axes or None" if optional else "a matplotlib Axes"
    raise TypeError(f"{name} must be {expected}; got {given_text(ax)}")


def check_figure(fig, name="fig"):
    """Return ``fig`` if it is None or a matplotlib Figure (a subfigure too)."""
    from matplotlib.figure import FigureBase

    if fig is None or isinstance(fig, FigureBase):
        return fig
    raise TypeError(f"{name} must be a matplotlib Figure or None; got {given_text(fig)}")


def check_figsize(figsize, name="figsize"):
    """Return None or ``(width, height)`` in inches, both positive finite numbers.

    >>> check_figsize((4, 3))
    (4.0, 3.0)
    >>> check_figsize((0, 3))
    Traceback (most recent call last):
    ...
    ValueError: figsize must be positive; got 0
    """
    if figsize is None:
        return None
    figsize = as_scalar(figsize)
    if isinstance(figsize, np.ndarray):
        figsize = figsize.tolist()
    if not isinstance(figsize, (tuple, list)) or len(figsize) != 2:
        raise TypeError(f"{name} must be None or a pair (width, height) in inches; got {given_text(figsize)}")
    return tuple(check_number(v, name, 0, low_open=True) for v in figsize)


def check_text(value, name, optional=True):
    """Return ``value`` if it is a str (or None when ``optional``): titles, labels."""
    if (value is None and optional) or isinstance(value, str):
        return value
    raise TypeError(f"{name} must be a str{' or None' if optional else ''}; got {given_text(value)}")


def check_optional_bool(value, name):
    """None ("decide for me") or a bool, e.g. ``annotate``."""
    return None if value is None else check_bool(value, name)


#: What each keyword of `check_plot_args` is checked with.
_PLOT_ARGS = {"ax": check_axes, "fig": check_figure, "figsize": check_figsize,
              "annotate": check_optional_bool, "legend": check_bool, "title": check_text}


def check_plot_args(**given):
    """Check the drawing arguments a figure function shares, each by its own name.

    Keywords: ``ax`` (Axes or None), ``fig`` (Figure or None), ``figsize``,
    ``annotate`` (None, True or False), ``legend`` (True or False), ``title``
    (str or None).

    >>> check_plot_args(ax=None, annotate=None, legend=True, title="x")
    >>> check_plot_args(legend="yes")
    Traceback (most recent call last):
    ...
    TypeError: legend must be True or False; got 'yes' (str)
    """
    for name, value in given.items():
        _PLOT_ARGS[name](value, name)


def check_cell(cell, name, shape, where):
    """Return ``cell`` as ``(row, col)``, two non-negative ints inside ``shape``.

    ``where`` names the grid in the message, e.g. ``"dx"``.

    >>> check_cell((1, 2), "cell", (3, 3), "the output")
    (1, 2)
    >>> check_cell((3, 0), "cell", (3, 3), "the output")
    Traceback (most recent call last):
    ...
    ValueError: cell must lie in the output of shape (3, 3); got (3, 0)
    """
    if isinstance(cell, str):
        raise TypeError(f"{name} must be a pair (row, col) of ints; got {given_text(cell)}")
    row, col = int_tuple(cell, name, 2, minimum=0)
    if not (row < shape[0] and col < shape[1]):
        raise ValueError(f"{name} must lie in {where} of shape {tuple(shape)}; got ({row}, {col})")
    return row, col


def check_drawn_cells(what, cells, limit, advice):
    """Refuse (``ValueError``) a grid of ``cells`` cells over ``limit``, before drawing it.

    ``what`` names the grid, ``advice`` says what to make smaller.
    """
    if cells > limit:
        raise ValueError(f"{what} would have {cells:,} cells; figures draw at most {limit:,} "
                         f"({advice})")


def check_zero_inserted(shape, stride, name, limit):
    """Refuse a 2-D ``name`` of ``shape`` whose zero-inserted grid (by ``stride``) exceeds ``limit`` cells."""
    cells = ((shape[0] - 1) * stride[0] + 1) * ((shape[1] - 1) * stride[1] + 1)
    check_drawn_cells(f"{name} with zeros inserted", cells, limit, f"use a smaller {name} or stride")


# -- explorer controls --------------------------------------------------------
# A control table maps a name to its rule:
#   ("int", label, lo, hi) | ("odd", label, lo, hi) | ("float", label, lo, hi, step)
#   | ("choice", label, choices) | ("padding", label, lo, hi)

def check_control(name, value, rule):
    """Return ``value`` of control ``name`` checked against its ``rule`` (never clamped).

    >>> check_control("kernel_size", 4, ("odd", "kernel size", 3, 31))
    Traceback (most recent call last):
    ...
    ValueError: kernel_size must be odd (a centre tap), in [3, 31]; got 4
    """
    kind = rule[0]
    if kind == "choice":
        return check_choice(value, name, rule[2])
    if kind == "padding" and isinstance(value, str):
        return check_choice(value, name, PADDING_MODES)
    if kind == "float":
        return check_number(value, name, rule[2], rule[3])
    lo, hi = rule[2], rule[3]
    if kind == "padding":
        value = check_int(value, name, 0)
        if value > hi:
            modes = ", ".join(repr(m) for m in PADDING_MODES)
            raise ValueError(f"{name} must be an int in [{lo}, {hi}] or one of {modes}; got {value}")
        return value
    value = check_int(value, name, lo, hi)
    if kind == "odd" and value % 2 == 0:
        raise ValueError(f"{name} must be odd (a centre tap), in [{lo}, {hi}]; got {value}")
    return value


def check_settings(controls, values):
    """Check every value of ``values`` against its rule in ``controls``; return them cleaned.

    >>> table = {"size": ("int", "input size", 1, 16), "padding": ("padding", "padding", 0, 3)}
    >>> check_settings(table, {"size": 7, "padding": "same"})
    {'size': 7, 'padding': 'same'}
    >>> check_settings(table, {"size": 500})
    Traceback (most recent call last):
    ...
    ValueError: size must be an int in [1, 16]; got 500
    """
    unknown = set(values) - set(controls)
    if unknown:
        raise ValueError(f"unknown controls {sorted(unknown)}; the controls are {list(controls)}")
    return {name: check_control(name, value, controls[name]) for name, value in values.items()}
