"""The controls of the explorers: their names, ranges and choices, checked before any work.

One table per explorer says which values each control accepts; the
explorers, their ES module (through ``spec``) and the tests all read it, so a
range lives in one place.  A value outside it is refused with a
``ValueError`` naming the control and the range, never clamped
(:func:`convlab._checks.check_settings` reads the rules).
"""
from .._checks import PADDING_MODES, check_settings

__all__ = ["CONV_CONTROLS", "BACKWARD_CONTROLS", "FILTER_CONTROLS", "PADDING_MODES",
           "check_settings", "spec"]

# name: ("int", label, lo, hi) | ("odd", label, lo, hi) | ("float", label, lo, hi, step)
#       | ("choice", label, choices) | ("padding", label, lo, hi)
def _geometry_controls(max_size, max_kernel, max_stride):
    """The five controls of a convolution's geometry, with this explorer's upper limits."""
    return {
        "size": ("int", "input size", 1, max_size),
        "kernel_size": ("int", "kernel size", 1, max_kernel),
        "stride": ("int", "stride", 1, max_stride),
        "padding": ("padding", "padding", 0, 3),
        "dilation": ("int", "dilation", 1, 3),
    }


CONV_CONTROLS = {**_geometry_controls(16, 7, 4), "channels": ("int", "input channels", 1, 3)}

BACKWARD_CONTROLS = {
    **_geometry_controls(10, 5, 3),
    "output_padding": ("int", "output padding", 0, 2),
    "target": ("choice", "gradient", ("dx", "dw")),
    "view": ("choice", "view", ("scatter", "gather", "im2row")),
}

FILTER_CONTROLS = {
    "filter": ("choice", "filter", ("sobel", "sobel x", "sobel y", "gaussian")),
    "sigma": ("float", "\u03c3", 0.5, 4.0, 0.25),
    "kernel_size": ("odd", "kernel size", 3, 31),
}


def spec(controls):
    """The table as JSON for the ES module, which draws one input per control.

    Examples
    --------
    >>> spec(CONV_CONTROLS)[3]
    {'name': 'padding', 'kind': 'padding', 'label': 'padding', 'choices': [0, 1, 2, 3, 'valid', 'same', 'full']}
    """
    out = []
    for name, rule in controls.items():
        entry = {"name": name, "kind": rule[0], "label": rule[1]}
        if rule[0] == "choice":
            entry["choices"] = list(rule[2])
        elif rule[0] == "padding":
            entry["choices"] = list(range(rule[2], rule[3] + 1)) + list(PADDING_MODES)
        else:
            entry.update(min=rule[2], max=rule[3], step=rule[4] if rule[0] == "float" else
                         (2 if rule[0] == "odd" else 1))
        out.append(entry)
    return out
