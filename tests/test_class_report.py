"""The class report on a synthetic class of 36 autograded submissions.

The submissions are built without a kernel: each test cell's outputs are what the
checker shows when run on the student's function (its verdict, and the
``AssertionError`` that ``.assert_passed()`` raises when it failed), as an autograded
notebook holds them. The class, by construction: 6 right in everything, one student
per known mistake of each of the three exercises (14), 8 more with the same
``plus_one_forgotten``, 5 with nothing implemented, 3 whose first cell timed out, and a
question answered 36 (right) by 14 and wrongly (16 or 144 by 7 each, 6 by 8) by the others. The report's counts
are checked against that construction, not against the report's own code.
"""

import csv
from pathlib import Path

import exercise_solutions as solutions
import nbformat
import pytest

from convlab.course.report import write_report
from convlab.exercises import ask, check_output_shape, check_output_size, check_same_padding

ASSIGNMENT = "02_output_size"
CHECKERS = {"output_size": check_output_size, "same_padding": check_same_padding, "output_shape": check_output_shape}
QUESTION = "winograd_tile_products"  # right answer 36; 16 and 6 are known wrong ones


def _not_implemented(*args):
    raise NotImplementedError("your solution goes here")


def _test_cell(task, outputs, points=1):
    cell = nbformat.v4.new_code_cell(f"check_{task}({task}).assert_passed()")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": f"test_{task}",
                                 "points": points, "schema_version": 3, "task": False}
    cell.outputs = outputs
    return cell


def _outputs(result):
    outputs = [nbformat.v4.new_output("display_data", data={"text/plain": result.text})]
    if not result:
        outputs.append(nbformat.v4.new_output("error", ename="AssertionError", evalue=result.text, traceback=[]))
    return outputs


def _write(course, student, functions, answer, timed_out=()):
    cells = []
    for task, checker in CHECKERS.items():
        if task in timed_out:
            outputs = [nbformat.v4.new_output("error", ename="CellTimeoutError", evalue="timed out", traceback=[])]
        else:
            outputs = _outputs(checker(functions[task], time_limit=5.0))
        cells.append(_test_cell(task, outputs))
    cells.append(_test_cell(QUESTION, _outputs(ask(QUESTION, lambda: answer)), points=2))
    folder = course / "autograded" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=cells), folder / f"{ASSIGNMENT}.ipynb")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    course = tmp_path_factory.mktemp("synthetic") / "course"
    right = {task: getattr(solutions, task) for task in CHECKERS}  # written by hand, as a learner would
    expected = {}  # student -> (points per task, the mistake made)
    for k in range(6):
        _write(course, f"right{k}", right, 36)
        expected[f"right{k}"] = ((1, 1, 1, 2), None)
    n = 0
    for index, (task, checker) in enumerate(CHECKERS.items()):
        for key, wrong in checker.mistakes:
            _write(course, f"mistake{n:02d}", dict(right, **{task: wrong}), (16, 144)[n % 2])
            expected[f"mistake{n:02d}"] = (tuple(0 if i == index else 1 for i in range(3)) + (0,), (key, task))
            n += 1
    plus_one = dict(check_output_size.mistakes)["plus_one_forgotten"]
    for k in range(8):
        _write(course, f"plusone{k}", dict(right, output_size=plus_one), 6)
        expected[f"plusone{k}"] = ((0, 1, 1, 0), ("plus_one_forgotten", "output_size"))
    for k in range(5):
        _write(course, f"empty{k}", dict.fromkeys(CHECKERS, _not_implemented), 36)
        expected[f"empty{k}"] = ((0, 0, 0, 2), None)
    for k in range(3):
        _write(course, f"loop{k}", right, 36, timed_out=("output_size",))
        expected[f"loop{k}"] = ((0, 1, 1, 2), None)
    page, table, summary = write_report(course, ASSIGNMENT)
    return page, table, summary, expected


def test_the_class_has_at_least_thirty_submissions(report):
    _, _, summary, expected = report
    assert summary["n"] == len(expected) == 36


def test_pass_rates_per_task(report):
    _, _, summary, expected = report
    for i, task in enumerate([*CHECKERS, QUESTION]):
        assert summary["passed"][f"test_{task}"] == sum(points[i] > 0 for points, _ in expected.values())
    assert summary["statuses"]["test_output_size"]["timeout"] == 3
    assert summary["statuses"]["test_output_size"]["not implemented"] == 5


def test_each_mistake_is_counted_for_its_task_and_the_most_common_comes_first(report):
    _, _, summary, expected = report
    made = {}
    for _, mistake in expected.values():
        if mistake:
            made[mistake] = made.get(mistake, 0) + 1
    for (key, task), count in made.items():
        assert summary["diagnosed"][key, f"test_{task}"] >= count, (key, task)
    assert summary["common"][0] == (("plus_one_forgotten", "test_output_size"), 9)
    assert summary["common"][0][0] in summary["examples"]
    assert "plusone" not in summary["examples"]["plus_one_forgotten", "test_output_size"]


def test_question_answers_are_counted(report):
    _, _, summary, _ = report
    counts = summary["answers"][f"test_{QUESTION}"]
    assert counts["right"] == 6 + 5 + 3 and counts["16"] == counts["144"] == 7 and counts["6"] == 8


def test_the_csv_has_one_row_per_student_and_one_column_per_task(report):
    _, table, _, expected = report
    with open(table, newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 36
    tasks = [f"test_{t}" for t in [*CHECKERS, QUESTION]]
    assert list(rows[0]) == ["student_id", *tasks, "total", "max"]
    for row in rows:
        points, _ = expected[row["student_id"]]
        assert [float(row[t]) for t in tasks] == list(points)
        assert float(row["total"]) == sum(points) and float(row["max"]) == 5


def test_the_html_is_self_contained_and_names_no_student(report):
    page, _, _, expected = report
    text = Path(page).read_text()
    assert "<script" not in text and "src=" not in text and "href=" not in text
    assert "plus_one_forgotten" in text and "<svg" in text
    assert not any(student in text for student in expected)
