"""Student copies: solutions become stubs (the same bytes nbgrader's release preprocessors
write, made without nbgrader), and every copy runs end to end with the checker cells, and
only they, failing with "not implemented yet".

The lessons themselves run under nbval, so a student copy is not run a second
time whole: each copy runs the cells whose behaviour the stubs can change and the
cells that give them their inputs (``tests/notebook_slices.py``), each copy in a
fresh kernel."""

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from convlab.exercises import CHECKERS
from notebook_slices import cells_to_run
from convlab.course.cells import tag_notebook
from convlab.course.student import (MARKDOWN_STUB, STUB, make_student_copies,
                                    make_student_notebook, strip_solutions)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))
CHECKER_CALL = re.compile(r"\b(%s)\(" % "|".join(c.__name__ for c in CHECKERS))
GRADING_CALL = re.compile(r"^\s*(check_\w+|ask|expect_value|expect_shape)\(.*\)\.assert_passed\(\)", re.M)


# ---------------------------------------------------------------- stripping
def test_a_function_body_becomes_a_stub_and_the_signature_stays():
    source = ('def f(x, y=1):\n    """Doc."""\n    ### BEGIN SOLUTION\n    z = x + y\n'
              '    return z\n    ### END SOLUTION\n\nprint("after")')
    assert strip_solutions(source) == (f'def f(x, y=1):\n    """Doc."""\n    {STUB}\n\n'
                                       'print("after")')


def test_a_method_body_keeps_its_deeper_indentation():
    source = "class A:\n    def f(self):\n        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION"
    assert strip_solutions(source) == f"class A:\n    def f(self):\n        {STUB}"


def test_markdown_answers_are_replaced():
    source = "Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION\nMore."
    assert strip_solutions(source, "markdown") == f"Why?\n\n{MARKDOWN_STUB}\nMore."


@pytest.mark.parametrize("source, message", [
    ("def f():\n    ### BEGIN SOLUTION\n    return 1", "line 2 is never closed"),
    ("def f():\n    return 1\n    ### END SOLUTION", "line 3 without"),
    ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n", "nested"),
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "top level"),
])
def test_malformed_blocks_are_errors(source, message):
    with pytest.raises(ValueError, match=message):
        strip_solutions(source, where="lesson.ipynb, cell 3")


def test_a_line_that_mentions_a_marker_without_being_one_is_an_error():
    # nbgrader treats any line containing "BEGIN SOLUTION" as a marker
    with pytest.raises(ValueError, match="line 2 mentions a solution marker"):
        strip_solutions("def f():\n    return 1  # BEGIN SOLUTION is not here")


def test_hidden_tests_are_removed_and_an_unclosed_block_is_an_error():
    cells = [nbformat.v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"),
             nbformat.v4.new_code_cell("check_correlate1d(f)\n### BEGIN HIDDEN TESTS\nassert f(2) == 2\n"
                                       "### END HIDDEN TESTS\nprint('shown')")]
    student = make_student_notebook(nbformat.v4.new_notebook(cells=cells))
    assert student.cells[1].source == "check_correlate1d(f).assert_passed()\nprint('shown')"
    cells[1].source = "check_correlate1d(f)\n### BEGIN HIDDEN TESTS\nassert f(2) == 2"
    with pytest.raises(ValueError, match="cell 1:.*BEGIN HIDDEN TESTS.*never closed"):
        make_student_notebook(nbformat.v4.new_notebook(cells=cells), "x.ipynb")


def _nbgrader_release(nb):
    """What nbgrader's own release preprocessors make of a lesson."""
    preprocessors = pytest.importorskip("nbgrader.preprocessors")
    released = tag_notebook(nb)
    for preprocessor in (preprocessors.ClearSolutions(code_stub={"python": STUB}, text_stub=MARKDOWN_STUB),
                         preprocessors.ClearHiddenTests(), preprocessors.ClearOutput()):
        released, _ = preprocessor.preprocess(released, {})
    for cell in released.cells:
        cell.metadata.pop("execution", None)
    return released


@pytest.mark.parametrize("path", [FIXTURES / "exercise_fixture.ipynb"] + LESSONS, ids=lambda p: p.name)
def test_a_student_copy_is_byte_for_byte_what_nbgrader_releases(path):
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].metadata["collapsed"] = True  # output metadata nbgrader drops
    nb.metadata["celltoolbar"] = "Create Assignment"
    assert nbformat.writes(make_student_notebook(nb, path.name)) == nbformat.writes(_nbgrader_release(nb))


def test_student_copies_are_made_without_nbgrader(tmp_path):
    out = tmp_path / "student"
    code = ("import sys; sys.modules['nbgrader'] = None\n"  # any import of nbgrader now fails
            "from convlab.__main__ import main\n"
            f"sys.exit(main(['student', {str(out)!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in out.glob("*.ipynb"))
    assert written == [p.name for p in LESSONS]
    assert (out / "NOTATION.md").is_file()


def test_the_notebook_is_not_modified_and_outputs_are_cleared():
    nb = nbformat.read(FIXTURES / "exercise_fixture.ipynb", as_version=4)
    nb.cells[5].outputs = [nbformat.v4.new_output("stream", name="stdout", text="old")]
    nb.cells[5].execution_count = 7
    before = nbformat.writes(nb)
    student = make_student_notebook(nb)
    assert nbformat.writes(nb) == before
    code = [c for c in student.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert "# NBVAL_IGNORE_OUTPUT" in student.cells[2].source
    assert "### BEGIN SOLUTION" not in nbformat.writes(student)
    assert 'def correlate1d(p, w):\n    """Valid' in student.cells[4].source


def test_the_command_line_writes_every_notebook(tmp_path):
    out = tmp_path / "student"
    done = subprocess.run([sys.executable, "-m", "convlab", "student", str(out), "--from",
                           str(FIXTURES)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote 1 student notebooks to {out}"
    assert [p.name for p in out.iterdir()] == ["exercise_fixture.ipynb"]


def test_the_command_line_refuses_to_overwrite_the_lessons(tmp_path):
    done = subprocess.run([sys.executable, "-m", "convlab", "student", str(FIXTURES), "--from",
                           str(FIXTURES)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "out_dir must differ from lessons_dir" in done.stderr
    with pytest.raises(ValueError, match="lessons_dir must be a directory"):
        make_student_copies(tmp_path / "missing", tmp_path / "out")


# ---------------------------------------------------------------- executing
def _execute(path, tmp_path, monkeypatch):
    """Run a notebook in a fresh kernel (cwd: its folder); return it with outputs."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=120,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def _text(cell):
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def _checker_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and CHECKER_CALL.search(c.source)]


def test_the_fixture_with_solutions_passes_once_per_checker(tmp_path, monkeypatch):
    nb = _execute(FIXTURES / "exercise_fixture.ipynb", tmp_path, monkeypatch)
    first, second = _checker_cells(nb)
    # shown once even though the call is the cell's last expression
    assert len(first.outputs) == 1 and first.outputs[0].output_type == "display_data"
    assert first.outputs[0].data["text/plain"] == "correlate1d: passed 6 cases."
    assert "text/html" in first.outputs[0].data
    assert _text(second) == "bias_grad: passed 6 cases.True"


def _student_run(source):
    """The cells of ``source``'s student copy to execute."""
    lesson = nbformat.read(source, as_version=4)
    student = make_student_notebook(lesson, source.name)
    return [student.cells[i] for i in cells_to_run(lesson.cells, student.cells)]


@pytest.fixture(scope="module")
def executed_student_copies():
    """Every student copy's cells to run (the fixture's and the lessons'), each in a fresh kernel."""
    sources = [FIXTURES / "exercise_fixture.ipynb"] + LESSONS
    runs = {source.name: _student_run(source) for source in sources}
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), old]))
    try:
        for cells in runs.values():
            NotebookClient(nbformat.v4.new_notebook(cells=cells), kernel_name="python3", timeout=120,
                           allow_errors=True, resources={"metadata": {"path": str(ROOT / "lessons")}}).execute()
    finally:
        if old is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = old
    return runs  # the cells were executed in place


def _errors(cell):
    return [o for o in cell.get("outputs", ()) if o.output_type == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("source", [FIXTURES / "exercise_fixture.ipynb"] + LESSONS,
                         ids=lambda p: p.name)
def test_student_copies_run_and_every_checker_says_not_implemented(source, executed_student_copies):
    cells = executed_student_copies[source.name]
    checks = [c for c in cells if c.cell_type == "code" and (
        CHECKER_CALL.search(c.source) or GRADING_CALL.search(c.source)
        or c.metadata.get("nbgrader", {}).get("grade"))]
    assert checks, f"{source.name} has no checker call"
    for cell in checks:
        text = _text(cell)
        assert "not implemented yet" in text, (cell.source, text)
        assert "passed" not in text and "failed" not in text and "Traceback" not in text
        assert "right." not in text and "not right" not in text  # a question's verdicts
    for cell in cells:
        errors = _errors(cell)
        if not errors:
            continue
        assert cell in checks, f"{source.name}: a cell that is not a checker failed:\n{cell.source}\n{errors[0].evalue}"
        assert [e.ename for e in errors] == ["AssertionError"], (cell.source, errors)
        assert "not implemented yet" in errors[0].evalue, (cell.source, errors[0].evalue)
    graded = [c for c in cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    assert graded and all(_errors(c) for c in graded), f"{source.name}: a graded cell passed on a stub"


def test_in_a_kernel_a_hanging_function_is_stopped_and_the_kernel_goes_on(tmp_path, monkeypatch):
    cells = ["from convlab.exercises import check_correlate1d",
             "def correlate1d(p, w):\n    while True:\n        pass",
             "r = check_correlate1d(correlate1d, time_limit=0.5)\nbool(r), r.reason",
             "1 + 1"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    path = tmp_path / "hang.ipynb"
    nbformat.write(nb, path)
    nb = _execute(path, tmp_path, monkeypatch)
    verdict, answer = nb.cells[2].outputs
    assert verdict.data["text/plain"].startswith("correlate1d: failed on case 1 of 6 (too slow).")
    assert answer.data["text/plain"] == "(False, 'too slow')"
    assert nb.cells[3].outputs[0].data["text/plain"] == "2"
