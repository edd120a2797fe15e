"""Is the learner's answer right? Compare it with the reference and say how it differs.

Everything here works on *safe* answers (plain data or an
:class:`~convlab.exercises.sandbox.outcome.Opaque` description, see
:func:`~convlab.exercises.sandbox.outcome.safe_value`) and runs in the process
that checks, never where the learner's code ran.
"""

import numpy as np

from ..sandbox.outcome import Opaque
from .formatting import describe_difference, format_value
from .trusted import allclose, array_equal


def compare(expected, got, output_names=None, label="your answer"):
    """None if ``got`` matches ``expected``, else ``(reason, [(label, text), ...])``.

    Examples
    --------
    >>> compare(np.ones(2), np.ones(2)) is None
    True
    >>> compare(3, 3.0)[0]
    'wrong type'
    """
    if got is None:
        return "returned None", [("", f"{label} is None: did you forget `return`?")]
    if isinstance(expected, tuple):
        return _compare_tuples(expected, got, output_names, label)
    if is_int(expected):
        if not is_int(got):
            hint = (": sizes are whole numbers, use `//` or `int(...)`"
                    if isinstance(got, (float, np.floating)) else "")
            return "wrong type", [("", f"expected the int {expected}, got {got!r} "
                                       f"(a {type_name(got)}){hint}")]
        if got != expected:
            return "wrong values", [("expected", str(expected)), ("got", str(int(got)))]
        return None
    return _compare_arrays(np.asarray(expected), got, label)


def _compare_tuples(expected, got, output_names, label):
    parts = f" ({', '.join(output_names)})" if output_names else ""
    if not isinstance(got, (tuple, list)) or len(got) != len(expected):
        return "wrong type", [("", f"expected a tuple of {len(expected)} values{parts}, "
                                   f"got a {type_name(got)}: {format_value(got)}")]
    names = output_names or [f"{label}[{i}]" for i in range(len(expected))]
    problems = [compare(exp, part, label=name) for name, exp, part in zip(names, expected, got)]
    if all(is_int(e) for e in expected) and all(p is None or p[0] == "wrong values"
                                                for p in problems):
        if any(problems):  # show whole tuples of sizes rather than one entry
            return "wrong values", [("expected", f"{tuple(expected)}{parts}"),
                                    ("got", format_value(tuple(got)))]
        return None
    return next((p for p in problems if p is not None), None)


def type_name(value):
    """The type a learner returned (an Opaque stand-in knows the original's)."""
    return value.type_name if isinstance(value, Opaque) else type(value).__name__


def is_int(value):
    """An int or numpy integer, not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _compare_arrays(expected, got, label):
    of = "" if label == "your answer" else f" {label}"
    if isinstance(got, Opaque) and got.shape is not None and got.shape != expected.shape:
        return "wrong shape", [("", f"expected{of} of shape {expected.shape}, got shape {got.shape}")]
    if type(got).__module__.startswith("torch") and hasattr(got, "detach"):
        got = got.detach().cpu().numpy()  # a tensor is fine where an array is asked
    try:
        array = None if isinstance(got, Opaque) else np.asarray(got)
    except Exception:
        array = None
    if array is None or array.dtype.kind not in "biufc":
        return "wrong type", [("", f"expected an array of shape {expected.shape}, "
                                   f"got a {type_name(got)}: {format_value(got)}")]
    if array.shape != expected.shape:
        return "wrong shape", [("", f"expected{of} of shape {expected.shape}, got shape {array.shape}"),
                               (f"expected{of}", format_value(expected)),
                               (f"got{of}", format_value(array))]
    if expected.dtype.kind == "f" and (array.dtype.kind != "f"
                                       or array.dtype.itemsize < expected.dtype.itemsize):
        why = {"c": "complex numbers: take the real part (`.real`)",
               "b": "booleans: convert with `.astype(float)` or multiply",
               "i": "integers: an output created with an integer dtype truncates",
               "u": "integers: an output created with an integer dtype truncates"}
        reason = why.get(array.dtype.kind, "lower precision")
        return "wrong dtype", [("", f"expected{of} of dtype {expected.dtype}, got {array.dtype}: {reason}"),
                               (f"expected{of}", format_value(expected)),
                               (f"got{of}", format_value(array))]
    if not same(expected, array):
        return "wrong values", [(f"expected{of}", format_value(expected)),
                                (f"got{of}", format_value(array)),
                                *describe_difference(expected, array)]
    return None


def same(a, b):
    """Equal answers: same structure, shapes and (close) values.

    Examples
    --------
    >>> same((1, np.zeros(2)), [1, np.zeros(2) + 1e-12])
    True
    """
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return (isinstance(a, (tuple, list)) and isinstance(b, (tuple, list))
                and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b)))
    if a is None or b is None:
        return a is b
    if isinstance(a, Opaque) or isinstance(b, Opaque):
        return False
    try:
        a, b = np.asarray(a), np.asarray(b)
    except Exception:
        return False
    if a.shape != b.shape or a.dtype.kind in "OUSV" or b.dtype.kind in "OUSV":
        return False
    return bool(allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True))


def unchanged(before, after):
    """Exactly equal, element by element (a mutation by 1e-12 is still a mutation).

    Examples
    --------
    >>> unchanged((np.ones(2), 3), (np.ones(2), 3)), unchanged(np.ones(2), np.zeros(2))
    (True, False)
    """
    if isinstance(before, (tuple, list)):
        return (isinstance(after, (tuple, list)) and len(before) == len(after)
                and all(unchanged(a, b) for a, b in zip(before, after)))
    if isinstance(before, np.ndarray):
        return (isinstance(after, np.ndarray) and before.shape == after.shape
                and bool(array_equal(before, after, equal_nan=True)))
    return type(before) is type(after) and before == after
