"""The verdict of a checker: a plain-text paragraph and a coloured HTML box.

A :class:`CheckResult` is what every ``check_*`` function returns. It is
truthy when the learner's function passed, and it shows itself once: in a
notebook as a coloured box (with the same text as its plain-text fallback,
which is what nbval compares), elsewhere as printed text. Nothing in the
verdict depends on time or memory addresses, so a committed notebook output
stays reproducible.
"""

import base64
import html
import json
import os
import sys
import textwrap

PASSED = "passed"
FAILED = "failed"
NOT_IMPLEMENTED = "not implemented"
NOT_GRADED = "not graded"

_COLOURS = {  # status -> (border, background)
    PASSED: ("#2e7d32", "#e8f5e9"),
    FAILED: ("#c62828", "#ffebee"),
    NOT_IMPLEMENTED: ("#9e9e9e", "#f5f5f5"),
    NOT_GRADED: ("#ef6c00", "#fff3e0"),
}


class CheckResult:
    """Outcome of running a learner's function through a checker.

    Parameters
    ----------
    name : str
        The exercise's function name, e.g. ``"correlate1d"``.
    status : {"passed", "failed", "not implemented"}
    n_cases : int
        Number of cases the checker has.
    n_passed : int
        Number of cases passed before the first failure (all of them on a pass).
    case : str, optional
        What makes the failing case special, e.g. ``"1x1 kernel"``.
    reason : str, optional
        Short failure kind: ``"wrong values"``, ``"wrong shape"``,
        ``"wrong dtype"``, ``"wrong type"``, ``"returned None"``, ``"raised"``,
        ``"mutated input"``, ``"too slow"``.
    details : sequence of (label, text)
        What explains the failure: ``("expected", "[1. 2.]")``, or a sentence
        with an empty label. Multi-line texts (2-D arrays) are indented.
    misconceptions : sequence of (key, message)
        Known mistakes whose output equals the learner's on the failing case.

    Examples
    --------
    >>> r = CheckResult("f", "passed", n_cases=3, n_passed=3)
    >>> bool(r), r.text
    (True, 'f: passed 3 cases.')
    """

    def __init__(self, name, status, n_cases, n_passed=0, case=None, reason=None,
                 details=(), misconceptions=(), task=None, why=None, answer=None):
        self.task = task  # the task's prompt, as the learner read it
        self.why = why  # on a pass: one line saying why it is right
        self.answer = answer  # a question's answer (plain data), for the structured verdict
        self.smallest = None  # a shrink.Finding: the smallest failing case
        self.name = name
        self.status = status
        self.n_cases = n_cases
        self.n_passed = n_passed
        self.case = case
        self.reason = reason
        self.details = tuple((label, text) for label, text in details)
        self.misconceptions = tuple(misconceptions)
        self._shown_in = None

    @property
    def passed(self):
        """True when every case passed."""
        return self.status == PASSED

    def __bool__(self):
        return self.passed

    @property
    def misconception(self):
        """Key of the first diagnosed misconception, or None."""
        return self.misconceptions[0][0] if self.misconceptions else None

    def _headline(self):
        if self.status == PASSED:
            return f"{self.name}: passed {self.n_cases} cases."
        if self.status == NOT_GRADED:
            return f"{self.name}: not graded."
        if self.status == NOT_IMPLEMENTED:
            return (f"{self.name}: not implemented yet. Replace the "
                    "`raise NotImplementedError` line with your code, then run "
                    "this cell again.")
        return (f"{self.name}: failed on case {self.n_passed + 1} of "
                f"{self.n_cases} ({self.reason}).")

    def _hints(self):
        """(label, text) rows naming the diagnosed misconceptions."""
        if not self.misconceptions:
            if self.reason in ("wrong values", "wrong shape"):
                return [("hint", "no known mistake gives this answer; compare expected "
                                 "and got on this small case by hand.")]
            return []
        first, *others = (message for _, message in self.misconceptions)
        return [("likely misconception", first)] + [("or", message) for message in others]

    @property
    def text(self):
        """The verdict as one plain-text paragraph."""
        lines = [self._headline()]
        for label, text in self._rows():
            if "\n" in text:  # a 2-D array: on its own lines, indented
                text = ("\n" + text).replace("\n", "\n        ")
                lines.append(f"{label}:{text}")
            else:
                lines.append(f"{label}: {text}" if label else text)
        return "\n    ".join(lines)

    def _rows(self):
        rows = [("case", self.case)] if self.case is not None else []
        return rows + list(self.details) + self._hints()

    def __repr__(self):
        return self.text

    def _repr_html_(self):
        border, background = _COLOURS[self.status]
        prose = ("font-family:var(--jp-content-font-family,system-ui,sans-serif);"
                 "white-space:normal;overflow-wrap:break-word;word-break:normal")
        rows = ([("task", self.task)] if self.task else []) + self._rows()
        if self.status == PASSED and self.why:
            rows.append(("why", self.why))
        body = "".join(
            f"<div style='font-weight:bold;padding-right:0.8em;{prose}'>{html.escape(k)}</div>"
            + (f"<pre style='margin:0;white-space:pre;overflow-x:auto;font-size:0.95em'>"
               f"{html.escape(v)}</pre>" if _is_array_text(v)
               else f"<div style='{prose}'>{html.escape(v)}</div>")
            for k, v in rows)
        table = (f"<div style='display:grid;grid-template-columns:max-content minmax(0,1fr);"
                 f"gap:0.15em 0.6em;margin-top:0.4em;align-items:baseline'>{body}</div>"
                 if rows else "")
        figure = ""
        if self.smallest is not None:
            from .shrink import figure_png
            try:
                drawn = figure_png(self.smallest)
            except Exception:  # a figure is a help, never a reason for a verdict to fail
                drawn = None
            if drawn is not None:
                png, alt = drawn
                figure = (f"<img style='margin-top:0.4em;max-width:100%' alt='{html.escape(alt)}' "
                          f"src='data:image/png;base64,{base64.b64encode(png).decode()}'>")
        return (f"<div role='status' style='border-left:6px solid {border};background:{background};"
                f"padding:0.5em 0.8em;margin:0.3em 0;color:#1a1a1a;{prose}'>"
                f"<b>{html.escape(self._card_headline())}</b>{table}{figure}</div>")

    def _card_headline(self):
        return self._headline()

    def verdict(self):
        """The machine-readable verdict (``application/vnd.convlab.verdict+json``, see docs/EXERCISES.md)."""
        smallest = None
        if self.smallest is not None:
            smallest = {"statement": self.smallest.statement, "config": self.smallest.config,
                        "tried": self.smallest.tried}
        return {"format": 1, "exercise": self.name, "task": self.task, "status": self.status,
                "passed": self.passed, "reason": self.reason, "n_cases": self.n_cases,
                "n_passed": self.n_passed if self.status != PASSED else self.n_cases,
                "misconceptions": [key for key, _ in self.misconceptions],
                "answer": _plain_json(self.answer), "smallest_failing_case": smallest,
                "student": _student_label(), "text": self.text}

    # Shown once per cell: the checker shows the verdict itself, so that
    # ``r = check_x(f)`` prints too; when the call is also the cell's last
    # expression, IPython's display hook must not show the same box twice.
    def _ipython_display_(self):
        ip = _ipython()
        count = getattr(ip, "execution_count", None)
        if ip is not None and count is not None and self._shown_in == count:
            return
        self._shown_in = count
        from IPython.display import publish_display_data
        publish_display_data({"text/plain": self.text, "text/html": self._repr_html_(),
                              VERDICT_MIME: self.verdict()})

    def assert_passed(self):
        """Raise ``AssertionError`` with the verdict's text unless every case passed.

        This is what an autograded test cell calls, so that a wrong answer fails
        the cell (nbgrader scores a cell that raises as zero) and the reason is in
        the traceback as well as in the box shown above it.

        Examples
        --------
        >>> CheckResult("f", "passed", n_cases=2, n_passed=2).assert_passed()
        >>> CheckResult("f", "failed", n_cases=2, reason="wrong values").assert_passed()
        Traceback (most recent call last):
        ...
        AssertionError: f: failed on case 1 of 2 (wrong values).
            hint: no known mistake gives this answer; compare expected and got on this small case by hand.
        """
        if not self.passed:
            raise NotPassed(self)

    def show(self):
        """Show the verdict: a box in a notebook, printed text elsewhere."""
        if _ipython() is not None:
            self._ipython_display_()
        else:
            print(self.text)
        return self


VERDICT_MIME = "application/vnd.convlab.verdict+json"
"""The MIME type of the structured verdict in a check's display data."""

WIDTH = 78
"""Columns of the verdict in a traceback (``nbgrader validate`` cuts lines at 87)."""


class NotPassed(AssertionError):
    """What ``assert_passed`` raises: an ``AssertionError`` whose traceback is the verdict alone.

    In IPython, the traceback is rendered by ``_render_traceback_``: no frame
    of convlab and no install path. Where the verdict's card was already shown
    in a notebook, one line points at it; under ``nbgrader validate`` (and
    wherever no card was shown) the whole verdict follows, wrapped at
    :data:`WIDTH` columns so that nothing is cut.
    """

    def __init__(self, result):
        super().__init__(result.text)
        self.result = result

    def _render_traceback_(self):
        mode = os.environ.get("NBGRADER_EXECUTION")
        if mode != "validate" and self.result._shown_in is not None and _ipython() is not None:
            return [f"{self.result.name}: not passed yet; the verdict above says why."]
        return wrapped(self.result.text)


# Shown, and recorded by Jupyter and nbgrader (an error output's `ename`), as the plain
# AssertionError that a failing test cell is expected to raise.
NotPassed.__name__ = NotPassed.__qualname__ = "AssertionError"
NotPassed.__module__ = "builtins"


def wrapped(text, width=WIDTH):
    """``text`` as lines of at most ``width`` characters, broken at spaces, indents kept.

    Examples
    --------
    >>> wrapped("a: " + "word " * 20, width=30)[:2]
    ['a: word word word word word', '    word word word word word']
    """
    lines = []
    for line in text.split("\n"):
        indent = line[:len(line) - len(line.lstrip())]
        lines += textwrap.wrap(line, width, subsequent_indent=indent + "    ",
                               break_long_words=True, break_on_hyphens=False) or [""]
    return lines


def _is_array_text(text):
    return "\n" in text or (text.startswith("[") and text.rstrip().endswith("]"))


def _plain_json(value):
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return str(value)


def _student_label():
    try:
        from .variants import student
    except ImportError:
        return None
    return student()


def _ipython():
    """The running IPython shell, without importing IPython if it is not loaded."""
    module = sys.modules.get("IPython")
    return module.get_ipython() if module is not None else None
