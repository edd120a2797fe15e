"""Run a learner's function where it cannot hurt the session that checks it.

On Linux and macOS every check forks a child process (copy-on-write, so the
learner's function, its globals and the cases are all there). The child
calls the function on each case and sends back, through a pipe, a *safe*
copy of each answer: numbers, strings, tuples, lists and numeric arrays, or
an :class:`Opaque` text describing anything else. The parent

* enforces the time limit by waiting on the pipe and killing the child
  (a bare ``except:`` in a loop cannot swallow a kill);
* caps the child's new memory (``RLIMIT_AS``, :data:`MEMORY_LIMIT` bytes on
  top of what the session already uses; Linux);
* computes the reference, the comparison and the diagnosis itself, so a
  learner's ``cl.correlate2d = mine`` or ``np.allclose = lambda *a, **k:
  True`` dies with the child;
* reports ``os._exit``, a crash or a kill of the child as an outcome.

Forking works from any thread (the child has only the calling thread: the
session's other threads, e.g. Jupyter's, are not there); the child reads
no input and its printed output is sent back with its answers.

Where ``os.fork`` does not exist (Windows), or the environment variable
``CONVLAB_CHECK_ISOLATION`` is ``none``, or no process can be started (a
process limit), the function runs in this process
under a time limit (:func:`call_with_time_limit`) with the limits that
brings: a function that swallows every exception cannot be stopped,
``os._exit`` ends the session, and patches of library names persist.
"""

import copy
import os
import signal
import sysconfig
import threading
import time
import traceback
import warnings
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MEMORY_LIMIT = 2 ** 30
"""Bytes of new address space a checked function may take (on top of the session's)."""

MAX_TEXT = 300
"""Characters kept of an exception message or a printed description."""

MAX_PRINTED = 2000
"""Characters kept of what the learner's function printed on one case."""

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
                               if _is_learner_code(f.filename)], lambda inner: [])
    if frames:
        last = frames[-1]
        where = f"in `{last.name}`, line {last.lineno}"
        if last.line:
            where += f": `{truncate(last.line.strip(), 80)}`"
        text += f" ({where})"
    return Raised(name, text, isinstance(exc, NotImplementedError), isinstance(exc, MemoryError))


_LIBRARY_DIRS = tuple(str(Path(p).resolve()) for p in (
    Path(__file__).parents[1], sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"],
    sysconfig.get_paths()["platlib"]))


def _is_learner_code(filename):
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
    if kind is str:
        return truncate(value)
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


# ---------------------------------------------------------------- in-process
class _TimeUp(BaseException):
    """Raised inside the learner's code when its time is up (not an Exception,
    so a bare ``except Exception`` in learner code cannot swallow it)."""


def call_with_time_limit(fn, args, seconds):
    """Call ``fn(*args)`` in this process; return ``("ok", value)``, ``("raised", exc)`` or ``("slow", None)``.

    On the main thread of a Unix process a ``SIGALRM`` timer interrupts the
    call (any timer already running, e.g. pytest-timeout's, is restored).
    Elsewhere the call runs in a daemon thread that is abandoned if it
    overruns. This is the fallback where no child process can be forked.

    Examples
    --------
    >>> call_with_time_limit(lambda a: a + 1, (1,), seconds=1.0)
    ('ok', 2)
    """
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        return _call_with_alarm(fn, args, seconds)
    return call_in_thread(fn, args, seconds)


def _call_with_alarm(fn, args, seconds):
    armed = [True]

    def on_alarm(signum, frame):
        if armed[0]:  # fires at most once, and only while the learner's code runs
            armed[0] = False
            raise _TimeUp()

    interrupted = []

    def on_interrupt(signum, frame):  # a real Ctrl-C, told apart from a learner's raise
        interrupted.append(True)
        raise KeyboardInterrupt

    previous_interrupt = signal.getsignal(signal.SIGINT)
    if previous_interrupt is signal.default_int_handler:
        signal.signal(signal.SIGINT, on_interrupt)
    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.monotonic()
    try:
        try:
            return "ok", fn(*args)
        except (Exception, SystemExit, KeyboardInterrupt) as exc:  # the learner's code failed
            if interrupted:
                raise
            return "raised", exc
    except _TimeUp:
        return "slow", None
    finally:
        try:
            armed[0] = False
        finally:  # restore whatever timer was running (e.g. pytest-timeout's)
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous_handler)
            if previous_interrupt is signal.default_int_handler:
                signal.signal(signal.SIGINT, previous_interrupt)
            if previous_delay:
                left = previous_delay - (time.monotonic() - start)
                signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), previous_interval)


def call_in_thread(fn, args, seconds):
    """Like :func:`call_with_time_limit`, in a daemon thread abandoned after ``seconds``."""
    outcome = ["slow", None]

    def target():
        try:
            outcome[:] = ["ok", fn(*args)]
        except (Exception, SystemExit, KeyboardInterrupt) as exc:
            outcome[:] = ["raised", exc]

    worker = threading.Thread(target=target, name="convlab-exercise", daemon=True)
    worker.start()
    worker.join(seconds)
    return tuple(outcome)


def _in_process(learner_fn, call, arguments, time_limit):
    for values in arguments:
        given = copy.deepcopy(values)
        with warnings.catch_warnings():  # a learner's divide-by-zero is not our verdict
            warnings.simplefilter("ignore")
            kind, got = call_with_time_limit(lambda: call(learner_fn, *given), (), time_limit)
        if kind == "slow":
            yield Outcome("slow", isolated=False)
            return
        value = describe_exception(got) if kind == "raised" else safe_value(got)
        yield Outcome(kind, value, safe_value(given), isolated=False)


def forking():
    """True when checks run in a forked child (see the module docstring)."""
    return hasattr(os, "fork") and os.environ.get("CONVLAB_CHECK_ISOLATION", "fork") != "none"


@contextmanager
def learner_calls(learner_fn, call, arguments, time_limit):
    """Run ``call(learner_fn, *values)`` for each tuple in ``arguments``; give an iterator of :class:`Outcome`.

    One outcome per case, in order, until the first that ends the run
    ("slow", "ended", "unreadable"). Leaving the ``with`` block stops the
    learner's code (the child is killed and reaped).
    """
    with ExitStack() as stack:
        child = None
        if forking():
            from .child import start_child  # POSIX only (resource, poll)
            try:
                child = stack.enter_context(start_child(learner_fn, call, arguments))
            except OSError:  # no process can be started now (e.g. a process limit)
                child = None
        if child is None:
            yield _in_process(learner_fn, call, arguments, time_limit)
        else:
            yield child.outcomes(len(arguments), time_limit)
