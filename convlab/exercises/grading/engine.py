"""The generic checker: run a learner's function on cases, explain the first failure.

Every ``check_*`` function in :mod:`convlab.exercises` is declared with
:func:`convlab.exercises.grading.definition.exercise` and runs through
:func:`run_check` with its own cases, its reference (convlab's library or
PyTorch) and its list of known mistakes. The engine

1. runs the learner's function on a private copy of each case's arguments,
   in a child process with a time and memory limit
   (:mod:`convlab.exercises.sandbox.isolation`), catching whatever it does;
2. checks the answer: not None, the right type, shape, dtype, then values;
3. checks the inputs were not modified;
4. on the first failure, runs every known mistake on the same case and names
   those whose output equals the learner's (``np.allclose``): a diagnosis is
   computed, never guessed.

Steps 2-4 and the reference run in the checking process, out of the
learner's reach. It never raises because of the learner's code; it raises
``TypeError`` only when the checker itself is misused (e.g. given something
that is not a function), and lets a real Ctrl-C stop the check.
"""

import copy
import math
import warnings
from dataclasses import dataclass

import numpy as np

from ..sandbox import isolation
from ..sandbox.outcome import MEMORY_LIMIT, UNREADABLE, Opaque
from ..sandbox.isolation import call_with_time_limit, learner_calls  # noqa: F401 -- public here too
from .comparison import compare, same, unchanged
from .forbidden import forbid_argument, forbidden_uses, verdict_rows
from .formatting import format_value
from .shrink import smallest_failure
from .misconceptions import MESSAGES
from .result import FAILED, NOT_GRADED, NOT_IMPLEMENTED, PASSED, CheckResult
from .trusted import refusal

DEFAULT_TIME_LIMIT = 5.0
"""Seconds a learner's function may take on one (small) case."""

MAX_TIME_LIMIT = 3600.0
"""The longest ``time_limit`` a check accepts, in seconds."""


def plain_number(value, argument, *, finite=True, minimum=None, above=None, maximum=None):
    """``value`` as an exact ``float``, or a ``TypeError``/``ValueError`` naming ``argument``.

    Subclasses of ``int`` and ``float`` are read through the base type (their
    own ``__float__`` is not called); ``bool`` is not a number here.

    Examples
    --------
    >>> plain_number(2, "time_limit", above=0)
    2.0
    >>> plain_number(float("nan"), "tolerance")
    Traceback (most recent call last):
    ...
    ValueError: tolerance must be a finite number, got nan
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                      np.floating)):
        raise TypeError(f"{argument} must be a number, got {type(value).__name__}: "
                        f"{_short_repr(value)}")
    if isinstance(value, float):
        number = float.__float__(value)
    elif isinstance(value, int):
        number = float(int.__index__(value)) if abs(int.__index__(value)) < 2 ** 1000 else math.inf
    else:
        number = float(value.item())
    if finite and not math.isfinite(number):
        raise ValueError(f"{argument} must be a finite number, got {number!r}")
    if minimum is not None and not number >= minimum:
        raise ValueError(f"{argument} must be at least {minimum:g}, got {number!r}")
    if above is not None and not number > above:
        raise ValueError(f"{argument} must be greater than {above:g}, got {number!r}")
    if maximum is not None and not number <= maximum:
        raise ValueError(f"{argument} must be at most {maximum:g}, got {number!r}")
    return number


def _short_repr(value):
    try:
        text = object.__repr__(value) if not isinstance(value, (str, bytes)) else repr(
            str.__str__(value) if isinstance(value, str) else value)
    except Exception:
        text = "?"
    return text[:60]


def time_limit_argument(time_limit):
    """A valid ``time_limit`` in seconds (finite, > 0, at most :data:`MAX_TIME_LIMIT`).

    Examples
    --------
    >>> time_limit_argument(0.5)
    0.5
    >>> time_limit_argument(0)
    Traceback (most recent call last):
    ...
    ValueError: time_limit must be greater than 0, got 0.0
    """
    return plain_number(time_limit, "time_limit", above=0, maximum=MAX_TIME_LIMIT)


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


def _call_plain(fn, *values):
    return fn(*values)


def run_check(learner_fn, *, name, cases, reference, mistakes=(), argument="fn",
              time_limit=DEFAULT_TIME_LIMIT, output_names=None, call=None, forbid=(),
              forbid_why=None, space=None, seed=0, task=None):
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
        :data:`convlab.exercises.grading.misconceptions.MESSAGES`.
    argument : str
        Name of the checker's parameter, for the ``TypeError`` message.
    time_limit : float
        Seconds allowed per case.
    output_names : sequence of str, optional
        Names of the parts when the answer is a tuple, e.g. ``("dx", "dw", "db")``.
    call : callable, optional
        ``call(learner_fn, *values)`` runs the learner's code (default
        ``learner_fn(*values)``); used when the learner writes a class.
    forbid : sequence of str
        Dotted names the learner's code may not use (``"numpy.correlate"``,
        ``"torch"``), found in its code before it runs
        (:func:`~convlab.exercises.grading.forbidden.forbidden_uses`).
    forbid_why : str, optional
        Why the exercise forbids them (a default sentence otherwise).
    space : Space, optional
        The exercise's case space: after a wrong answer, the smallest failing
        case in it is searched (:func:`~convlab.exercises.grading.shrink.smallest_failure`)
        and shown, with the feature that breaks.
    seed : int
        Seeds that search (the student's variant).
    task : str, optional
        What the learner is asked to write, shown at the top of the card.

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
    time_limit = time_limit_argument(time_limit)

    def result_of(*args, **kwargs):
        return CheckResult(*args, task=task, **kwargs)
    forbid = forbid_argument(forbid)
    cases = list(cases)
    refused = refusal()
    if refused is not None:
        return result_of(name, NOT_GRADED, len(cases), reason="not graded",
                           details=[("", refused)]).show()
    uses = forbidden_uses(learner_fn, forbid)
    if uses:
        return result_of(name, FAILED, len(cases), reason="forbidden call",
                           details=verdict_rows(uses, *([forbid_why] if forbid_why else [])),
                           misconceptions=()).show()
    index = 0
    try:
        with learner_calls(learner_fn, call or _call_plain, [c.values for c in cases],
                           time_limit) as outcomes:
            for index, (this, outcome) in enumerate(zip(cases, outcomes)):
                if outcome.printed:
                    print(outcome.printed, end="" if outcome.printed.endswith("\n") else "\n")
                verdict = _judge_safely(this, outcome, index == 0, reference, mistakes,
                                        time_limit, output_names)
                if verdict is None:
                    continue
                status, reason, details, diagnosed = verdict
                if status == NOT_IMPLEMENTED:
                    return result_of(name, status, len(cases)).show()
                break
            else:
                return result_of(name, PASSED, len(cases), len(cases),
                               why=_why_right(cases)).show()
    except KeyboardInterrupt:  # a real Ctrl-C: the learner's code is stopped, say so, stop
        result_of(name, FAILED, len(cases), index, reason="interrupted", details=[(
            "", "you interrupted the check; your function was stopped.")]).show()
        raise
    finding = None
    if space is not None and reason in SHRUNK:
        finding = smallest_failure(learner_fn, space, reference, call=call, seed=seed,
                                   time_limit=min(time_limit, 1.0), output_names=output_names)
    if finding is not None:  # the smallest case tells more than the first of the fixed list
        details = finding.rows
    else:
        details = _describe_arguments(name, this.args) + details
    result = result_of(name, status, len(cases), index, reason=reason,
                         case=None if finding is not None else this.label,
                         details=details, misconceptions=diagnosed)
    result.smallest = finding
    return result.show()


def _why_right(cases):
    labels = [c.label for c in cases[:2]]
    edges = f", edge cases included ({'; '.join(labels)})" if labels else ""
    return f"it gives the reference's answer on all {len(cases)} cases{edges}."


SHRUNK = ("wrong values", "wrong shape")
"""The failures after which the smallest failing case is searched."""


def _judge_safely(this, outcome, first, reference, mistakes, time_limit, output_names):
    """:func:`_judge`, with an answer it cannot read (a forged message) reported as unreadable."""
    try:
        return _judge(this, outcome, first, reference, mistakes, time_limit, output_names)
    except Exception:  # only a forged message from the child gets here
        return FAILED, "unreadable answer", [("", UNREADABLE)], ()


def _judge(this, outcome, first, reference, mistakes, time_limit, output_names):
    """None if the case passes, else ``(status, reason, details, misconceptions)``."""
    if outcome.kind == "slow":
        text = (f"no answer after {time_limit:g} s on this small case; look for a loop that "
                "never ends or one that is far longer than it needs to be.")
        if not outcome.isolated:
            text += (" (Checked in this process, as no separate one can be started here: "
                     "your function may still be running; restart the kernel if it stays busy.)")
        return FAILED, "too slow", [("", text)], ()
    if outcome.kind in ("ended", "unreadable"):
        text = (f"your function ended the process it ran in: {outcome.value}."
                if outcome.kind == "ended" else outcome.value)
        return FAILED, "ended the process" if outcome.kind == "ended" else "unreadable answer", [
            ("", text)], ()
    if outcome.kind == "raised":
        if outcome.value.not_implemented and first:
            return NOT_IMPLEMENTED, "raised NotImplementedError", [], ()
        details = [("raised", outcome.value.text)]
        if outcome.value.out_of_memory:
            details.append(("", f"a check allows your function {MEMORY_LIMIT / 2**30:g} "
                                "GiB of memory; these cases need far less."))
        return FAILED, "raised", details, ()
    got = outcome.value
    # An input that is not plain data (a function, an object) comes back only described:
    # its mutation cannot be seen from here, and a checker never hands out such an input to be changed.
    changed = [arg for (arg, before), after in zip(this.args, outcome.given)
               if not isinstance(after, Opaque) and not unchanged(before, after)]
    if changed:
        return FAILED, "mutated input", [(
            "", f"your function modified its input `{changed[0]}`; work on a copy "
            "(e.g. `np.pad` or `x.copy()`) and leave the inputs as they were.")], ()
    expected = reference(*copy.deepcopy(this.values))
    problem = compare(expected, got, output_names)
    if problem is None:
        return None
    reason, details = problem
    return FAILED, reason, details, _diagnose(this, got, expected, mistakes)


def _diagnose(this, got, expected, mistakes):
    """The known mistakes whose answer on this case equals the learner's."""
    diagnosed = []
    for key, wrong in mistakes:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs = wrong(*copy.deepcopy(this.values))
        except Exception:  # a mistake may not apply to this case
            continue
        if same(theirs, got) and not same(theirs, expected) and key not in dict(diagnosed):
            diagnosed.append((key, MESSAGES[key]))
    return diagnosed


def _describe_arguments(name, args):
    """One ``call`` row for short arguments, else one row per argument."""
    rows = [(arg, format_value(value)) for arg, value in args]
    call = f"{name}({', '.join(f'{arg}={text}' for arg, text in rows)})"
    if len(call) <= 80 and "\n" not in call:
        return [("call", call)]
    return rows
