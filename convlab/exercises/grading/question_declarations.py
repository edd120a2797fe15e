"""Declaring a question: its prompt, the right answer, and why each wrong answer is wrong.

:func:`multiple_choice`, :func:`predict_value` and :func:`predict_shape` validate a
question and register it by name in :data:`~.question_types.QUESTIONS`; the question
banks (JSON beside this module) declare every lesson's questions through them, and
:mod:`.questions` asks them.
"""

from .engine import plain_number
from .question_types import INVALID, QUESTIONS, Question


def _check_name(name):
    if not isinstance(name, str) or not str.__str__(name).isidentifier():
        raise TypeError(f"name must be a short identifier-like string, got {shown(name)}")
    return str.__str__(name)


def shown(value):
    """A short repr of an argument, read without calling the argument's own methods."""
    if isinstance(value, str):
        return repr(str.__str__(value))[:60]
    if type(value) in (int, float, bool, type(None), tuple, list, dict):
        return repr(value)[:60]
    return f"a {type(value).__name__}"


def _text(value, argument):
    """A plain ``str`` argument (a subclass is read as the text it holds)."""
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be a str, got {shown(value)}")
    return str.__str__(value)


def _correct_number(correct):
    if isinstance(correct, str) and str.__str__(correct) == INVALID:
        return INVALID
    if isinstance(correct, str):
        raise ValueError(f"correct must be a number or {INVALID!r}, got {shown(correct)}")
    try:
        number = plain_number(correct, "correct")
    except TypeError:
        raise TypeError(f"correct must be a number or {INVALID!r}, got {shown(correct)}") from None
    return int(number) if number == int(number) and abs(number) < 2 ** 53 else number


def _wrong_pairs(wrong, argument):
    if wrong is None:
        return ()
    if not isinstance(wrong, dict):
        raise TypeError(f"{argument} must be a dict {{wrong answer: why it is wrong}}, "
                        f"got {type(wrong).__name__}")
    pairs = []
    for answer, why in wrong.items():
        if not isinstance(why, str) or not str.__str__(why):
            raise TypeError(f"{argument}[{shown(answer)}] must be a sentence (a non-empty str), "
                            f"got {shown(why)}")
        if isinstance(answer, str):
            answer = str.__str__(answer)
        pairs.append((answer, str.__str__(why)))
    return tuple(pairs)


def _register(question, register):
    if register:
        if question.name in QUESTIONS and QUESTIONS[question.name] != question:
            raise ValueError(f"a different question named {question.name!r} is already registered")
        QUESTIONS[question.name] = question
    return question


def multiple_choice(name, prompt, *, choices, correct, explain, why_right="", lesson="",
                    register=True):
    """Declare a multiple-choice question.

    Parameters
    ----------
    name : str
        The question's name, as passed to :func:`ask`.
    prompt : str
    choices : dict
        ``{letter: statement}``, e.g. ``{"a": "...", "b": "..."}``.
    correct : str
        The letter of the true statement.
    explain : dict
        ``{letter: why this choice is wrong}`` for **every** wrong choice.
    why_right : str, optional
        What the right choice shows (listed by ``python -m convlab misconceptions``).
    lesson : str, optional
        The lesson asking it, e.g. ``"05"``.
    register : bool
        Add it to :data:`QUESTIONS` (default) so that ``ask(name, answer)`` finds it.

    Returns
    -------
    Question

    Examples
    --------
    >>> from convlab.exercises import ask
    >>> q = multiple_choice("demo_flip", "Which operation flips the kernel?",
    ...                     choices={"a": "correlation", "b": "convolution"}, correct="b",
    ...                     explain={"a": "correlation slides the kernel as it is."},
    ...                     register=False)
    >>> r = ask(q, lambda: "a")
    demo_flip: not right (wrong answer).
        your answer: (a) correlation
        why not: correlation slides the kernel as it is.
    """
    name = _check_name(name)
    if not isinstance(choices, dict) or len(choices) < 2:
        raise TypeError(f"choices must be a dict of at least two {{letter: statement}}, "
                        f"got {shown(choices)}")
    letters = [_text(letter, "a choice's letter").lower() for letter in choices]
    statements = [_text(text, f"choices[{letter!r}]") for letter, text in zip(letters, choices.values())]
    correct = _text(correct, "correct")
    if correct not in letters:
        raise ValueError(f"correct must be one of the choice letters {letters}, got {correct!r}")
    prompt, why_right = _text(prompt, "prompt"), _text(why_right, "why_right")
    explain = dict(_wrong_pairs(explain, "explain"))
    missing = [letter for letter in letters if letter != correct and letter not in explain]
    if missing or correct in explain:
        raise ValueError(f"explain must give a reason for every wrong choice and none for the "
                         f"right one ({correct!r}); missing {missing}")
    question = Question(name, prompt, "choice", correct,
                        wrong=tuple((letter, explain[letter]) for letter in letters
                                    if letter != correct),
                        choices=tuple(zip(letters, statements)), why_right=why_right,
                        lesson=lesson)
    return _register(question, register)


def predict_value(name, prompt, *, correct, wrong=None, tolerance=0.0, hint="", why_right="",
                  lesson="", register=True):
    """Declare a question whose answer is a number, or :data:`INVALID`.

    ``wrong`` maps common wrong numbers (or ``"invalid"``) to what they reveal;
    ``hint`` is shown for any other wrong number; ``tolerance`` is absolute.

    Examples
    --------
    >>> from convlab.exercises import ask
    >>> q = predict_value("demo_size", "Output length for n=7, k=3?", correct=5,
    ...                   wrong={4: "you forgot the + 1."}, register=False)
    >>> r = ask(q, lambda: 5)
    demo_size: right.
    """
    name = _check_name(name)
    correct = _correct_number(correct)
    tolerance = plain_number(tolerance, "tolerance", minimum=0)
    wrong = tuple((answer if isinstance(answer, str) else _correct_number(answer), why)
                  for answer, why in _wrong_pairs(wrong, "wrong"))
    question = Question(name, _text(prompt, "prompt"), "value", correct, wrong=wrong,
                        tolerance=tolerance, hint=_text(hint, "hint"),
                        why_right=_text(why_right, "why_right"), lesson=lesson)
    return _register(question, register)


def predict_shape(name, prompt, *, correct, wrong=None, hint="", why_right="", lesson="",
                  register=True):
    """Declare a question whose answer is a shape (a tuple of ints), or :data:`INVALID`.

    Examples
    --------
    >>> from convlab.exercises import ask
    >>> q = predict_shape("demo_shape", "Shape of conv2d(ones((1,1,4,4)), ones((2,1,3,3)))?",
    ...                   correct=(1, 2, 2, 2), wrong={"invalid": "a 3x3 kernel fits in 4x4."},
    ...                   register=False)
    >>> r = ask(q, lambda: "invalid")
    demo_shape: not right (wrong answer).
        your answer: 'invalid'
        why not: a 3x3 kernel fits in 4x4.
    """
    name = _check_name(name)
    if isinstance(correct, str) and str.__str__(correct) == INVALID:
        correct = INVALID
    elif isinstance(correct, tuple) and all(type(n) is int and n >= 0 for n in correct):
        correct = tuple(correct)
    else:
        raise TypeError(f"correct must be a tuple of non-negative ints or {INVALID!r}, "
                        f"got {shown(correct)}")
    question = Question(name, _text(prompt, "prompt"), "shape", correct,
                        wrong=_wrong_pairs(wrong, "wrong"), hint=_text(hint, "hint"),
                        why_right=_text(why_right, "why_right"), lesson=lesson)
    return _register(question, register)


