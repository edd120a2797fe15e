"""Questions with feedback: multiple choice, predicted values and predicted shapes.

A question is graded like an exercise. The learner writes a function that
returns the answer, between the solution markers (so that a student copy
turns it into a stub)::

    def answer():
        ### BEGIN SOLUTION
        return "b"
        ### END SOLUTION

    ask("flip_origin", answer).assert_passed()

The verdict is a :class:`~convlab.exercises.CheckResult` (truthy on a right
answer, ``.assert_passed()`` for an autograded cell). A wrong answer is told
*why* it is wrong: every wrong choice, and every common wrong value or shape,
carries its own explanation. A function still raising ``NotImplementedError``
is reported as not implemented yet, as by the checkers.

Three kinds of question:

- :func:`multiple_choice` -- ``answer()`` returns the letter of a choice;
- :func:`predict_value` -- ``answer()`` returns a number (a count, an entry);
- :func:`predict_shape` -- ``answer()`` returns a tuple of ints.

A value or shape question may have no valid answer (a kernel larger than the
padded input): then the right prediction is the string ``"invalid"``
(:data:`INVALID`), and ``"invalid"`` for a valid setting is a wrong answer
with its own explanation. Questions are declared once, by name, in a question
bank file (``convlab/exercises/question_bank.json``) and asked from a lesson by
name; :func:`ask`, :func:`expect_value` and :func:`expect_shape` also take a
whole question inline, for an instructor's own notebook.
"""

from ..sandbox.isolation import learner_calls
from ..sandbox.outcome import MEMORY_LIMIT
from .engine import DEFAULT_TIME_LIMIT, time_limit_argument
from .question_declarations import multiple_choice, predict_shape, predict_value, shown
from .question_types import INVALID, QUESTIONS, Question, QuestionResult
from .result import FAILED, NOT_GRADED, NOT_IMPLEMENTED, PASSED
from .trusted import refusal

__all__ = ["INVALID", "QUESTIONS", "Question", "ask", "expect_shape", "expect_value",
           "multiple_choice", "predict_shape", "predict_value", "question", "question_table"]


# ------------------------------------------------------------------ asking
def ask(question, answer, *, choices=None, correct=None, explain=None,
        time_limit=DEFAULT_TIME_LIMIT):
    """Grade the learner's ``answer()`` for ``question``; show and return the verdict.

    Parameters
    ----------
    question : str or Question
        A registered question's name, or a :class:`Question`. With ``choices``,
        ``correct`` and ``explain`` given, a new (unregistered) multiple-choice
        question of that name is asked inline.
    answer : callable
        The learner's function of no arguments returning the answer.
    time_limit : float
        Seconds ``answer()`` may take.

    Returns
    -------
    CheckResult
        Passed on the right answer; otherwise failed with the explanation of
        the learner's answer, or "not implemented yet".

    Examples
    --------
    >>> r = ask("inline_demo", lambda: "b", choices={"a": "1", "b": "2"}, correct="b",
    ...         explain={"a": "one is not two."})
    inline_demo: right.
    """
    if choices is not None or correct is not None or explain is not None:
        question = multiple_choice(question, "", choices=choices, correct=correct,
                                   explain=explain, register=False)
    return _grade(_lookup(question), answer, time_limit)


def expect_value(name, answer, correct=None, *, tolerance=0.0, hint="", wrong=None,
                 time_limit=DEFAULT_TIME_LIMIT):
    """Grade a predicted number: a registered question by name, or inline with ``correct``.

    Examples
    --------
    >>> r = expect_value("products", lambda: 8, correct=9, hint="count the taps.")
    products: not right (wrong answer).
        your answer: 8
        why not: count the taps.
    """
    if correct is not None:
        name = predict_value(name, "", correct=correct, wrong=wrong, tolerance=tolerance,
                             hint=hint, register=False)
    return _grade(_lookup(name, "value"), answer, time_limit)


def expect_shape(name, answer, correct=None, *, hint="", wrong=None,
                 time_limit=DEFAULT_TIME_LIMIT):
    """Grade a predicted shape: a registered question by name, or inline with ``correct``.

    Examples
    --------
    >>> r = expect_shape("no_fit", lambda: "invalid", correct="invalid")
    no_fit: right.
    """
    if correct is not None:
        name = predict_shape(name, "", correct=correct, wrong=wrong, hint=hint, register=False)
    return _grade(_lookup(name, "shape"), answer, time_limit)


def _lookup(question, kind=None):
    if isinstance(question, str):
        question = str.__str__(question)
        _load_banks()
        if question not in QUESTIONS:
            raise ValueError(f"question must be the name of a registered question; got "
                             f"{question!r} (known: {', '.join(QUESTIONS) or 'none'})")
        question = QUESTIONS[question]
    if not isinstance(question, Question):
        raise TypeError(f"question must be a question's name or a Question, got "
                        f"{type(question).__name__}")
    if kind is not None and question.kind != kind:
        raise ValueError(f"question {question.name!r} asks for a {question.kind}, not a {kind}")
    return question


def _call_answer(answer):
    return answer()


def _grade(question, answer, time_limit):
    """Run ``answer()`` as a checker runs a learner's function (a child process with
    limits), then read its plain-data answer here."""
    time_limit = time_limit_argument(time_limit)
    given = []  # the learner's answer, once read

    def result_of(*args, **kwargs):
        return QuestionResult(*args, task=question.prompt or None,
                              answer=given[0] if given else None,
                              why=question.why_right or "that is the right answer.", **kwargs)

    if not callable(answer):
        raise TypeError("answer must be the function you wrote (def answer(): return ...), "
                        f"got {shown(answer)}")
    refused = refusal()
    if refused is not None:
        return result_of(question.name, NOT_GRADED, 1, reason="not graded",
                              details=[("", refused)]).show()
    with learner_calls(answer, _call_answer, [()], time_limit) as outcomes:
        outcome = next(iter(outcomes))
    if outcome.printed:
        print(outcome.printed, end="" if outcome.printed.endswith("\n") else "\n")
    if outcome.kind == "raised" and outcome.value.not_implemented:
        return result_of(question.name, NOT_IMPLEMENTED, 1).show()
    if outcome.kind != "ok":
        text = {"slow": f"no answer after {time_limit:g} s; look for a loop that never ends.",
                "ended": f"your function ended the process it ran in: {outcome.value}."}.get(
                    outcome.kind, outcome.value)
        if outcome.kind == "raised":
            text = outcome.value.text
            if outcome.value.out_of_memory:
                text += f" (a check allows {MEMORY_LIMIT / 2**30:g} GiB of memory)"
        reason = {"slow": "too slow", "raised": "raised", "ended": "ended the process"}.get(
            outcome.kind, "unreadable answer")
        return result_of(question.name, FAILED, 1, reason=reason,
                              details=[("", text)]).show()
    given.append(outcome.value)
    try:  # the answer is plain data now: reading it runs none of the learner's code
        verdict = question.grade(outcome.value)
    except Exception as exc:  # e.g. a number too large to compare
        verdict = ("not understood", [("", f"{type(exc).__name__}: {exc}")], [])
    if verdict is None:
        return result_of(question.name, PASSED, 1, 1).show()
    reason, details, explanations = verdict
    return result_of(question.name, FAILED, 1, reason=reason, details=details,
                          misconceptions=explanations).show()


# ------------------------------------------------------------------ listing
BANKS = ("question_bank_forward.json", "question_bank.json", "question_bank_capstone.json")
"""The lessons' questions, one JSON file per bank beside this module (read on first use).

Each file is a list of questions; each question is an object with ``name``,
``kind`` (``"choice"``, ``"value"`` or ``"shape"``), ``lesson``, ``prompt`` and
the keyword arguments of :func:`multiple_choice` (``choices`` and ``explain`` as
``{letter: sentence}``) or of :func:`predict_value` / :func:`predict_shape`
(``wrong`` as a list of ``[wrong answer, why it is wrong]`` pairs; shapes are
written as lists). Every question goes through the same validation as one
declared in Python.
"""

_DECLARE = {"choice": multiple_choice, "value": predict_value, "shape": predict_shape}


def _as_answer(kind, value):
    return tuple(value) if kind == "shape" and isinstance(value, list) else value


def _declare_from_record(record, bank):
    fields = dict(record)
    kind, name, prompt = fields.pop("kind", None), fields.pop("name", None), fields.pop("prompt", None)
    if kind not in _DECLARE:
        raise ValueError(f"{bank}: question {name!r} has kind {kind!r}; expected one of "
                         f"{sorted(_DECLARE)}")
    if "correct" in fields:
        fields["correct"] = _as_answer(kind, fields["correct"])
    if kind != "choice" and "wrong" in fields:
        fields["wrong"] = {_as_answer(kind, answer): why for answer, why in fields["wrong"]}
    return _DECLARE[kind](name, prompt, **fields)


def load_bank(filename):
    """Declare (and register) every question of one bank file of this package.

    Parameters
    ----------
    filename : str
        One of :data:`BANKS`.

    Returns
    -------
    list of Question

    Examples
    --------
    >>> [q.name for q in load_bank("question_bank_forward.json")][:2]
    ['impulse_flip', 'valid_length']
    """
    import json
    from importlib import resources
    if filename not in BANKS:
        raise ValueError(f"filename must be one of {BANKS}, got {filename!r}")
    text = resources.files(__package__).joinpath(filename).read_text(encoding="utf-8")
    return [_declare_from_record(record, filename) for record in json.loads(text)]


_loaded_banks = set()


def _load_banks():
    for filename in BANKS:
        if filename not in _loaded_banks:
            load_bank(filename)
            _loaded_banks.add(filename)


def question_table():
    """Rows ``(name, kind, lesson, [(wrong answer, explanation), ...])`` of every question.

    Examples
    --------
    >>> rows = question_table()
    >>> all(kind in ("choice", "value", "shape") for _, kind, _, _ in rows)
    True
    """
    _load_banks()
    return [(q.name, q.kind, q.lesson, q.diagnoses) for q in QUESTIONS.values()]


def print_question_table():
    """Print every question and what each wrong answer diagnoses (for the command line)."""
    for name, kind, lesson, diagnoses in question_table():
        print(f"{name} ({kind}{', lesson ' + lesson if lesson else ''}):")
        for answer, why in diagnoses:
            print(f"    {answer!r}: {why}")


def question(name):
    """The registered question ``name``, shown as its prompt (and choices) in a notebook.

    Examples
    --------
    >>> print(question("matmul_gradient").text.splitlines()[1])
      (a) G X^T
    """
    return _lookup(name)
