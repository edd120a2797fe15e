"""Deterministic text for verdicts: small arrays in full, large ones by shape.

The output of a checker is compared by nbval, so nothing here depends on
global print options, time or memory addresses.
"""

import numpy as np

from ..sandbox.outcome import Opaque

MAX_SHOWN = 40
"""Arrays with at most this many entries are printed in full."""

def format_value(value):
    """A short, deterministic text for an argument or an answer.

    Examples
    --------
    >>> format_value(np.array([1.0, 2.5]))
    '[1.  2.5]'
    >>> format_value(np.zeros((10, 10)))
    'array of shape (10, 10), dtype float64'
    >>> format_value((1, 2))
    '(1, 2)'
    >>> print(format_value(np.ones((1, 1, 2, 2))))
    [[1. 1.]
     [1. 1.]]
    (shape (1, 1, 2, 2), shown without its axes of length 1)
    """
    if isinstance(value, Opaque):  # a description of what the learner's function returned
        return value.text
    if isinstance(value, (tuple, list)) and not _is_numeric_sequence(value):
        inner = ", ".join(format_value(v) for v in value)
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    if isinstance(value, (tuple, list)):
        return repr(tuple(value)) if isinstance(value, tuple) else repr(list(value))
    if _is_tensor(value):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "biufc":
        value = value.item()
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            return f"array of dtype {value.dtype}"
        if value.size > MAX_SHOWN or value.ndim > 4:
            return f"array of shape {value.shape}, dtype {value.dtype}"
        if value.dtype.kind in "fc":
            value = value + 0.0  # -0.0 prints as "-0."; it is just 0 here
        shape = value.shape
        if value.ndim > 2 and 1 in shape:  # a batch of one is not four-deep brackets
            value = value.reshape([n for n in shape if n != 1] or [1])
        with np.printoptions(precision=4, suppress=True, floatmode="maxprec",
                             linewidth=75, threshold=MAX_SHOWN, sign="-"):
            text = np.array2string(value)
        if value.shape != shape:
            text += f"\n(shape {shape}, shown without its axes of length 1)"
        return text
    if isinstance(value, (float, np.floating)):
        return repr(round(float(value), 6) + 0.0)
    if isinstance(value, (np.integer, np.bool_)):
        return repr(value.item())
    if callable(value):
        return getattr(value, "__name__", type(value).__name__)
    text = repr(value)
    return text if len(text) <= 60 and " at 0x" not in text else type(value).__name__


def _is_numeric_sequence(value):
    return all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
               for v in value)


def _is_tensor(value):
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def describe_difference(expected, got):
    """A (label, text) row locating the largest difference of two same-shape arrays (large arrays only)."""
    if expected.size <= MAX_SHOWN:
        return []
    diff = np.abs(np.asarray(got, dtype=complex) - expected)
    index = np.unravel_index(int(np.argmax(diff)), diff.shape)
    position = tuple(int(i) for i in index)
    return [("largest difference", f"at index {position}: expected "
             f"{format_value(expected[index])}, got {format_value(got[index])}")]
