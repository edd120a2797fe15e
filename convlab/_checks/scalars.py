"""Scalar arguments: ints, int tuples, numbers, booleans, choices, seeds, shapes, padding."""

import math
import numbers

import numpy as np

PADDING_MODES = ("valid", "same", "full")

def given_text(value):
    """``value!r (type)`` for a message, shortened so a huge value stays readable."""
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} ({type(value).__name__})"


def as_scalar(value):
    """A 0-d array as the scalar it holds; anything else unchanged."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value[()]
    return value

# -- scalars ------------------------------------------------------------------

def check_int(value, name, minimum=None, maximum=None):
    """Return ``value`` as an int in ``[minimum, maximum]`` (either bound optional).

    A 0-d integer array counts as its int; bools and floats (even ``2.0``) are refused.

    >>> check_int(np.array(3), "size", 1)
    3
    >>> check_int(5, "axis", 0, 3)
    Traceback (most recent call last):
    ...
    ValueError: axis must be an int in [0, 3]; got 5
    """
    value = as_scalar(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int; got {given_text(value)}")
    if maximum is not None and (value > maximum or minimum is not None and value < minimum):
        low = "-inf" if minimum is None else minimum
        raise ValueError(f"{name} must be an int in [{low}, {maximum}]; got {value}")
    if minimum is not None and value < minimum:
        qualifier = "positive" if minimum == 1 else f">= {minimum}"
        raise ValueError(f"{name} must be a {qualifier} int; got {value}")
    return int(value)


def int_tuple(value, name, length, minimum=1):
    """Return ``value`` (an int or a sequence of ``length`` ints) as a tuple of ints.

    >>> int_tuple(3, "kernel_size", 2), int_tuple(np.array([2, 1]), "stride", 2)
    ((3, 3), (2, 1))
    """
    value = as_scalar(value)
    if isinstance(value, np.ndarray):
        value = value.tolist()  # 1-D int arrays become lists of ints; others fail below
    if isinstance(value, (tuple, list)):
        if len(value) != length:
            raise ValueError(f"{name} must be an int or a sequence of {length} ints; got {value!r}")
        return tuple(check_int(v, name, minimum) for v in value)
    return (check_int(value, name, minimum),) * length


def int_list(value, name, minimum=1):
    """Return ``value``, a non-empty sequence of ints (one per layer, say), as a list.

    >>> int_list((3, 3), "kernel_sizes")
    [3, 3]
    """
    value = as_scalar(value)
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (tuple, list)) or not value:
        raise TypeError(f"{name} must be a non-empty sequence of ints; got {given_text(value)}")
    return [check_int(v, f"{name}[{i}]", minimum) for i, v in enumerate(value)]


def check_sequence(value, name, items="values"):
    """Return ``value`` (a list, tuple or 1-D array; not a str) as a list; ``items`` says of what.

    >>> check_sequence(3, "rows", "row indices")
    Traceback (most recent call last):
    ...
    TypeError: rows must be a sequence of row indices; got 3 (int)
    """
    value = as_scalar(value)
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{name} must be a sequence of {items}; got {given_text(value)}")
    return list(value)


def _range_text(low, high, low_open, high_open):
    if high is None:
        if low is None:
            return "a finite number"
        return "positive" if (low == 0 and low_open) else f"{'>' if low_open else '>='} {low}"
    return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"


def check_number(value, name, low=None, high=None, *, low_open=False, high_open=False,
                 finite=True):
    """Return ``value`` as a float, checking it is a real number in the given range.

    Parameters
    ----------
    value : int, float or 0-d array
    name : str
    low, high : float, optional
        Bounds; ``low_open`` / ``high_open`` exclude them.
    finite : bool, default True
        Refuse NaN and ±inf (with False they pass, whatever the range).

    Examples
    --------
    >>> check_number(0.5, "momentum", 0, 1, high_open=True)
    0.5
    >>> check_number(float("inf"), "lr", 0, low_open=True)
    Traceback (most recent call last):
    ...
    ValueError: lr must be a finite number; got inf
    >>> check_number(0, "sigma", 0, low_open=True)
    Traceback (most recent call last):
    ...
    ValueError: sigma must be positive; got 0
    """
    value = as_scalar(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number; got {given_text(value)}")
    number = float(value)
    if finite and not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number; got {value}")
    if not math.isfinite(number):
        return number
    below = low is not None and (number <= low if low_open else number < low)
    above = high is not None and (number >= high if high_open else number > high)
    if below or above:
        raise ValueError(f"{name} must be {_range_text(low, high, low_open, high_open)}; got {value}")
    return number


def positive_float(value, name):
    """A finite float ``> 0`` (``eps``, ``lr``, ``sigma``): `check_number` with ``low=0`` open."""
    return check_number(value, name, 0, low_open=True)


def check_bool(value, name):
    """Return ``value`` as a bool; only ``True``/``False`` (or numpy bools) are accepted.

    >>> check_bool("yes", "progress")
    Traceback (most recent call last):
    ...
    TypeError: progress must be True or False; got 'yes' (str)
    """
    value = as_scalar(value)
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {given_text(value)}")
    return bool(value)


def check_choice(value, name, choices):
    """Return ``value`` if it is one of the strings in ``choices``.

    >>> check_choice("same", "padding", PADDING_MODES)
    'same'
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {tuple(choices)}; got {given_text(value)}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}; got {value!r}")
    return value


def check_member(value, name, choices):
    """Return ``value`` if it is one of ``choices`` (compared with ``in``), e.g. a tile size.

    >>> check_member(3, "output_tile", (2, 4))
    Traceback (most recent call last):
    ...
    ValueError: output_tile must be one of (2, 4); got 3
    """
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}; got {value!r}")
    return value


def check_winograd_geometry(kernel_size, stride, dilation):
    """Raise ``ValueError`` unless Winograd applies: kernel axes 3 (or 1), stride 1, dilation 1.

    Examples
    --------
    >>> check_winograd_geometry((3, 3), (1, 1), (1, 1))
    >>> check_winograd_geometry((5, 5), (1, 1), (1, 1))
    Traceback (most recent call last):
    ...
    ValueError: method='winograd' needs a 3x3 kernel (size 3 in 1-D), stride 1 and dilation 1; got kernel (5, 5), stride (1, 1), dilation (1, 1)
    """
    kernel_size, stride, dilation = tuple(kernel_size), tuple(stride), tuple(dilation)
    if (any(k not in (1, 3) for k in kernel_size) or 3 not in kernel_size
            or any(s != 1 for s in stride) or any(d != 1 for d in dilation)):
        raise ValueError(
            "method='winograd' needs a 3x3 kernel (size 3 in 1-D), stride 1 and dilation 1; "
            f"got kernel {kernel_size}, stride {stride}, dilation {dilation}")


def check_callable(value, name):
    """Return ``value`` if it can be called."""
    if not callable(value):
        raise TypeError(f"{name} must be callable; got {type(value).__name__}")
    return value


def check_rng(rng, name="rng"):
    """A ``np.random.Generator`` from None, a non-negative int seed, a SeedSequence or a Generator.

    >>> check_rng(0).integers(10) == check_rng(0).integers(10)
    np.True_
    """
    rng = as_scalar(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, (bool, np.bool_)):
        return np.random.default_rng(check_int(rng, name, 0))
    raise TypeError(f"{name} must be None, an int seed or a numpy Generator; got {given_text(rng)}")


def check_shape(value, name, lengths, layout):
    """A tuple of positive ints with one of the allowed ``lengths``, e.g. ``input_shape``.

    ``layout`` completes "``name`` must be ...", e.g. ``"(C_in, H, W) or (H, W)"``.

    >>> check_shape(np.array([3, 4]), "input_shape", (2, 3), "(H, W) or (C, H, W)")
    (3, 4)
    """
    value = as_scalar(value)
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()
    if not isinstance(value, (tuple, list)) or len(value) not in lengths:
        raise ValueError(f"{name} must be {layout}; got {value!r}")
    return tuple(check_int(n, name, 1) for n in value)


# -- padding ------------------------------------------------------------------

def _padding_forms(spatial, modes):
    forms = "an int, a pair (before, after)" if spatial == 1 else \
        "an int, a pair (pH, pW), a pair of pairs ((top, bottom), (left, right))"
    return f"{forms} or one of {modes}" if modes else forms.replace(", a pair of", " or a pair of")


def check_padding(padding, name="padding", spatial=2, modes=PADDING_MODES, where=""):
    """Validate any accepted padding form; return a mode or explicit ``(before, after)`` pairs.

    Parameters
    ----------
    padding : int, sequence, 0-d or 1-D int array, or str
        For 2-D: an int (all sides), ``(pH, pW)``, ``((top, bottom), (left,
        right))`` or a mode; for 1-D: an int, ``(before, after)`` or a mode.
    spatial : {1, 2}
    modes : tuple of str
        The accepted modes; ``()`` where a mode has no meaning (``pad``).
    where : str, optional
        Names the function in the message when ``modes`` is empty, e.g. ``"pad()"``.

    Returns
    -------
    str, (int, int) for 1-D, or ((int, int), (int, int)) for 2-D

    Examples
    --------
    >>> check_padding(1), check_padding((1, (0, 2))), check_padding(3, spatial=1)
    (((1, 1), (1, 1)), ((1, 1), (0, 2)), (3, 3))
    >>> check_padding("half")
    Traceback (most recent call last):
    ...
    ValueError: padding must be an int, a pair (pH, pW), a pair of pairs ((top, bottom), (left, right)) or one of ('valid', 'same', 'full'); got 'half'
    """
    padding = as_scalar(padding)
    if isinstance(padding, np.ndarray):
        padding = padding.tolist()
    context = f" for {where}" if where else ""
    expected = f"{name} must be {_padding_forms(spatial, modes)}{context}; got {padding!r}"
    if isinstance(padding, str):
        if padding in modes:
            return padding
        raise ValueError(expected)
    if isinstance(padding, (tuple, list)):
        if spatial == 1 and len(padding) in (1, 2):
            return int_tuple(padding * (3 - len(padding)), name, 2, minimum=0)
        if spatial == 2 and len(padding) == 2:
            return tuple(int_tuple(p, name, 2, minimum=0) if isinstance(p, (tuple, list))
                         else (check_int(p, name, 0),) * 2 for p in padding)
        raise ValueError(expected)
    if isinstance(padding, (bool, np.bool_)) or not isinstance(padding, numbers.Integral):
        raise TypeError(f"{expected} ({type(padding).__name__})")
    pair = (check_int(padding, name, 0),) * 2
    return pair if spatial == 1 else (pair, pair)
