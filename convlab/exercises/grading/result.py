"""The verdict of a checker: a plain-text paragraph and a coloured HTML box.

A :class:`CheckResult` is what every ``check_*`` function returns. It is
truthy when the learner's function passed, and it shows itself once: in a
notebook as a coloured box (with the same text as its plain-text fallback,
which is what nbval compares), elsewhere as printed text. Nothing in the
verdict depends on time or memory addresses, so a committed notebook output
stays reproducible.
"""

import html
import sys

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
                 details=(), misconceptions=()):
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
        rows = self._rows()
        body = "".join(
            f"<tr><td style='vertical-align:top;padding-right:1em'><b>{html.escape(k)}</b></td>"
            f"<td><pre style='margin:0;white-space:pre-wrap'>{html.escape(v)}</pre></td></tr>"
            for k, v in rows)
        table = f"<table style='margin-top:0.4em'>{body}</table>" if rows else ""
        return (f"<div style='border-left:6px solid {border};background:{background};"
                f"padding:0.5em 0.8em;margin:0.3em 0;font-family:sans-serif'>"
                f"<b>{html.escape(self._headline())}</b>{table}</div>")

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
        publish_display_data({"text/plain": self.text, "text/html": self._repr_html_()})

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
            raise AssertionError(self.text)

    def show(self):
        """Show the verdict: a box in a notebook, printed text elsewhere."""
        if _ipython() is not None:
            self._ipython_display_()
        else:
            print(self.text)
        return self


def _ipython():
    """The running IPython shell, without importing IPython if it is not loaded."""
    module = sys.modules.get("IPython")
    return module.get_ipython() if module is not None else None
