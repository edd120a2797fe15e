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
import warnings
from dataclasses import dataclass

from ..sandbox import isolation
from ..sandbox.outcome import MEMORY_LIMIT, Opaque
from ..sandbox.isolation import call_with_time_limit, learner_calls  # noqa: F401 -- public here too
from .comparison import compare, same, unchanged
from .formatting import format_value
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


def _call_plain(fn, *values):
    return fn(*values)


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
    cases = list(cases)
    index = 0
    try:
        with learner_calls(learner_fn, call or _call_plain, [c.values for c in cases],
                           time_limit) as outcomes:
            for index, (this, outcome) in enumerate(zip(cases, outcomes)):
                if outcome.printed:
                    print(outcome.printed, end="" if outcome.printed.endswith("\n") else "\n")
                verdict = _judge(this, outcome, index == 0, reference, mistakes, time_limit,
                                 output_names)
                if verdict is None:
                    continue
                status, reason, details, diagnosed = verdict
                if status == NOT_IMPLEMENTED:
                    return CheckResult(name, status, len(cases)).show()
                result = CheckResult(name, status, len(cases), index, case=this.label,
                                     reason=reason, details=_describe_arguments(name, this.args)
                                     + details, misconceptions=diagnosed)
                return result.show()
    except KeyboardInterrupt:  # a real Ctrl-C: the learner's code is stopped, say so, stop
        CheckResult(name, FAILED, len(cases), index, reason="interrupted", details=[(
            "", "you interrupted the check; your function was stopped.")]).show()
        raise
    return CheckResult(name, PASSED, len(cases), len(cases)).show()


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
