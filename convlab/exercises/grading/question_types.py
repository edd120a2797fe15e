"""What a question is, how an answer to it is read, and how a verdict reads.

See :mod:`convlab.exercises.grading.questions` for declaring and asking questions.
"""

import numbers
from dataclasses import dataclass

from .result import FAILED, PASSED, CheckResult

INVALID = "invalid"
"""The prediction for a setting that has no output (e.g. the kernel does not fit)."""

QUESTIONS = {}
"""Every registered question, by name, in the order they were declared."""


class QuestionResult(CheckResult):
    """A :class:`CheckResult` whose headline reads as an answer, not as test cases."""

    def _headline(self):
        if self.status == PASSED:
            return f"{self.name}: right."
        if self.status == FAILED:
            return f"{self.name}: not right ({self.reason})."
        return super()._headline()

    def _hints(self):
        return [("why not", message) for _, message in self.misconceptions]

    def _card_headline(self):
        """The card is titled by the question's prompt (its task row), not by its id."""
        if not self.task:
            return self._headline()
        return {PASSED: "Right.", FAILED: f"Not right ({self.reason})."}.get(
            self.status, self._headline())


@dataclass(frozen=True)
class Question:
    """A named question: its prompt, its right answer and the explanation of wrong ones.

    ``wrong`` maps a wrong answer (a choice letter, a number, a shape or
    :data:`INVALID`) to the sentence that explains what that answer gets wrong.
    """

    name: str
    prompt: str
    kind: str  # "choice", "value" or "shape"
    correct: object
    wrong: tuple = ()  # ((answer, why), ...)
    choices: tuple = ()  # ((letter, text), ...) for "choice"
    tolerance: float = 0.0
    hint: str = ""
    why_right: str = ""
    lesson: str = ""

    @property
    def diagnoses(self):
        """``[(wrong answer, explanation), ...]``: what each wrong answer reveals."""
        return list(self.wrong)

    @property
    def text(self):
        """The prompt and, for multiple choice, the choices, as plain text."""
        lines = [self.prompt]
        lines += [f"  ({letter}) {text}" for letter, text in self.choices]
        if self.kind == "value":
            lines.append("Answer with a number" + (f" (to within {self.tolerance:g})"
                                                     if self.tolerance else "")
                         + ', or "invalid" if the setting has no answer.')
        elif self.kind == "shape":
            lines.append('Answer with a tuple of ints, or "invalid" if there is no output.')
        return "\n".join(lines)

    def __repr__(self):
        return self.text

    def _repr_markdown_(self):
        lines = [f"**Question `{self.name}`.** {self.prompt}", ""]
        lines += [f"- **({letter})** {text}" for letter, text in self.choices]
        return "\n".join(lines)

    def grade(self, given):
        """``None`` if ``given`` is right, else ``(reason, details, explanations)``."""
        normalised, problem = _NORMALISE[self.kind](self, given)
        if problem is not None:
            return problem, [("your answer", f"{given!r:.60}"), ("", _FORMATS[self.kind])], []
        if _equal(self, normalised, self.correct):
            return None
        shown = _show(self, normalised)
        details = [("your answer", shown)]
        for wrong, why in self.wrong:
            if _equal(self, normalised, wrong):
                return "wrong answer", details, [(repr(wrong), why)]
        if normalised == INVALID:
            why = "this setting is valid: it has an answer; work it out."
        elif self.correct == INVALID:
            why = "this setting has no valid output: answer \"invalid\" and say why to yourself."
        else:
            why = self.hint or "work it out again on paper, one step at a time."
        return "wrong answer", details, [("other", why)]


def _normalise_choice(question, given):
    if not isinstance(given, str):
        return None, "not a choice"
    letter = given.strip().strip("()").strip().lower()
    if letter not in dict(question.choices):
        return None, "not a choice"
    return letter, None


def _normalise_number(question, given):
    if isinstance(given, str) and given.strip().lower() == INVALID:
        return INVALID, None
    if isinstance(given, bool) or not isinstance(given, numbers.Real):
        return None, "not a number"
    value = float(given)
    if value != value:  # NaN
        return None, "not a number"
    return value, None


def _normalise_shape(question, given):
    if isinstance(given, str) and given.strip().lower() == INVALID:
        return INVALID, None
    if not isinstance(given, (tuple, list)):
        return None, "not a shape"
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in given):
        return None, "not a shape"
    return tuple(int(n) for n in given), None


_NORMALISE = {"choice": _normalise_choice, "value": _normalise_number,
              "shape": _normalise_shape}
_FORMATS = {"choice": "return the letter of one choice as a string, e.g. `return \"b\"`.",
            "value": "return a number (an int or a float), or the string \"invalid\".",
            "shape": "return a tuple of ints, e.g. `return (2, 3)`, or the string \"invalid\"."}


def _equal(question, given, target):
    if isinstance(given, str) or isinstance(target, str):
        return given == target
    if question.kind == "value":
        return abs(given - target) <= question.tolerance + 1e-12 * max(1.0, abs(target))
    return given == tuple(target)


def _show(question, normalised):
    if question.kind == "choice":
        return f"({normalised}) {dict(question.choices)[normalised]}"
    if question.kind == "value" and normalised != INVALID and normalised == int(normalised):
        return str(int(normalised))
    return repr(normalised)


