"""One definition per exercise: the :func:`exercise` decorator and its :class:`Exercise`.

A checker module declares each exercise once::

    @exercise(reference=_correlate1d, mistakes=[("kernel_flipped", ...), ...])
    def check_correlate1d():
        \"\"\"Check ``correlate1d(p, w)``: ... Examples ...\"\"\"
        return [case("kernel of length 1", p=..., w=...), ...]

The decorated function builds the cases (edge cases first); its name,
``check_<learner's function>``, and its docstring become the checker's. The
decorator returns the checker itself: ``check_correlate1d(correlate1d, *,
time_limit=5.0)``, which runs :func:`convlab.exercises.grading.engine.run_check`
and carries ``.exercise`` (the :class:`Exercise`) and ``.mistakes``.
"""

import functools
import inspect
from dataclasses import dataclass
from typing import Callable, Optional

from ..._checks import check_int
from .engine import DEFAULT_TIME_LIMIT, run_check
from .forbidden import forbid_argument
from .variants import seed_for, vary_cases

_STANDARD_SECTIONS = """
    Parameters
    ----------
    {argument} : {kind}
        What the learner wrote.
    time_limit : float, default {time_limit:g}
        Seconds allowed per case.

    Returns
    -------
    CheckResult
        Truthy when every case passed; the verdict is also shown.
"""


@dataclass(frozen=True)
class Exercise:
    """Everything a checker knows about one exercise.

    Attributes
    ----------
    name : str
        The learner's function, as the verdict names it (e.g. ``"correlate1d"``).
    argument : str
        The checker's parameter, as misuse errors name it.
    cases : callable
        ``cases()`` gives the sequence of :class:`~convlab.exercises.grading.engine.Case`.
    reference : callable
        ``reference(*case.values)`` gives the expected answer.
    mistakes : tuple of (key, callable)
        Known wrong implementations, keyed into ``MESSAGES``.
    time_limit : float
        Default seconds per case.
    output_names : tuple of str, optional
        Names of the parts of a tuple answer.
    call : callable, optional
        ``call(learner, *values)`` when the learner writes something other
        than a plain function (e.g. a ``torch.autograd.Function``).
    needs : (str, str), optional
        ``(attribute, what)``: the learner's object must be ``what`` with that
        attribute, e.g. ``("apply", "a torch.autograd.Function subclass")``;
        then the verdict is named after the learner's object itself.
    forbid : tuple of str
        Library names the learner must not use (see
        :mod:`convlab.exercises.grading.forbidden`); the exercise text states them.
    forbid_why : str, optional
        Why, in one sentence (a default otherwise).
    space : Space, optional
        The case space searched for the smallest failing case after a wrong
        answer (:mod:`convlab.exercises.grading.shrink`).
    weight : int
        Points of the exercise in a graded course (``python -m convlab course``): a
        whole formulation or a backward pass weighs more than a helper.
    """

    name: str
    argument: str
    cases: Callable
    reference: Callable
    mistakes: tuple = ()
    time_limit: float = DEFAULT_TIME_LIMIT
    output_names: Optional[tuple] = None
    call: Optional[Callable] = None
    needs: Optional[tuple] = None
    forbid: tuple = ()
    forbid_why: Optional[str] = None
    space: Optional[object] = None
    vary: bool = True  # per-student variants of the cases (False: the values matter as written)
    task: Optional[str] = None  # what the learner is asked to write, in one sentence
    weight: int = 1  # points in a graded course

    def check(self, learner, time_limit=None):
        """Run the checker on ``learner``; show and return the verdict."""
        name = self.name
        if self.needs is not None:
            attribute, what = self.needs
            if not hasattr(learner, attribute):
                raise TypeError(f"{self.argument} must be {what} (with an `{attribute}` "
                                f"method), got {type(learner).__name__}")
            name = getattr(learner, "__name__", self.argument)  # e.g. the learner's Conv2dLoops
        # the checker's own known mistakes (run as learners by the tests) may use the library
        forbid = () if any(learner is wrong for _, wrong in self.mistakes) else self.forbid
        seed = seed_for(self.name) if self.vary else 0
        return run_check(learner, name=name, argument=self.argument,
                         cases=vary_cases(self.cases(), seed), seed=seed, task=self.task,
                         reference=self.reference, mistakes=self.mistakes,
                         time_limit=self.time_limit if time_limit is None else time_limit,
                         output_names=self.output_names, call=self.call, forbid=forbid,
                         forbid_why=self.forbid_why, space=self.space)


def exercise(*, reference, mistakes=(), name=None, argument=None, time_limit=DEFAULT_TIME_LIMIT,
             output_names=None, call=None, needs=None, forbid=(), forbid_why=None, space=None,
             vary=True, weight=1):
    """Declare an exercise; decorate the function that builds its cases (see the module doc).

    Examples
    --------
    >>> from convlab.exercises.grading.engine import case
    >>> @exercise(reference=lambda x: 2 * x, mistakes=[("forgot_bias", lambda x: x)])
    ... def check_double():
    ...     '''Check ``double(x)``: twice ``x``.'''
    ...     return [case("zero", x=0), case("one", x=1)]
    >>> r = check_double(lambda x: x + x)
    double: passed 2 cases.
    >>> check_double.exercise.name, [key for key, _ in check_double.mistakes]
    ('double', ['forgot_bias'])
    """
    def declare(build_cases):
        checker_name = build_cases.__name__
        if not checker_name.startswith("check_"):
            raise ValueError(f"an exercise's cases function must be named check_<name>, "
                             f"got {checker_name!r}")
        learner = name or checker_name[len("check_"):]
        spec = Exercise(learner, argument or learner, build_cases, reference, tuple(mistakes),
                        time_limit, output_names, call, needs, forbid_argument(forbid), forbid_why,
                        space, vary, _task(build_cases.__doc__, learner),
                        check_int(weight, "weight", 1))
        signature = inspect.Signature([
            inspect.Parameter(spec.argument, inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter("time_limit", inspect.Parameter.KEYWORD_ONLY, default=time_limit)])

        @functools.wraps(build_cases)
        def checker(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            return spec.check(*bound.args, **bound.kwargs)

        checker.__signature__ = signature
        checker.__doc__ = _with_standard_sections(build_cases.__doc__ or "", spec)
        checker.exercise = spec
        checker.mistakes = spec.mistakes
        return checker
    return declare


def _task(doc, learner):
    """The docstring's first sentence, as the task: "correlate1d(p, w): valid 1-D cross-correlation"."""
    first = (doc or "").strip().split("\n\n")[0].replace("\n", " ")
    first = " ".join(first.split()).replace("``", "")
    if first.startswith("Check "):
        first = first[len("Check "):]
    return first.rstrip(".") or learner


def _with_standard_sections(doc, spec):
    """The docstring with Parameters and Returns put before its Examples."""
    kind = "class" if spec.needs else "callable"
    sections = _STANDARD_SECTIONS.format(argument=spec.argument, kind=kind,
                                         time_limit=spec.time_limit)
    head, examples, tail = doc.partition("\n    Examples\n")
    return head.rstrip() + "\n" + sections + examples + tail
