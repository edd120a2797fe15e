"""What a checked call ends in, as safe data: the bottom of the sandbox.

A learner's answer crosses from the child process (or the time-limited call)
to the checker only as :func:`safe_value` makes it: numbers, strings, tuples,
lists and numeric arrays, or an :class:`Opaque` description of anything else.
An exception becomes a :class:`Raised` description. :class:`Outcome` is one
case's result. Nothing here runs learner code; :mod:`.child` and
:mod:`.isolation` both build on it.
"""

import sysconfig
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MEMORY_LIMIT = 2 ** 30
"""Bytes of new address space a checked function may take (on top of the session's)."""

MAX_TEXT = 300
"""Characters kept of an exception message or a printed description."""

MAX_PRINTED = 2000
"""Characters kept of what the learner's function printed on one case."""

UNREADABLE = ("the answer could not be read back from the process that ran your function "
              "(was part of the checker replaced inside your function?).")
"""The verdict's sentence for a message from the child that is not one it writes."""

_MAX_ELEMENTS = 10 ** 6  # a larger answer is described, not sent back
_MAX_DEPTH = 20


@dataclass(frozen=True)
class Opaque:
    """A stand-in for an answer that is not plain data: its type and a safe description."""

    type_name: str
    text: str
    shape: tuple = None  # set for an array too large to send back

    def __repr__(self):
        return self.text


@dataclass(frozen=True)
class Raised:
    """What the learner's function raised, described in the process that ran it."""

    type_name: str
    text: str  # "ValueError: message (in `f`, line 3: `code`)", truncated
    not_implemented: bool = False  # a NotImplementedError: the exercise's stub
    out_of_memory: bool = False  # a MemoryError: the memory limit was reached


@dataclass(frozen=True)
class Outcome:
    """One case's result: ``kind`` is "ok", "raised", "slow", "ended" or "unreadable"."""

    kind: str
    value: object = None  # the safe answer, a Raised, or a sentence for "ended"/"unreadable"
    given: tuple = None  # the arguments after the call, to see whether they were modified
    printed: str = ""
    isolated: bool = True  # False: the learner's code ran in this process


def truncate(text, limit=MAX_TEXT):
    """``text`` cut to ``limit`` characters, saying how long it was.

    Examples
    --------
    >>> truncate("x" * 1000, 10)
    'xxxxxxxxxx... (1000 characters in all)'
    """
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters in all)"


def _attempt(describe, fallback):
    try:
        return describe()
    except BaseException as exc:  # a learner's __str__ / __repr__ may raise anything
        return fallback(exc)


def _type_name(value):
    return _attempt(lambda: str(type(value).__name__), lambda exc: "object")


def describe_exception(exc):
    """A :class:`Raised` for ``exc``, at the learner's last line, whatever ``exc`` does.

    Examples
    --------
    >>> describe_exception(ValueError("bad size")).text
    'ValueError: bad size'
    """
    name = _type_name(exc)
    message = _attempt(lambda: str(exc), lambda inner: (
        f"<its message cannot be shown: str() raised {_type_name(inner)}>"))
    text = f"{name}: {truncate(message)}".rstrip(": ")
    frames = _attempt(lambda: [f for f in traceback.extract_tb(exc.__traceback__)
                               if is_learner_code(f.filename)], lambda inner: [])
    if frames:
        last = frames[-1]
        where = f"in `{last.name}`, line {last.lineno}"
        if last.line:
            where += f": `{truncate(last.line.strip(), 80)}`"
        text += f" ({where})"
    return Raised(name, text, isinstance(exc, NotImplementedError), isinstance(exc, MemoryError))


_LIBRARY_DIRS = tuple(str(Path(p).resolve()) for p in (
    Path(__file__).parents[2], sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"],
    sysconfig.get_paths()["platlib"]))


def is_learner_code(filename):
    """Not convlab, numpy, torch or the standard library: the learner's own file or cell."""
    return not str(Path(filename).resolve()).startswith(_LIBRARY_DIRS)


def safe_value(value, depth=0):
    """Plain data equal to ``value``, or an :class:`Opaque` describing it.

    Keeps numbers, strings, None, tuples and lists of them, and arrays (as
    plain ``ndarray`` copies; tensors become arrays). Anything else, or
    anything whose ``__array__``/``__repr__`` fails, is described in text.

    Examples
    --------
    >>> safe_value((1, [2.5, "a"]))
    (1, [2.5, 'a'])
    >>> safe_value(object())
    object
    """
    kind = type(value)
    if value is None or kind in (bool, int, float, complex):
        return value
    if isinstance(value, str):  # a subclass is read as the text it holds, whatever it overrides
        return truncate(str.__str__(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return int.__index__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, np.generic) and kind.__module__ == "numpy" and value.dtype.kind != "O":
        return value
    if depth >= _MAX_DEPTH:
        return Opaque(_type_name(value), "a structure nested too deeply to show")
    if isinstance(value, (tuple, list)):  # a named tuple is compared as a tuple
        items = _attempt(lambda: list(value), lambda exc: None)
        if items is None or len(items) > _MAX_ELEMENTS:
            return Opaque(_type_name(value), f"a {_type_name(value)} too long to show")
        items = [safe_value(item, depth + 1) for item in items]
        return items if isinstance(value, list) else tuple(items)
    if kind.__module__.startswith("torch") and hasattr(value, "detach"):
        value = _attempt(lambda: value.detach().cpu().numpy(), lambda exc: value)
    return _attempt(lambda: _safe_array(value), lambda exc: Opaque(_type_name(value), (
        f"a {_type_name(value)} that cannot be read as an array "
        f"({describe_exception(exc).text})")))


def _safe_array(value):
    is_array = isinstance(value, np.ndarray) or hasattr(value, "__array__") or hasattr(
        value, "__array_interface__")
    if not is_array:
        return Opaque(_type_name(value), _describe_object(value))
    array = np.asarray(value)
    if type(array) is not np.ndarray:
        array = np.array(array, subok=False)
    if array.dtype.kind == "O":
        return Opaque(_type_name(value), "array of dtype object")
    if array.size > _MAX_ELEMENTS:
        return Opaque(_type_name(value), f"array of shape {array.shape}, dtype {array.dtype}",
                      shape=tuple(array.shape))
    return np.array(array, copy=True, subok=False)


def _describe_object(value):
    text = _attempt(lambda: repr(value), lambda exc: None)
    if not isinstance(text, str) or len(text) > 60 or " at 0x" in text:
        return _type_name(value)
    return text


