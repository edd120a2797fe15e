"""The generic checker: run a learner's function on cases, explain the first failure.

Every ``check_*`` function in :mod:`convlab.exercises` is a thin call to
:func:`run_check` with its own cases, its reference (convlab's library or
PyTorch) and its list of known mistakes. The engine

1. calls the learner's function on a private copy of each case's arguments,
   under a per-case time limit, catching whatever it raises;
2. checks the answer: not None, the right type, shape, dtype, then values;
3. checks the inputs were not modified;
4. on the first failure, runs every known mistake on the same case and names
   those whose output equals the learner's (``np.allclose``): a diagnosis is
   computed, never guessed.

It never raises because of the learner's code; it raises ``TypeError`` only
when the checker itself is misused (e.g. given something that is not a function).
"""

import copy
import signal
import sysconfig
import threading
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .formatting import describe_difference, format_value
from .misconceptions import MESSAGES
from .result import FAILED, NOT_IMPLEMENTED, PASSED, CheckResult

DEFAULT_TIME_LIMIT = 5.0
"""Seconds a learner's function may take on one (small) case."""


@dataclass(frozen=True)
class Case:
    """One call of the learner's function: a label and the positional arguments."""

    label: str
    args: tuple  # ((name, value), ...) in the order of the learner's signature

    @property
    def values(self):
        return tuple(value for _, value in self.args)


def case(label, **args):
    """Build a :class:`Case`; keyword order is the learner's argument order.

    Examples
    --------
    >>> case("1x1 kernel", n=5, k=1).values
    (5, 1)
    """
    return Case(label, tuple(args.items()))


class _TimeUp(BaseException):
    """Raised inside the learner's code when its time is up (not an Exception,
    so a bare ``except Exception`` in learner code cannot swallow it)."""


def call_with_time_limit(fn, args, seconds):
    """Call ``fn(*args)``; return ``("ok", value)``, ``("raised", exc)`` or ``("slow", None)``.

    On the main thread of a Unix process a ``SIGALRM`` timer interrupts the
    call (any timer already running, e.g. pytest-timeout's, is restored).
    Elsewhere the call runs in a daemon thread that is abandoned if it
    overruns; in the normal case it has finished and no thread is left.

    Examples
    --------
    >>> call_with_time_limit(lambda a: a + 1, (1,), seconds=1.0)
    ('ok', 2)
    """
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        return _call_with_alarm(fn, args, seconds)
    return _call_in_thread(fn, args, seconds)


def _call_with_alarm(fn, args, seconds):
    armed = [True]

    def on_alarm(signum, frame):
        if armed[0]:  # fires at most once, and only while the learner's code runs
            armed[0] = False
            raise _TimeUp()

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.monotonic()
    try:
        try:
            return "ok", fn(*args)
        except (Exception, SystemExit) as exc:  # the learner's code failed
            return "raised", exc
    except _TimeUp:
        return "slow", None
    finally:
        try:
            armed[0] = False
        finally:  # restore whatever timer was running (e.g. pytest-timeout's)
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous_handler)
            if previous_delay:
                left = previous_delay - (time.monotonic() - start)
                signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), previous_interval)


def _call_in_thread(fn, args, seconds):
    outcome = ["slow", None]

    def target():
        try:
            outcome[:] = ["ok", fn(*args)]
        except (Exception, SystemExit) as exc:
            outcome[:] = ["raised", exc]

    worker = threading.Thread(target=target, name="convlab-exercise", daemon=True)
    worker.start()
    worker.join(seconds)
    return tuple(outcome)


def run_check(learner_fn, *, name, cases, reference, mistakes=(), argument="fn",
              time_limit=DEFAULT_TIME_LIMIT, output_names=None, call=None):
    """Run ``learner_fn`` on ``cases`` against ``reference``; show and return the verdict.

    Parameters
    ----------
    learner_fn : callable
        The learner's function.
    name : str
        Its name in the exercise, used in the verdict.
    cases : sequence of Case
        Edge cases first: the verdict names the first failing one.
    reference : callable
        ``reference(*case.values)`` gives the expected answer.
    mistakes : sequence of (key, callable)
        Known wrong implementations; ``key`` indexes
        :data:`convlab.exercises.misconceptions.MESSAGES`.
    argument : str
        Name of the checker's parameter, for the ``TypeError`` message.
    time_limit : float
        Seconds allowed per case.
    output_names : sequence of str, optional
        Names of the parts when the answer is a tuple, e.g. ``("dx", "dw", "db")``.
    call : callable, optional
        ``call(learner_fn, *values)`` runs the learner's code (default
        ``learner_fn(*values)``); used when the learner writes a class.

    Returns
    -------
    CheckResult
        Also shown: a box in a notebook, printed text elsewhere.

    Examples
    --------
    >>> cases = [case("zero", x=0.0), case("three", x=3.0)]
    >>> r = run_check(lambda x: x + x, name="square", cases=cases, reference=lambda x: x * x)
    square: failed on case 2 of 2 (wrong values).
        case: three
        call: square(x=3.0)
        expected: 9.0
        got: 6.0
        hint: no known mistake gives this answer; compare expected and got on this small case by hand.
    """
    if not callable(learner_fn):
        raise TypeError(f"{argument} must be the function you wrote (a callable), "
                        f"got {type(learner_fn).__name__}: {learner_fn!r:.60}")
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not time_limit > 0:
        raise TypeError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    call = call or (lambda fn, *values: fn(*values))
    for index, this in enumerate(cases):
        verdict = _run_case(learner_fn, this, index == 0, reference, mistakes, time_limit,
                            output_names, call)
        if verdict is not None:
            status, reason, details, diagnosed = verdict
            if status == NOT_IMPLEMENTED:
                return CheckResult(name, status, len(cases)).show()
            arguments = _describe_arguments(name, this.args)
            result = CheckResult(name, status, len(cases), index, case=this.label,
                                 reason=reason, details=arguments + details,
                                 misconceptions=diagnosed)
            return result.show()
    return CheckResult(name, PASSED, len(cases), len(cases)).show()


def _run_case(learner_fn, this, first, reference, mistakes, time_limit, output_names, call):
    """None if the case passes, else ``(status, reason, details, misconceptions)``."""
    given = copy.deepcopy(this.values)
    with warnings.catch_warnings():  # a learner's divide-by-zero is not our verdict
        warnings.simplefilter("ignore")
        kind, got = call_with_time_limit(lambda: call(learner_fn, *given), (), time_limit)
    if kind == "slow":
        return FAILED, "too slow", [("", f"no answer after {time_limit:g} s on this small case; "
                                         "look for a loop that never ends or one that is far "
                                         "longer than it needs to be.")], ()
    if kind == "raised":
        if isinstance(got, NotImplementedError) and first:
            return NOT_IMPLEMENTED, "raised NotImplementedError", [], ()
        return FAILED, "raised", [("raised", _describe_exception(got))], ()
    changed = [arg for (arg, before), after in zip(this.args, given) if not _unchanged(before, after)]
    if changed:
        return FAILED, "mutated input", [(
            "", f"your function modified its input `{changed[0]}`; work on a copy "
            "(e.g. `np.pad` or `x.copy()`) and leave the inputs as they were.")], ()
    expected = reference(*copy.deepcopy(this.values))
    problem = compare(expected, got, output_names)
    if problem is None:
        return None
    reason, details = problem
    diagnosed = []
    for key, wrong in mistakes:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs = wrong(*copy.deepcopy(this.values))
        except Exception:  # a mistake may not apply to this case
            continue
        if _same(theirs, got) and not _same(theirs, expected) and key not in dict(diagnosed):
            diagnosed.append((key, MESSAGES[key]))
    return FAILED, reason, details, diagnosed


def _describe_arguments(name, args):
    """One ``call`` row for short arguments, else one row per argument."""
    rows = [(arg, format_value(value)) for arg, value in args]
    call = f"{name}({', '.join(f'{arg}={text}' for arg, text in rows)})"
    if len(call) <= 80 and "\n" not in call:
        return [("call", call)]
    return rows


def _describe_exception(exc):
    """``ValueError: message (in `fn`, line 4: `code`)``, at the learner's last line."""
    text = f"{type(exc).__name__}: {exc}".rstrip(": ")
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if _is_learner_code(f.filename)]
    if frames:
        last = frames[-1]
        where = f"in `{last.name}`, line {last.lineno}"
        if last.line:
            where += f": `{last.line.strip()}`"
        text += f" ({where})"
    return text


_LIBRARY_DIRS = tuple(str(Path(p).resolve()) for p in (
    Path(__file__).parents[1], sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"],
    sysconfig.get_paths()["platlib"]))


def _is_learner_code(filename):
    """Not convlab, numpy, torch or the standard library: the learner's own file or cell."""
    return not str(Path(filename).resolve()).startswith(_LIBRARY_DIRS)


def _unchanged(before, after):
    """Exactly equal, element by element (a mutation by 1e-12 is still a mutation)."""
    if isinstance(before, (tuple, list)):
        return (isinstance(after, (tuple, list)) and len(before) == len(after)
                and all(_unchanged(a, b) for a, b in zip(before, after)))
    if isinstance(before, np.ndarray):
        return (isinstance(after, np.ndarray) and before.shape == after.shape
                and bool(np.array_equal(before, after, equal_nan=True)))
    return type(before) is type(after) and before == after


def _same(a, b):
    """Equal answers: same structure, shapes and (close) values."""
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return (isinstance(a, (tuple, list)) and isinstance(b, (tuple, list))
                and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b)))
    if a is None or b is None:
        return a is b
    try:
        a, b = np.asarray(a), np.asarray(b)
    except Exception:
        return False
    if a.shape != b.shape or a.dtype.kind in "OUSV" or b.dtype.kind in "OUSV":
        return False
    return bool(np.allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True))


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
        parts = f" ({', '.join(output_names)})" if output_names else ""
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return "wrong type", [("", f"expected a tuple of {len(expected)} values{parts}, "
                                       f"got a {type(got).__name__}: {format_value(got)}")]
        names = output_names or [f"{label}[{i}]" for i in range(len(expected))]
        problems = [compare(exp, part, label=name) for name, exp, part in zip(names, expected, got)]
        if all(_is_int(e) for e in expected) and all(p is None or p[0] == "wrong values"
                                                     for p in problems):
            if any(problems):  # show whole tuples of sizes rather than one entry
                return "wrong values", [("expected", f"{tuple(expected)}{parts}"),
                                        ("got", format_value(tuple(got)))]
            return None
        return next((p for p in problems if p is not None), None)
    if _is_int(expected):
        if not _is_int(got):
            hint = (": sizes are whole numbers, use `//` or `int(...)`"
                    if isinstance(got, (float, np.floating)) else "")
            return "wrong type", [("", f"expected the int {expected}, got {got!r} "
                                       f"(a {type(got).__name__}){hint}")]
        if got != expected:
            return "wrong values", [("expected", str(expected)), ("got", str(int(got)))]
        return None
    return _compare_arrays(np.asarray(expected), got, label)


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _compare_arrays(expected, got, label):
    if type(got).__module__.startswith("torch") and hasattr(got, "detach"):
        got = got.detach().cpu().numpy()  # a tensor is fine where an array is asked
    try:
        array = np.asarray(got)
    except Exception:
        array = None
    if array is None or array.dtype.kind not in "biufc":
        return "wrong type", [("", f"expected an array of shape {expected.shape}, "
                                   f"got a {type(got).__name__}: {format_value(got)}")]
    of = "" if label == "your answer" else f" {label}"
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
    if not _same(expected, array):
        return "wrong values", [(f"expected{of}", format_value(expected)),
                                (f"got{of}", format_value(array)),
                                *describe_difference(expected, array)]
    return None
