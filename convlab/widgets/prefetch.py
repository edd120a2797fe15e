"""The settings one step away from the current one, so the browser can redraw a slider step at once.

A student drags a slider one step at a time.  With each payload the
explorers that are cheap to compute (the conv and filter explorers) also send
the payloads of the settings one step away along each control
(``payload["next"][control][key]``); the browser draws a step from there at
once and the kernel's own answer, identical, only confirms it.  A jump of
several steps, or an impossible neighbour, goes through the kernel as usual.
"""
from .settings import PADDING_MODES

__all__ = ["neighbours", "value_key"]


def value_key(value):
    """How the browser writes a control value: ``2`` for 2.0, ``1.25``, ``same``.

    Examples
    --------
    >>> value_key(2.0), value_key(1.25), value_key(3), value_key("same")
    ('2', '1.25', '3', 'same')
    """
    return f"{value:g}" if isinstance(value, float) else str(value)


def neighbours(table, values, skip=()):
    """``(control, value)`` for every setting one step from ``values`` along one control.

    Integer and float controls step by their step both ways (inside their
    range), padding moves to the neighbouring entry of 0..3, "valid",
    "same", "full", a choice to every other choice.

    Examples
    --------
    >>> from convlab.widgets.settings import CONV_CONTROLS
    >>> sorted(v for name, v in neighbours(CONV_CONTROLS, {"size": 1, "kernel_size": 3,
    ...     "stride": 1, "padding": 0, "dilation": 1, "channels": 1}) if name == "size")
    [2]
    """
    for name, rule in table.items():
        if name in skip:
            continue
        kind, value = rule[0], values[name]
        if kind == "choice":
            yield from ((name, other) for other in rule[2] if other != value)
        elif kind == "padding":
            order = list(range(rule[2], rule[3] + 1)) + list(PADDING_MODES)
            at = order.index(value)
            yield from ((name, order[i]) for i in (at - 1, at + 1) if 0 <= i < len(order))
        else:
            step = rule[4] if kind == "float" else (2 if kind == "odd" else 1)
            for other in (value - step, value + step):
                if rule[2] <= other <= rule[3]:
                    yield name, other
