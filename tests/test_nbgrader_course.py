"""The nbgrader round trip, with the real nbgrader command line, on a small course.

The assignment has three exercises on the output-size checkers (one point each),
laid out as in a lesson and written into a course by ``python -m convlab course``. Submissions: the
solutions (full marks), one per exercise with a known mistake in that exercise
only (the other two exercises' points, and the checker's diagnosis in the
feedback), and a broken one (a cell that loops forever, the others raising),
graded 0 within the per-cell time limit. A hidden test in the source must not
reach the released notebook.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from convlab.course.cells import has_solution

pytestmark = pytest.mark.slow  # nbgrader runs kernels for every submission

pytest.importorskip("nbgrader")

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "02_output_size"
HIDDEN = "### BEGIN HIDDEN TESTS\nassert output_size(9, 3, 2, 1, 1) == 5, 'hidden stride-2 test'\n### END HIDDEN TESTS"
CELL_TIMEOUT = 10

# One classic mistake per exercise, and the words of the diagnosis the checker gives.
MISTAKES = {
    "output_size": ("def output_size(n, k, s, p, d):\n    return (n + 2 * p - d * (k - 1) - 1) // s",
                    "forgot the + 1"),
    "same_padding": ("def same_padding(n, k, s, d):\n    n_out = -(-n // s)\n"
                     "    total = max((n_out - 1) * s + d * (k - 1) + 1 - n, 0)\n"
                     "    return (total - total // 2, total // 2)",
                     "the odd SAME padding cell is on the wrong side"),
    "output_shape": ("def output_shape(x_shape, weight_shape, stride, padding):\n"
                     "    n, _, h, w = x_shape\n    c_out, _, kh, kw = weight_shape\n"
                     "    h_out = (h + 2 * padding[0] - kh) // stride[0] + 1\n"
                     "    w_out = (w + 2 * padding[1] - kw) // stride[1] + 1\n"
                     "    return (n, c_out, w_out, h_out)",
                     "H and W swapped"),
}


def _nbgrader(course, *args, timeout=600):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


SOLUTIONS = {
    "output_size": "def output_size(n, k, s, p, d):\n    ### BEGIN SOLUTION\n"
                   "    return (n + 2 * p - d * (k - 1) - 1) // s + 1\n    ### END SOLUTION",
    "same_padding": "def same_padding(n, k, s, d):\n    ### BEGIN SOLUTION\n    n_out = -(-n // s)\n"
                    "    total = max((n_out - 1) * s + d * (k - 1) + 1 - n, 0)\n"
                    "    return (total // 2, total - total // 2)\n    ### END SOLUTION",
    "output_shape": "def output_shape(x_shape, weight_shape, stride, padding):\n    ### BEGIN SOLUTION\n"
                    "    n, _, h, w = x_shape\n    c_out, _, kh, kw = weight_shape\n"
                    "    h_out = (h + 2 * padding[0] - kh) // stride[0] + 1\n"
                    "    w_out = (w + 2 * padding[1] - kw) // stride[1] + 1\n"
                    "    return (n, c_out, h_out, w_out)\n    ### END SOLUTION",
}


def _small_lesson(path):
    """A three-exercise assignment on the output-size checkers, written as a lesson is:
    a set-up cell, then for each exercise its prompt, solution cell and checker cell."""
    cells = [nbformat.v4.new_code_cell("import numpy as np\n\nfrom convlab.exercises import "
                                       + ", ".join(f"check_{name}" for name in SOLUTIONS))]
    for number, (name, solution) in enumerate(SOLUTIONS.items(), start=1):
        cells += [nbformat.v4.new_markdown_cell(f"### Exercise {number} — `{name}`"),
                  nbformat.v4.new_code_cell(solution),
                  nbformat.v4.new_code_cell(f"check_{name}({name})")]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "language": "python", "display_name": "Python 3"}})
    nbformat.write(nb, path)


def _add_hidden_test(source):
    """What an instructor adds to a test cell of the course's source notebook."""
    nb = nbformat.read(source, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_output_size")
    cell.source += "\n" + HIDDEN
    nbformat.write(nb, source)


def _submit(course, student, sources):
    """Submit the released notebook with each solution cell's source replaced as given."""
    nb = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in sources:
            cell.source = sources[grade_id]
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nbgrader")
    lesson = tmp / f"{ASSIGNMENT}.ipynb"
    _small_lesson(lesson)
    course = tmp / "course"
    done = subprocess.run([sys.executable, "-m", "convlab", "course", str(course), str(lesson),
                           "--timeout", str(CELL_TIMEOUT)], capture_output=True, text=True, cwd=tmp,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr
    _add_hidden_test(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    _nbgrader(course, "generate_assignment", ASSIGNMENT)

    source = nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    solutions = {c.metadata.nbgrader["grade_id"]: c.source for c in source.cells if has_solution(c)}
    assert sorted(solutions) == sorted(MISTAKES)
    _submit(course, "solutions", solutions)
    for name, (wrong, _) in MISTAKES.items():
        _submit(course, f"mistake_{name}", dict(solutions, **{name: wrong}))
    broken = {name: "raise RuntimeError('broken submission')" for name in solutions}
    broken["output_size"] = "while True:\n    pass"
    _submit(course, "broken", broken)
    shutil.copyfile(course / "gradebook.db", tmp / "before-autograde.db")
    _nbgrader(course, "autograde", ASSIGNMENT)
    _nbgrader(course, "generate_feedback", ASSIGNMENT)

    from nbgrader.api import Gradebook
    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in ["solutions", "broken"] + [f"mistake_{n}" for n in MISTAKES]:
            submission = gradebook.find_submission(ASSIGNMENT, student)
            cells = {g.name: g.score for g in gradebook.find_submission_notebook(
                ASSIGNMENT, ASSIGNMENT, student).grades}
            scores[student] = (submission.score, submission.max_score, cells)
    print("nbgrader scores:", scores)
    return course, scores


def test_the_course_config_and_source_are_what_nbgrader_reads(graded_course):
    course, _ = graded_course
    config = (course / "nbgrader_config.py").read_text()
    assert f"c.Execute.timeout = {CELL_TIMEOUT}" in config
    assert (course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()


def test_the_released_notebook_has_stubs_and_no_hidden_tests(graded_course):
    course, _ = graded_course
    text = (course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    assert "hidden stride-2 test" not in text and "HIDDEN TESTS" not in text
    assert "BEGIN SOLUTION" not in text and "(n + 2 * p - d * (k - 1) - 1) // s + 1" not in text
    assert 'raise NotImplementedError(\\"your solution goes here\\")' in text
    assert "check_output_size(output_size).assert_passed()" in text


def test_the_solutions_score_full_marks(graded_course):
    _, scores = graded_course
    score, max_score, cells = scores["solutions"]
    assert max_score == 3 and score == 3, cells


@pytest.mark.parametrize("name", MISTAKES)
def test_one_mistake_loses_exactly_that_exercise_and_the_feedback_says_why(graded_course, name):
    course, scores = graded_course
    score, max_score, cells = scores[f"mistake_{name}"]
    assert score == max_score - 1 and cells[f"test_{name}"] == 0, cells
    feedback = (course / "feedback" / f"mistake_{name}" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert MISTAKES[name][1] in feedback
    assert f"{name}: failed on case" in feedback


def test_a_submission_that_hangs_or_raises_is_graded_zero(graded_course):
    course, scores = graded_course
    score, max_score, cells = scores["broken"]
    assert score == 0 and max_score == 3, cells
    graded = nbformat.read(course / "autograded" / "broken" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    errors = [o.ename for c in graded.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert "RuntimeError" in errors and "NameError" in errors
    assert any(name in ("CellTimeoutError", "KeyboardInterrupt") for name in errors), errors


def test_the_hidden_test_runs_at_grading(graded_course):
    course, _ = graded_course
    graded = (course / "autograded" / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    assert "hidden stride-2 test" in graded


def test_grading_with_two_workers_gives_nbgraders_serial_grades(graded_course, tmp_path):
    """``python -m convlab grade --jobs 2`` on a copy of the course, as it was before nbgrader's
    own (serial) autograde, writes the same score for every cell of every submission."""
    from nbgrader.api import Gradebook

    course, scores = graded_course
    copy = tmp_path / "course"
    for part in ("source", "release", "submitted"):
        shutil.copytree(course / part, copy / part)
    shutil.copyfile(course / "nbgrader_config.py", copy / "nbgrader_config.py")
    shutil.copyfile(course.parent / "before-autograde.db", copy / "gradebook.db")
    done = subprocess.run([sys.executable, "-m", "convlab", "grade", str(copy), ASSIGNMENT, "--jobs", "2"],
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(
                              filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"graded {len(scores)} submissions" in done.stdout
    with Gradebook(f"sqlite:///{copy / 'gradebook.db'}") as gradebook:
        for student, (score, max_score, cells) in scores.items():
            submission = gradebook.find_submission(ASSIGNMENT, student)
            parallel = {g.name: g.score for g in submission.notebooks[0].grades}
            assert (submission.score, submission.max_score, parallel) == (score, max_score, cells), student
