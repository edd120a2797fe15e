"""Tagging lessons for nbgrader, copying lessons safely, clean re-execution, the CLI."""

import json
from pathlib import Path

import nbformat
import pytest

from convlab.__main__ import main
from convlab.course.cells import graded_cells, tag_notebook
from convlab.course.copies import MANIFEST, copy_files, lessons_dir
from convlab.course.reexecute import clean_notebook, reexecute, tag_lessons, volatile_metadata

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = 'def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION'


def _nb(*sources, markdown=()):
    cells = [nbformat.v4.new_markdown_cell(s) if i in markdown else nbformat.v4.new_code_cell(s)
             for i, s in enumerate(sources)]
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                          "display_name": "Python 3"}})


def _meta(cell):
    return cell.metadata.get("nbgrader")


# ---------------------------------------------------------------- tagging
def test_solution_and_test_cells_get_nbgrader_metadata_and_the_check_asserts():
    nb = _nb("import numpy as np", SOLUTION, "check_bias_grad(f)")
    tagged = tag_notebook(nb)
    assert _meta(tagged.cells[0]) is None
    assert _meta(tagged.cells[1]) == {"grade": False, "grade_id": "f", "locked": False, "schema_version": 3,
                                      "solution": True, "task": False}
    assert _meta(tagged.cells[2]) == {"grade": True, "grade_id": "test_f", "locked": True, "points": 1,
                                      "schema_version": 3, "solution": False, "task": False}
    assert tagged.cells[2].source == "check_bias_grad(f).assert_passed()"
    assert nb.cells[2].source == "check_bias_grad(f)" and "nbgrader" not in nb.cells[1].metadata  # input untouched
    from nbgrader.nbgraderformat import MetadataValidator
    MetadataValidator().validate_nb(tagged)


def test_tagging_twice_changes_nothing_and_keeps_an_instructors_points():
    tagged = tag_notebook(_nb(SOLUTION, "check_bias_grad(f)  # the verdict"))
    tagged.cells[1].metadata.nbgrader["points"] = 5
    again = tag_notebook(tagged)
    assert nbformat.writes(again) == nbformat.writes(tagged)
    assert graded_cells(again) == [("test_f", 5)]
    assert again.cells[1].source == "check_bias_grad(f).assert_passed()  # the verdict"


def test_a_demonstration_of_a_wrong_function_is_not_graded():
    nb = _nb("def wrong(x):\n    return 0", "check_bias_grad(wrong)", SOLUTION, "r = check_bias_grad(f)", "check_gradients(f)")
    tagged = tag_notebook(nb)
    assert tagged.cells[1].source == "check_bias_grad(wrong)" and _meta(tagged.cells[1]) is None
    assert _meta(tagged.cells[3]) is None and _meta(tagged.cells[4]) is None  # not a call statement / not a checker
    assert graded_cells(tagged) == []


def test_questions_get_their_names_as_ids_even_when_the_function_name_repeats():
    answer = 'def answer():\n    ### BEGIN SOLUTION\n    return "{}"\n    ### END SOLUTION'
    nb = _nb(answer.format("a"), 'ask("flip_origin", answer).assert_passed()',
             answer.format("b"), 'ask("same_size", answer).assert_passed()')
    tagged = tag_notebook(nb)
    assert [_meta(c)["grade_id"] for c in tagged.cells] == ["flip_origin", "test_flip_origin",
                                                             "same_size", "test_same_size"]


def test_a_written_answer_is_a_manually_graded_cell_and_stale_metadata_goes():
    nb = _nb("Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION", "1 + 1", markdown={0})
    nb.cells[1].metadata["nbgrader"] = {"grade": True, "grade_id": "old", "points": 1, "locked": True,
                                        "solution": False, "schema_version": 3}
    tagged = tag_notebook(nb)
    assert _meta(tagged.cells[0])["grade"] and _meta(tagged.cells[0])["solution"]
    assert _meta(tagged.cells[1]) is None


def test_tagging_rejects_what_is_not_a_notebook():
    with pytest.raises(TypeError, match="nb must be an nbformat.NotebookNode"):
        tag_notebook({"cells": "no"})


# ---------------------------------------------------------------- copies
def test_an_untouched_copy_is_updated_and_an_edited_one_kept(tmp_path):
    first = copy_files({"a.ipynb": b"v1", "b.ipynb": b"v1"}, tmp_path)
    assert first.written == ["a.ipynb", "b.ipynb"]
    (tmp_path / "b.ipynb").write_bytes(b"student work")
    second = copy_files({"a.ipynb": b"v2", "b.ipynb": b"v2", "c.md": b"new"}, tmp_path)
    assert (second.updated, second.kept, second.written) == (["a.ipynb"], ["b.ipynb"], ["c.md"])
    assert (tmp_path / "a.ipynb").read_bytes() == b"v2" and (tmp_path / "b.ipynb").read_bytes() == b"student work"
    assert "b.ipynb" in second.summary() and f"jupyter lab {tmp_path}" in second.summary()
    third = copy_files({"a.ipynb": b"v2", "b.ipynb": b"v3"}, tmp_path)
    assert third.unchanged == ["a.ipynb"] and third.kept == ["b.ipynb"]
    assert json.loads((tmp_path / MANIFEST).read_text())["a.ipynb"]


def test_copy_files_checks_its_arguments(tmp_path):
    with pytest.raises(TypeError, match="files must be a dict"):
        copy_files({"a": "text, not bytes"}, tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="dest must be a folder"):
        copy_files({}, tmp_path / "file")


def test_the_lessons_are_found_in_the_checkout():
    assert lessons_dir() == ROOT / "lessons"


# ---------------------------------------------------------------- re-execution
def test_reexecute_writes_outputs_without_volatile_metadata(tmp_path):
    nb = _nb("import sys\nprint('hello')", SOLUTION, "1 + 1")
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    path = tmp_path / "lesson.ipynb"
    nbformat.write(nb, path)
    assert reexecute([path]) == [path]
    done = nbformat.read(path, as_version=4)
    assert done.cells[0].outputs[0].text == "hello\n" and done.cells[2].outputs[0].data["text/plain"] == "2"
    assert volatile_metadata(done) == [] and done.metadata.kernelspec.name == "python3"
    assert _meta(done.cells[1])["solution"]


def test_volatile_metadata_is_found_and_cleaned():
    nb = _nb("x")
    nb.cells[0].metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00Z"}
    nb.cells[0].outputs = [nbformat.v4.new_output("display_data", data={
        "text/plain": "Explorer", "application/vnd.jupyter.widget-view+json": {"model_id": "abc"}})]
    assert len(volatile_metadata(nb)) == 2
    clean = clean_notebook(nb)
    assert volatile_metadata(clean) == [] and clean.cells[0].outputs[0].data == {"text/plain": "Explorer"}


def test_bad_paths_are_refused_before_anything_runs(tmp_path):
    with pytest.raises(ValueError, match="paths must be existing .ipynb files"):
        reexecute([tmp_path / "missing.ipynb"])
    with pytest.raises(ValueError, match="paths must be existing .ipynb files"):
        tag_lessons([tmp_path])


# ---------------------------------------------------------------- command line
def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("lessons", "student", "course", "bench", "misconceptions", "latency"):
        assert f"    {command}" in out


def test_misconceptions_runs_through_the_top_level_command(capsys):
    assert main(["misconceptions"]) == 0
    assert "check_correlate1d: kernel_flipped" in capsys.readouterr().out


def test_course_refuses_to_overwrite_a_source_notebook(tmp_path, capsys):
    lesson = str(lessons_dir() / "01_cross_correlation.ipynb")
    assert main(["course", str(tmp_path), lesson]) == 0
    assert main(["course", str(tmp_path), lesson]) == 2
    assert "already exists" in capsys.readouterr().err


def test_magics_and_checkers_imported_under_other_names_are_understood():
    nb = _nb("%matplotlib inline\nfrom convlab.exercises.checkers.layers_backprop import check_relu_backward as crb",
             'def relu_backward(x, g):\n    ### BEGIN SOLUTION\n    return g\n    ### END SOLUTION',
             "\n\n%time y = 1\ncrb(relu_backward)")
    tagged = tag_notebook(nb)
    assert tagged.cells[2].source == "\n\n%time y = 1\ncrb(relu_backward).assert_passed()"
    assert graded_cells(tagged) == [("test_relu_backward", 1)]


def test_lessons_skip_and_name_a_folder_where_a_lesson_goes_and_refuse_a_file_as_destination(tmp_path, capsys):
    dest = tmp_path / "copies"
    (dest / "01_cross_correlation.ipynb").mkdir(parents=True)  # a folder where a lesson goes
    assert main(["lessons", str(dest)]) == 0
    out = capsys.readouterr().out
    assert "Skipped" in out and "01_cross_correlation.ipynb" in out
    assert (dest / "02_output_size.ipynb").is_file() and (dest / "01_cross_correlation.ipynb").is_dir()
    afile = tmp_path / "afile"
    afile.write_text("mine")
    for command in ("lessons", "student"):
        assert main([command, str(afile)]) == 2
        err = capsys.readouterr().err
        assert err.strip() == f"error: dest must be a folder; got the file {str(afile)!r}"
        assert afile.read_text() == "mine"
