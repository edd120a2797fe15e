"""What a class got wrong: a report and a gradebook CSV from the autograded submissions.

``python -m convlab report COURSE ASSIGNMENT`` reads every autograded notebook
(``COURSE/autograded/<student>/ASSIGNMENT/*.ipynb``) and writes

- ``COURSE/reports/ASSIGNMENT.html``: one self-contained page (no script, no
  file beside it) with the pass rate of each task, the share of students each
  misconception was diagnosed in per task (a heatmap), the five most common
  mistakes with one anonymised verdict each, the distribution of answers to
  each question, and a histogram of the scores;
- ``COURSE/reports/ASSIGNMENT.csv``: one row per student, one column of points
  per task, then total and maximum (the LMS mapping is in the README).

Each task's verdict is read from the test cell's outputs (:func:`read_verdict`):
today the checker's plain-text verdict; once the checkers publish a structured
verdict (``application/vnd.convlab.verdict+json``) it is read first. Points come
from the course's gradebook when it holds the submission (so manual grades
count), else by nbgrader's own rule: a test cell that raised scores 0, any other
its points.
"""

import csv
import html
import io
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .cells import read_notebook

VERDICT_MIME = "application/vnd.convlab.verdict+json"
_HEADLINE = re.compile(r"^(?P<name>[\w.]+): (?P<rest>passed|failed on case|not implemented yet|right\.|not right)")


@dataclass
class Verdict:
    """One task's outcome for one student."""

    status: str                       # passed, failed, not implemented, error, timeout
    misconceptions: tuple = ()        # keys (or messages when unknown)
    answer: object = None             # a question's answer, when the verdict gives it
    text: str = ""                    # the verdict as the student saw it


@dataclass
class Submission:
    """One student's autograded assignment."""

    student: str
    verdicts: dict = field(default_factory=dict)   # task -> Verdict
    points: dict = field(default_factory=dict)     # task -> points scored


def _message_keys():
    from ..exercises.grading.misconceptions import MESSAGES
    from ..exercises.grading.question_types import QUESTIONS

    keys = {message: key for key, message in MESSAGES.items()}
    for question in QUESTIONS.values():
        keys.update({why: f"{question.name}: answered {answer!r}" for answer, why in question.wrong})
    return keys


def _text(output):
    if output.get("output_type") == "error":
        return output.get("evalue", "")
    if output.get("output_type") == "stream":
        return output.get("text", "")
    return output.get("data", {}).get("text/plain", "")


def read_verdict(outputs, keys=None):
    """The :class:`Verdict` a test cell's outputs show."""
    keys = _message_keys() if keys is None else keys
    for output in outputs:  # the structured verdict, when the checkers publish one
        data = output.get("data", {}).get(VERDICT_MIME)
        if data:
            return Verdict(data.get("status", "failed"), tuple(data.get("misconceptions", ())),
                           data.get("answer"), data.get("text", ""))
    errors = [o for o in outputs if o.get("output_type") == "error"]
    if any(o.get("ename") in ("CellTimeoutError", "TimeoutError", "DeadKernelError") for o in errors):
        return Verdict("timeout", text="the cell ran past the time limit")
    text = next((_text(o) for o in outputs if _HEADLINE.match(_text(o))), "")
    if not text:
        if errors:
            return Verdict("error", text=f"{errors[0].get('ename')}: {errors[0].get('evalue', '')}"[:300])
        return Verdict("passed")  # a test cell that ran without error and showed nothing
    head = _HEADLINE.match(text).group("rest")
    status = ("passed" if head in ("passed", "right.") else
              "not implemented" if head == "not implemented yet" else "failed")
    found, answer = [], None
    for line in text.splitlines()[1:]:
        label, _, value = line.strip().partition(": ")
        if label in ("likely misconception", "or", "why not"):
            found.append(keys.get(value, value[:80]))
        elif label == "your answer":
            answer = value
    return Verdict(status, tuple(found), answer, text)


def read_submission(folder, student, keys=None):
    """A :class:`Submission` from the autograded notebooks in ``folder``."""
    submission = Submission(student)
    for path in sorted(Path(folder).glob("*.ipynb")):
        for cell in read_notebook(path).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
                continue
            task = meta["grade_id"]
            verdict = read_verdict(cell.get("outputs", []), keys)
            submission.verdicts[task] = verdict
            errored = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
            submission.points[task] = 0.0 if errored else float(meta.get("points", 0))
    return submission


def read_class(course, assignment):
    """``(submissions, max points per task)`` of every autograded submission of ``assignment``."""
    course = Path(course)
    keys = _message_keys()
    folders = sorted(p for p in (course / "autograded").glob(f"*/{assignment}") if p.is_dir())
    if not folders:
        raise ValueError(f"no autograded submissions of {assignment!r} in {course / 'autograded'}; "
                         f"run `python -m convlab grade {course} {assignment}` first")
    submissions = [read_submission(folder, folder.parent.name, keys) for folder in folders]
    maximum = {}
    for path in sorted(folders[0].glob("*.ipynb")):
        for cell in read_notebook(path).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                maximum[meta["grade_id"]] = float(meta.get("points", 0))
    _points_from_gradebook(course, assignment, submissions)
    return submissions, maximum


def _points_from_gradebook(course, assignment, submissions):
    """Replace computed points by the gradebook's (which include manual grades), where it has them."""
    database = course / "gradebook.db"
    if not database.is_file():
        return
    try:
        from nbgrader.api import Gradebook, MissingEntry
    except ImportError:
        return
    with Gradebook(f"sqlite:///{database.resolve()}") as gradebook:
        for submission in submissions:
            try:
                graded = gradebook.find_submission(assignment, submission.student)
            except MissingEntry:
                continue
            for notebook in graded.notebooks:
                for grade in notebook.grades:
                    if grade.name in submission.points and grade.score is not None:
                        submission.points[grade.name] = float(grade.score)


def summarise(submissions, maximum):
    """The report's numbers: pass rates, misconception counts, mistakes, answers, totals."""
    n = len(submissions)
    tasks = list(maximum)
    passed = {t: sum(s.verdicts.get(t, Verdict("missing")).status == "passed" for s in submissions) for t in tasks}
    statuses = {t: Counter(s.verdicts[t].status for s in submissions if t in s.verdicts) for t in tasks}
    diagnosed = Counter()   # (misconception, task) -> students
    examples = {}
    for s in submissions:
        for task, verdict in s.verdicts.items():
            for key in dict.fromkeys(verdict.misconceptions):
                diagnosed[key, task] += 1
                examples.setdefault((key, task), verdict.text)
    answers = {}
    for s in submissions:  # questions: verdicts headed "right." / "not right"
        for task, verdict in s.verdicts.items():
            if re.match(r"^[\w.]+: (right\.|not right)", verdict.text) or verdict.answer is not None:
                label = "right" if verdict.status == "passed" else str(verdict.answer or verdict.status)
                answers.setdefault(task, Counter())[label] += 1
    totals = sorted(sum(s.points.values()) for s in submissions)
    return {"n": n, "tasks": tasks, "passed": passed, "statuses": statuses, "diagnosed": diagnosed,
            "common": diagnosed.most_common(5), "examples": examples, "answers": answers,
            "totals": totals, "max_total": sum(maximum.values())}


def write_csv(submissions, maximum, stream):
    """One row per student: ``student_id``, one column of points per task, ``total``, ``max``."""
    writer = csv.writer(stream)
    writer.writerow(["student_id", *maximum, "total", "max"])
    for s in sorted(submissions, key=lambda s: s.student):
        row = [s.points.get(t, 0.0) for t in maximum]
        writer.writerow([s.student, *(f"{p:g}" for p in row), f"{sum(row):g}", f"{sum(maximum.values()):g}"])


def _svg_histogram(totals, top, width=480, height=160):
    bins = Counter(int(round(t)) for t in totals)
    count = int(top) + 1
    tallest = max(bins.values(), default=1)
    bar = width / count
    rects = "".join(
        f"<rect x='{k * bar + 1:.1f}' y='{height - 20 - (height - 30) * bins[k] / tallest:.1f}' "
        f"width='{bar - 2:.1f}' height='{(height - 30) * bins[k] / tallest:.1f}' fill='#3a6ea5'>"
        f"<title>{k} points: {bins[k]} students</title></rect>"
        f"<text x='{(k + 0.5) * bar:.1f}' y='{height - 5}' font-size='11' text-anchor='middle'>{k}</text>"
        for k in range(count))
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' role='img' "
            f"aria-label='score histogram'>{rects}</svg>")


def _heatmap(summary):
    rows = sorted({key for key, _ in summary["diagnosed"]})
    if not rows:
        return "<p>No misconception was diagnosed.</p>"
    tasks = [t for t in summary["tasks"] if any((key, t) in summary["diagnosed"] for key in rows)]
    head = "".join(f"<th>{html.escape(t)}</th>" for t in tasks)
    body = ""
    for key in rows:
        cells = ""
        for t in tasks:
            share = summary["diagnosed"].get((key, t), 0) / summary["n"]
            cells += (f"<td style='background:rgba(198,40,40,{share:.2f});color:{'#fff' if share > 0.5 else '#000'}'>"
                      f"{100 * share:.0f} %</td>" if share else "<td></td>")
        body += f"<tr><th style='text-align:left'>{html.escape(key)}</th>{cells}</tr>"
    return f"<table class='grid'><tr><th>misconception \\ task</th>{head}</tr>{body}</table>"


def render_html(summary, assignment):
    """The report as one self-contained HTML page."""
    n = summary["n"]
    rates = "".join(
        f"<tr><td>{html.escape(t)}</td><td>{summary['passed'][t]} / {n}</td><td>{100 * summary['passed'][t] / n:.0f} %"
        f"</td><td>{html.escape(', '.join(f'{k}: {v}' for k, v in sorted(summary['statuses'][t].items())))}</td></tr>"
        for t in summary["tasks"])
    common = "".join(
        f"<li><b>{html.escape(key)}</b> in <code>{html.escape(task)}</code>: {count} of {n} students"
        f"<pre>{html.escape(summary['examples'][key, task])}</pre></li>"
        for (key, task), count in summary["common"]) or "<li>none</li>"
    answers = "".join(
        f"<h3>{html.escape(t)}</h3><table class='grid'>" + "".join(
            f"<tr><td>{html.escape(a)}</td><td>{c}</td></tr>" for a, c in counts.most_common()) + "</table>"
        for t, counts in summary["answers"].items()) or "<p>No question in this assignment.</p>"
    mean = sum(summary["totals"]) / n
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(assignment)}: class report</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:1em auto;padding:0 1em}}
table.grid{{border-collapse:collapse}} .grid td,.grid th{{border:1px solid #ccc;padding:0.2em 0.5em;font-size:90%}}
pre{{background:#f5f5f5;padding:0.5em;white-space:pre-wrap}}</style></head><body>
<h1>{html.escape(assignment)}: what the class got wrong</h1>
<p>{n} autograded submissions; mean score {mean:.1f} of {summary['max_total']:g}.
Examples are verdicts as a student saw them, without the student's name.</p>
<h2>Pass rate per task</h2><table class="grid"><tr><th>task</th><th>passed</th><th>rate</th><th>outcomes</th></tr>
{rates}</table>
<h2>Misconceptions per task (share of students)</h2>{_heatmap(summary)}
<h2>The five most common mistakes</h2><ol>{common}</ol>
<h2>Answers to the questions</h2>{answers}
<h2>Scores</h2><p>Students per total score (bars; hover for counts), out of {summary['max_total']:g} points.</p>
{_svg_histogram(summary['totals'], summary['max_total'])}
</body></html>
"""


def write_report(course, assignment, out=None):
    """Write ``ASSIGNMENT.html`` and ``ASSIGNMENT.csv`` into ``out`` (default ``COURSE/reports``)."""
    submissions, maximum = read_class(course, assignment)
    out = Path(course) / "reports" if out is None else Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is a file, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    summary = summarise(submissions, maximum)
    page, table = out / f"{assignment}.html", out / f"{assignment}.csv"
    page.write_text(render_html(summary, assignment), encoding="utf-8")
    buffer = io.StringIO()
    write_csv(submissions, maximum, buffer)
    table.write_text(buffer.getvalue(), encoding="utf-8")
    return page, table, summary


def add_arguments(parser):
    """``python -m convlab report COURSE ASSIGNMENT [--out DIR]``."""
    parser.add_argument("course", help="the course directory")
    parser.add_argument("assignment", help="the autograded assignment")
    parser.add_argument("--out", help="folder for the .html and .csv (default COURSE/reports)")


def run(args):
    """Write the report; return the exit status."""
    try:
        page, table, summary = write_report(args.course, args.assignment, args.out)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{summary['n']} submissions: {page} and {table}")
    return 0
