"""A class on one machine: nbgrader's exchange round trip with three students, graded in parallel.

``python -m convlab course`` writes the course (exchange root, due date, weights); the
instructor runs ``nbgrader generate_assignment`` from an environment that is not
activated (``PATH`` without this Python's scripts, so no ``alembic``); release, fetch,
submit, collect, release_feedback and fetch_feedback run through nbgrader's own exchange
classes (what ``nbgrader release_assignment`` etc. and JupyterLab's Assignments tab call),
each student with their own identity (``--student``, as nbgrader's command line takes it;
on a hub it is the user name), home folder and cache; ``python -m convlab grade --jobs 2
--feedback`` autogrades. Then each student's score is checked against what their mistake
costs, and the feedback they fetched holds the checker's diagnosis.
"""

import os
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("nbgrader")
pytestmark = pytest.mark.slow  # about 40 s of CPU: nbgrader, kernels for three submissions

from test_nbgrader_course import MISTAKES, _small_lesson  # noqa: E402 (the same three-exercise lesson)

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "02_output_size"
COURSE_ID = "conv101"
STUDENTS = {"alice": None, "bob": "output_size", "carol": "same_padding"}  # student -> exercise they get wrong


@contextmanager
def chdir(folder):  # contextlib.chdir is Python 3.11+
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def _env(with_scripts):
    path = os.environ.get("PATH", "").split(os.pathsep)
    scripts = str(Path(sys.executable).parent)
    path = [scripts, *path] if with_scripts else [p for p in path if Path(p) != Path(scripts)]
    return dict(os.environ, PATH=os.pathsep.join(path),
                PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))


def _exchange(kind, course, exchange, student="*", home=None, cache=None):
    """Run one of nbgrader's default exchange steps as its command would."""
    import nbgrader.exchange.default as default
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.course_id = COURSE_ID
    config.CourseDirectory.assignment_id = ASSIGNMENT
    config.CourseDirectory.student_id = student
    config.Exchange.root = str(exchange)
    config.Exchange.assignment_dir = str(home or course)
    config.Exchange.cache = str(cache or Path(course) / ".cache")
    step = getattr(default, kind)(coursedir=CourseDirectory(config=config),
                                  authenticator=Authenticator(config=config), config=config)
    with chdir(home or course):
        step.start()


@pytest.fixture(scope="module")
def class_course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    lesson = tmp / f"{ASSIGNMENT}.ipynb"
    _small_lesson(lesson)
    course, exchange = tmp / "course", tmp / "exchange"
    done = subprocess.run([sys.executable, "-m", "convlab", "course", str(course), str(lesson),
                           "--course-id", COURSE_ID, "--exchange", str(exchange), "--timeout", "20",
                           "--due", f"{ASSIGNMENT}=2027-01-15T23:59"],
                          capture_output=True, text=True, cwd=tmp, env=_env(True))
    assert done.returncode == 0, done.stderr
    done = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT],
                          capture_output=True, text=True, cwd=course, env=_env(False))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    _exchange("ExchangeReleaseAssignment", course, exchange)
    source = nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    solutions = {c.metadata.nbgrader["grade_id"]: c.source for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    for student, wrong in STUDENTS.items():
        home = tmp / "home" / student
        home.mkdir(parents=True)
        kwargs = dict(student=student, home=home, cache=home / ".cache")
        _exchange("ExchangeFetchAssignment", course, exchange, **kwargs)
        path = home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in solutions:
                cell.source = MISTAKES[grade_id][0] if grade_id == wrong else solutions[grade_id]
        nbformat.write(nb, path)
        _exchange("ExchangeSubmit", course, exchange, **kwargs)
    _exchange("ExchangeCollect", course, exchange)
    done = subprocess.run([sys.executable, "-m", "convlab", "grade", str(course), ASSIGNMENT, "--jobs", "2",
                           "--feedback"], capture_output=True, text=True, cwd=tmp, env=_env(False))
    assert done.returncode == 0, done.stdout + done.stderr
    _exchange("ExchangeReleaseFeedback", course, exchange)
    for student in STUDENTS:
        home = tmp / "home" / student
        _exchange("ExchangeFetchFeedback", course, exchange, student=student, home=home, cache=home / ".cache")
    return tmp, course, exchange


def test_the_course_has_its_id_exchange_due_date_and_instructor_readme(class_course):
    tmp, course, exchange = class_course
    assert f"c.CourseDirectory.course_id = '{COURSE_ID}'" in (course / "nbgrader_config.py").read_text()
    assert f"c.Exchange.root = '{exchange}'" in (course / "student_config.py").read_text()
    assert (exchange.stat().st_mode & 0o777) == 0o777
    readme = (course / "README.md").read_text()
    assert "2027-01-15 23:59" in readme and f"nbgrader release_assignment {ASSIGNMENT}" in readme
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("select duedate from assignment where name=?", (ASSIGNMENT,)).fetchone()[0].startswith(
            "2027-01-15 23:59")


def test_each_student_scores_what_their_mistake_costs(class_course):
    from nbgrader.api import Gradebook

    _, course, _ = class_course
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student, wrong in STUDENTS.items():
            submission = gradebook.find_submission(ASSIGNMENT, student)
            cells = {g.name: g.score for g in submission.notebooks[0].grades}
            assert submission.max_score == 3
            assert submission.score == (3 if wrong is None else 2), cells
            if wrong:
                assert cells[f"test_{wrong}"] == 0


def test_each_student_fetched_feedback_with_the_checkers_diagnosis(class_course):
    tmp, _, _ = class_course
    for student, wrong in STUDENTS.items():
        pages = list((tmp / "home" / student / ASSIGNMENT / "feedback").rglob(f"{ASSIGNMENT}.html"))
        assert len(pages) == 1, pages
        text = pages[0].read_text()
        if wrong:
            assert MISTAKES[wrong][1] in text and f"{wrong}: failed on case" in text
        else:
            assert "failed on case" not in text


def test_the_report_counts_the_class(class_course):
    from convlab.course.report import write_report

    _, course, _ = class_course
    page, table, summary = write_report(course, ASSIGNMENT)
    assert summary["n"] == 3
    assert summary["passed"] == {"test_output_size": 2, "test_same_padding": 2, "test_output_shape": 3}
    assert summary["diagnosed"][("plus_one_forgotten", "test_output_size")] == 1
    rows = table.read_text().splitlines()
    assert rows[0] == "student_id,test_output_size,test_same_padding,test_output_shape,total,max"
    assert rows[1:] == ["alice,1,1,1,3,3", "bob,0,1,1,2,3", "carol,1,0,1,2,3"]
