"""Argument validation shared by every public function.

All checks run before any computation and raise ``TypeError`` (wrong kind of
value) or ``ValueError`` (right kind, wrong value or shape) with a message that
names the argument, what was expected and what was given.
"""

import numbers

import numpy as np


def as_array(value, name):
    """Return ``value`` as a real numeric ndarray, without copying it."""
    try:
        array = np.asarray(value)
    except Exception as error:  # e.g. ragged nested lists
        raise TypeError(f"{name} must be array-like; got {type(value).__name__} ({error})") from None
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == bool
    ):
        raise TypeError(f"{name} must hold real numbers; got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers; got complex dtype {array.dtype}")
    return array


def check_ndim(array, name, allowed, layout):
    """Raise ``ValueError`` unless ``array.ndim`` is one of ``allowed``."""
    if array.ndim not in allowed:
        raise ValueError(f"{name} must be {layout}; got shape {array.shape}")
    if 0 in array.shape:
        raise ValueError(f"{name} must not have empty dimensions; got shape {array.shape}")


def compute_dtype(*arrays):
    """The floating dtype a computation on ``arrays`` runs in.

    Floating inputs keep their (promoted) dtype; integer and boolean inputs
    compute in float64.
    """
    dtype = np.result_type(*arrays)
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)


def check_int(value, name, minimum):
    """Return ``value`` as an int, checking its type and that it is >= minimum."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int; got {value!r} ({type(value).__name__})")
    if value < minimum:
        qualifier = "positive" if minimum == 1 else f">= {minimum}"
        raise ValueError(f"{name} must be a {qualifier} int; got {value}")
    return int(value)


def int_tuple(value, name, length, minimum=1):
    """Return ``value`` (an int or a sequence of ``length`` ints) as a tuple."""
    if isinstance(value, (tuple, list, np.ndarray)):
        if len(value) != length:
            raise ValueError(
                f"{name} must be an int or a sequence of {length} ints; got {value!r}"
            )
        return tuple(check_int(v, name, minimum) for v in value)
    return (check_int(value, name, minimum),) * length


def check_choice(value, name, choices):
    """Raise unless ``value`` is one of the strings in ``choices``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {choices}; got {value!r} ({type(value).__name__})")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}; got {value!r}")
    return value


def check_bias(bias, c_out):
    """Return ``bias`` as an array of shape ``(c_out,)``, or None."""
    if bias is None:
        return None
    bias = as_array(bias, "bias")
    if bias.shape != (c_out,):
        raise ValueError(f"bias must have shape (C_out,) = ({c_out},); got {bias.shape}")
    return bias
