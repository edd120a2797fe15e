"""The self-learner edition: no answers in it, hints one at a time, the reference solution
after a try, "Run All" to the end; and a graded release that still fails a missing or
wrong answer."""

import json
import os
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from convlab.course import hints
from convlab.course.cells import BEGIN, END, has_solution
from convlab.course.edition import make_self_learner_notebook, self_check_source
from convlab.course.student import make_student_notebook
from convlab.exercises import check_correlate1d
from convlab.exercises.grading.result import CheckResult

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]*_*.ipynb"))
BANKS = sorted((ROOT / "convlab" / "exercises" / "grading").glob("question_bank*.json"))


@pytest.fixture(autouse=True)
def fresh_state():
    hints.reset()
    yield
    hints.reset()


def _exercises(nb):
    """``{grade_id: solution cell}`` of a lesson's exercises and questions."""
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if has_solution(c)}


def _blocks(source):
    """The solution blocks of a cell, each as its lines (markers excluded)."""
    blocks, current = [], None
    for line in source.split("\n"):
        if line.strip() == BEGIN:
            current = []
        elif line.strip() == END:
            blocks.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return blocks


@pytest.fixture(scope="module")
def lessons():
    return {path.stem: nbformat.read(path, as_version=4) for path in LESSONS}


# ---------------------------------------------------------------- hint data
def test_every_exercise_of_every_lesson_has_two_or_three_hints(lessons):
    ladders = hints.hint_ladders()
    expected = {name: stem for stem, nb in lessons.items() for name in _exercises(nb)}
    missing = sorted(set(expected) - set(ladders))
    assert not missing, f"no hints for {missing}: add them to convlab/course/hints.json"
    for name, stem in expected.items():
        assert ladders[name]["lesson"] == stem, name
        assert 2 <= len(ladders[name]["hints"]) <= 3, name
        assert all(isinstance(h, str) and len(h) > 30 for h in ladders[name]["hints"]), name
    assert not set(ladders) - set(expected), "hints for exercises no lesson has"


def test_no_hint_states_the_answer_of_a_number_or_shape_question():
    bank = [q for path in BANKS for q in json.loads(path.read_text())]
    ladders = hints.hint_ladders()
    checked = 0
    for question in bank:
        correct = question["correct"]
        if question["name"] not in ladders or isinstance(correct, str) or (
                not isinstance(correct, list) and abs(correct) < 10):
            continue  # a letter, or a digit (prose has digits)
        spelled = str(tuple(correct)) if isinstance(correct, list) else str(correct)
        for text in ladders[question["name"]]["hints"]:
            assert spelled not in text, (question["name"], text)
        checked += 1
    assert checked >= 12


def test_no_hint_quotes_a_line_of_its_solution(lessons):
    ladders = hints.hint_ladders()
    for nb in lessons.values():
        for name, cell in _exercises(nb).items():
            lines = {line.strip() for block in _blocks(cell.source) for line in block}
            long_lines = {line for line in lines if len(line) > 12}
            for text in ladders[name]["hints"]:
                assert not any(line in text for line in long_lines), (name, text)


# ---------------------------------------------------------------- hint() and show_solution()
def test_hints_come_one_at_a_time_in_order_and_then_say_there_are_no_more(capsys):
    ladder = hints.hint_ladders()["correlate1d"]["hints"]
    shown = []
    for _ in ladder:
        hints.hint("correlate1d")
        shown.append(capsys.readouterr().out)
    for number, (out, text) in enumerate(zip(shown, ladder), start=1):
        assert out.startswith(f"Hint {number} of {len(ladder)} for correlate1d: {text}\n")
        assert all(other not in out for other in ladder if other != text)
    assert "That was the last hint" in shown[-1]
    hints.hint("correlate1d")
    assert capsys.readouterr().out.startswith("No more hints for correlate1d")
    hints.hint_again("correlate1d")
    assert capsys.readouterr().out.count("Hint ") == len(ladder)
    hints.hint("correlate2d")  # each exercise has its own ladder
    assert capsys.readouterr().out.startswith("Hint 1 of")


def test_hint_names_a_mistyped_exercise_and_rejects_a_non_string():
    with pytest.raises(ValueError, match="no exercise named 'corelate1d'; did you mean 'correlate1d'"):
        hints.hint("corelate1d")
    with pytest.raises(TypeError, match="name must be an exercise's name as a str.*got function"):
        hints.hint(hints.hint)
    with pytest.raises(ValueError, match="show_solution: no exercise named"):
        hints.show_solution("nothing_like_it")


def test_show_solution_waits_for_a_try_then_shows_a_solution_that_passes_its_check(capsys):
    hints.show_solution("correlate1d")
    out = capsys.readouterr().out
    assert "waits for a first try" in out and "def " not in out
    hints.self_check(CheckResult("correlate1d", "not implemented", n_cases=6))  # a stub is no try
    hints.show_solution("correlate1d")
    assert "waits for a first try" in capsys.readouterr().out
    wrong = check_correlate1d(lambda p, w: np.zeros(len(p) - len(w) + 1))
    assert wrong.status == "failed"
    hints.self_check(wrong)
    capsys.readouterr()
    hints.show_solution("correlate1d")
    out = capsys.readouterr().out
    source = out.split("\n\n", 1)[1]
    assert BEGIN not in source and END not in source
    namespace = {"np": np}
    exec(source, namespace)  # the reference solution, run through the checker itself
    assert check_correlate1d(namespace["correlate1d"]).passed


def test_every_reference_solution_is_its_lessons_solution_cell(lessons):
    for nb in lessons.values():
        for name, cell in _exercises(nb).items():
            reference = hints.reference_solution(name)
            body = [line for block in _blocks(cell.source) for line in block]
            assert all(line in reference.split("\n") for line in body), name
            assert BEGIN not in reference, name


# ---------------------------------------------------------------- the two modes
def test_assert_passed_fails_a_missing_or_wrong_answer_and_self_check_goes_on(capsys):
    missing = CheckResult("correlate1d", "not implemented", n_cases=6)
    wrong = CheckResult("correlate1d", "failed", n_cases=6, reason="wrong values")
    right = CheckResult("correlate1d", "passed", n_cases=6, n_passed=6)
    assert hints.self_check(missing) is None
    assert capsys.readouterr().out == ("correlate1d: not attempted yet; the run goes on. "
                                       "Stuck? hint('correlate1d').\n")
    hints.self_check(wrong)
    assert capsys.readouterr().out == (
        "correlate1d: not right yet (the box above says why); the run goes on. "
        "Stuck? hint('correlate1d'), then show_solution('correlate1d').\n")
    hints.self_check(right)
    assert capsys.readouterr().out == ""
    for result in (missing, wrong):  # self_check switched nothing on: graded checks still fail
        with pytest.raises(AssertionError):
            result.assert_passed()
    right.assert_passed()
    with pytest.raises(TypeError, match="self_check: result must be a check's verdict.*got bool"):
        hints.self_check(True)


def test_check_cells_become_self_checks_whatever_their_layout():
    source = ('r = 1\ncheck_x(\n    f,\n    time_limit=2).assert_passed()  # why\n'
              'é = "é"; ask("q", é).assert_passed()\nr.assert_passed(strict=True)')
    assert self_check_source(source) == (
        'r = 1\nself_check(check_x(\n    f,\n    time_limit=2))  # why\n'
        'é = "é"; self_check(ask("q", é))\nr.assert_passed(strict=True)')
    assert self_check_source("%time f().assert_passed()") == "%time f().assert_passed()"


# ---------------------------------------------------------------- the edition's cells
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_the_edition_has_no_answers_and_keeps_the_lessons_figures(path, lessons):
    lesson = lessons[path.stem]
    before = nbformat.writes(lesson)
    edition = make_self_learner_notebook(lesson, path.name)
    assert nbformat.writes(lesson) == before
    text = nbformat.writes(edition)
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text and "HIDDEN TESTS" not in text
    for cell in _exercises(lesson).values():
        for block in _blocks(cell.source):
            assert "\n".join(block) not in text
    nbformat.validate(edition)
    assert edition.metadata["convlab"] == {"edition": "self-learner"}
    assert "import hint, self_check, show_solution" in next(c for c in edition.cells if c.cell_type == "code").source
    assert ".assert_passed()" not in text
    # the lesson's cells, in order, after the inserted note
    cells = [c for c in edition.cells if c.get("id") != "self-learner-note"]
    assert len(cells) == len(lesson.cells) == len(edition.cells) - 1
    for old, new in zip(lesson.cells, cells):
        grading = has_solution(old) or old.metadata.get("nbgrader", {}).get("grade")
        assert "nbgrader" not in new.metadata
        if new.cell_type == "code":
            assert new.execution_count is None
            if grading:
                assert new.outputs == []
            else:
                kinds = [o.output_type for o in old.outputs]
                assert [o.output_type for o in new.outputs] == kinds
                assert [o.get("data", {}).keys() for o in new.outputs] == [
                    o.get("data", {}).keys() for o in old.outputs]


# ---------------------------------------------------------------- running it
def _run(nb, tmp_path, name):
    """Execute ``nb`` in a fresh kernel in ``tmp_path`` (errors recorded, not raised)."""
    path = tmp_path / name
    nbformat.write(nb, path)
    for note in (ROOT / "lessons").glob("*.md"):
        (tmp_path / note.name).write_bytes(note.read_bytes())
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), old]))
    try:
        NotebookClient(nb, kernel_name="python3", timeout=300, allow_errors=True,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        if old is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = old
    return nb


def _out(cell):
    return "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell.get("outputs", ()))


def _errors(nb):
    return [(c.source, o.ename, o.evalue) for c in nb.cells if c.cell_type == "code"
            for o in c.outputs if o.output_type == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_run_all_of_the_edition_reaches_the_end_with_every_task_not_attempted(path, lessons, tmp_path):
    lesson = lessons[path.stem]
    edition = _run(make_self_learner_notebook(lesson, path.name), tmp_path, path.name)
    assert _errors(edition) == []
    checks = [c for c in edition.cells if c.cell_type == "code" and "self_check(" in c.source]
    graded = [c for c in lesson.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    assert checks and len(checks) >= len(graded)  # every graded check became a self_check
    ladders = hints.hint_ladders()
    for cell in checks:
        out = _out(cell)
        assert "not attempted yet; the run goes on." in out, (cell.source, out)
        assert "passed" not in out.replace("assert_passed", "") and "right." not in out, out
        for name in (line.split(":")[0] for line in out.splitlines() if "not attempted yet;" in line):
            name = name.split(" / ")[0]  # a check of two functions points to the first one's hints
            assert name in ladders, f"a check reports {name!r}, which hint() does not know"
    text = nbformat.writes(edition)
    for cell in _exercises(lesson).values():
        for block in _blocks(cell.source):
            assert "\n".join(block) not in text


def _answer_cell(nb, name):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == name)


def _first_lesson_up_to(nb, name):
    """Lesson 01's cells up to the check of question ``name`` (set-up, question, check)."""
    check = next(i for i, c in enumerate(nb.cells)
                 if c.metadata.get("nbgrader", {}).get("grade_id") == f"test_{name}")
    return nbformat.v4.new_notebook(cells=[nb.cells[0]] + nb.cells[check - 1:check + 1],
                                    metadata=nb.metadata)


@pytest.mark.slow
def test_a_graded_release_fails_a_missing_or_wrong_answer_and_passes_a_right_one(lessons, tmp_path):
    release = make_student_notebook(lessons["01_cross_correlation"], "01_cross_correlation.ipynb")
    missing = _first_lesson_up_to(release, "impulse_flip")
    wrong, right = nbformat.from_dict(missing), nbformat.from_dict(missing)
    _answer_cell(wrong, "impulse_flip").source = "def answer():\n    return 'a'"
    _answer_cell(right, "impulse_flip").source = "def answer():\n    return 'b'"
    edition = make_self_learner_notebook(lessons["01_cross_correlation"])
    check = next(i for i, c in enumerate(edition.cells) if 'self_check(ask("impulse_flip"' in c.source)
    alone = nbformat.v4.new_notebook(cells=[edition.cells[0]] + edition.cells[check - 1:check + 1],
                                     metadata=edition.metadata)
    alone.cells[1].source = "def answer():\n    return 'a'"
    results = {}
    for label, nb in (("missing", missing), ("wrong", wrong), ("right", right), ("alone", alone)):
        results[label] = _errors(_run(nb, tmp_path, f"{label}.ipynb"))
    assert [(e[1], "impulse_flip: not implemented yet" in e[2]) for e in results["missing"]] == [
        ("AssertionError", True)]
    assert [(e[1], "impulse_flip: " in e[2]) for e in results["wrong"]] == [("AssertionError", True)]
    assert results["right"] == [] and results["alone"] == []
    assert "not right yet" in _out(alone.cells[-1])
