"""Hints and reference solutions, for a learner working through the lessons alone.

Every exercise of the lessons -- a function to write or a question to answer,
named as its check names it (``"correlate1d"``, ``"impulse_flip"``) -- has a
short ladder of hints in ``hints.json`` beside this module, written to nudge
towards the answer without giving it::

    hint("correlate1d")            # hint 1 of 3; call again for the next
    show_solution("correlate1d")   # the reference solution, once you have tried

The reference solution is read from the packaged solution notebooks (the
lessons' solution cells, by their nbgrader ``grade_id``), and is shown only
after a first try: once the exercise's check has seen an answer that is not
the stub (a wrong answer counts).

In the self-learner edition of a lesson (:mod:`convlab.course.edition`) each
check cell reads ``self_check(check_x(f))``: the verdict, then, if it is not a
pass, "not attempted yet" or "not right yet" and where to get help -- and it
never raises, so "Run All" reaches the end. A graded release keeps
``check_x(f).assert_passed()``, which fails the cell, as an autograder needs.
"""

import difflib
import functools
import html
import json
import sys
from pathlib import Path

import nbformat

from ..exercises.grading.result import CheckResult
from .cells import BEGIN, END
from .copies import lessons_dir

HINTS_FILE = Path(__file__).with_name("hints.json")

_state = {"shown": {}, "tried": set()}
_PROSE = ("font-family:var(--jp-content-font-family,sans-serif);font-size:var(--jp-content-font-size1,14px);"
          "white-space:normal;overflow-wrap:normal;margin:0.2em 0")


def _say(*paragraphs, code=None):
    """Show prose (and a block of ``code``): in a notebook as HTML in the text font, wrapping
    between words, with the same text as its plain-text fallback; elsewhere printed."""
    text = "\n".join(paragraphs) + ("\n\n" + code if code is not None else "")
    shell = sys.modules.get("IPython")
    if shell is None or shell.get_ipython() is None:
        print(text)
        return
    from IPython.display import publish_display_data

    body = "".join(f"<p style='{_PROSE}'>{html.escape(p)}</p>" for p in paragraphs)
    if code is not None:
        body += f"<pre style='margin:0.4em 0'>{html.escape(code)}</pre>"
    publish_display_data({"text/plain": text, "text/html": body})


@functools.lru_cache(maxsize=None)
def hint_ladders():
    """``{exercise name: {"lesson": notebook stem, "hints": [text, ...]}}`` from ``hints.json``.

    Examples
    --------
    >>> hint_ladders()["correlate1d"]["lesson"]
    '01_cross_correlation'
    """
    return json.loads(HINTS_FILE.read_text(encoding="utf-8"))


def _ladder(name, caller):
    if not isinstance(name, str):
        raise TypeError(f"{caller}: name must be an exercise's name as a str, e.g. "
                        f"{caller}(\"correlate1d\"); got {type(name).__name__}")
    ladders = hint_ladders()
    if name not in ladders:
        close = difflib.get_close_matches(name, ladders, n=3)
        suggestion = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"{caller}: no exercise named {name!r}{suggestion} (the name is the one "
                         "the check cell below the exercise reports)")
    return ladders[name]


def hint(name):
    """Print the next hint for exercise ``name`` (one more each call).

    Examples
    --------
    >>> reset()
    >>> hint("valid_length")  # doctest: +ELLIPSIS
    Hint 1 of 2 for valid_length: ...
    """
    hints = _ladder(name, "hint")["hints"]
    shown = _state["shown"].get(name, 0)
    if shown < len(hints):
        _state["shown"][name] = shown + 1
        lines = [f"Hint {shown + 1} of {len(hints)} for {name}: {hints[shown]}"]
        if shown + 1 == len(hints):
            lines.append(f"That was the last hint. After a try, show_solution({name!r}) shows the "
                         "reference solution.")
        _say(*lines)
        return
    _say(f"No more hints for {name} (all {len(hints)} shown; call hint_again({name!r}) to "
         f"read them again). Try an answer and run its check; after that, show_solution({name!r}) "
         "shows the reference solution.")


def hint_again(name):
    """Print every hint of ``name`` shown so far, in order."""
    hints = _ladder(name, "hint_again")["hints"]
    shown = _state["shown"].get(name, 0)
    if not shown:
        _say(f"No hint shown yet for {name}: hint({name!r}) shows the first.")
        return
    _say(*(f"Hint {number} of {len(hints)} for {name}: {text}"
           for number, text in enumerate(hints[:shown], start=1)))


def reference_solution(name):
    """The reference solution of ``name``: its solution cell in the packaged lesson, markers removed.

    Raises ``LookupError`` if this installation's lessons do not hold it.

    Examples
    --------
    >>> print(reference_solution("correlate1d"))  # doctest: +ELLIPSIS
    def correlate1d(x, w):
    ...
    """
    lesson = _ladder(name, "show_solution")["lesson"]
    path = lessons_dir() / f"{lesson}.ipynb"
    if path.is_file():
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and meta.get("grade_id") == name:
                return "\n".join(line for line in cell.source.split("\n")
                                 if line.strip() not in (BEGIN, END))
    raise LookupError(f"the reference solution of {name!r} is not in {path} "
                      "(reinstall convlab to restore the packaged lessons)")


def show_solution(name):
    """Print the reference solution of exercise ``name``, once its check has seen a try."""
    _ladder(name, "show_solution")
    if name not in _state["tried"]:
        _say(f"show_solution({name!r}) waits for a first try: write an answer (a guess will do) "
             f"and run the check below the exercise. Until then, hint({name!r}) gives a nudge.")
        return
    _say(f"Reference solution of {name} (yours may differ and still be right):",
         code=reference_solution(name))


def reset():
    """Forget the hints shown and the tries seen (a fresh kernel's state)."""
    _state["shown"].clear()
    _state["tried"].clear()


def self_check(result):
    """Take a check's verdict in a self-learner copy: never raises, so the run goes on.

    The checker has already shown its verdict. A verdict other than "not
    implemented" counts as a try (it unlocks :func:`show_solution`); one that is
    not a pass adds a line saying so and where to get help.

    Parameters
    ----------
    result : convlab.exercises.grading.result.CheckResult
        What ``check_x(f)``, ``ask(...)``, ``expect_value(...)`` or ``expect_shape(...)`` returned.

    Examples
    --------
    >>> from convlab.exercises.grading.result import CheckResult
    >>> reset()
    >>> self_check(CheckResult("correlate1d", "not implemented", n_cases=6))
    correlate1d: not attempted yet; the run goes on. Stuck? hint('correlate1d').
    """

    if not isinstance(result, CheckResult):
        raise TypeError("self_check: result must be a check's verdict, e.g. "
                        f"self_check(check_correlate1d(correlate1d)); got {type(result).__name__}")
    name = result.name.split(" / ")[0]  # a check of two functions names the first one's ladder
    if result.status != "not implemented":
        _state["tried"].add(name)
    if result.passed:
        return
    help_line = ""
    if name in hint_ladders():
        help_line = f" Stuck? hint({name!r})" + (
            f", then show_solution({name!r})." if name in _state["tried"] else ".")
    if result.status == "not implemented":
        _say(f"{name}: not attempted yet; the run goes on.{help_line}")
    else:
        _say(f"{name}: not right yet (the box above says why); the run goes on.{help_line}")
