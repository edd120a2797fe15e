"""The course commands' errors are one line naming the culprit; re-execution is byte-stable."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from convlab.__main__ import main
from convlab.course.reexecute import clean_notebook, volatile_metadata

ROOT = Path(__file__).resolve().parents[1]
ID_A, ID_B = "2950fb2e08be46c7ab698e03fe0db755", "a2db512e77dc4c00a4c7f21d9cce2781"


def _animation(uid):
    """What matplotlib's ``to_jshtml`` writes: one random id, used for several elements."""
    return (f'<img id="_anim_img{uid}">\n<input id="_anim_slider{uid}">\n'
            f'<form id="_anim_loop_select{uid}"></form>\nvar anim{uid} = new Animation();')


def test_animation_ids_are_made_the_same_on_every_run():
    runs = []
    for uid in (ID_A, ID_B):  # two executions of the same cell draw different random ids
        cell = nbformat.v4.new_code_cell("anim", outputs=[nbformat.v4.new_output(
            "display_data", data={"text/html": _animation(uid), "text/plain": "<IPython.core.display.HTML object>"})])
        first = nbformat.v4.new_code_cell("x")
        first.id, cell.id = "first", "animation"
        runs.append(nbformat.v4.new_notebook(cells=[first, cell]))
    assert volatile_metadata(runs[0]) == ["cell 1 output animation ids (random)"]
    cleaned = [clean_notebook(nb) for nb in runs]
    assert nbformat.writes(cleaned[0]) == nbformat.writes(cleaned[1])
    html = cleaned[0].cells[1].outputs[0].data["text/html"]
    assert ID_A not in html and volatile_metadata(cleaned[0]) == []
    uid = html.split("_anim_img")[1][:32]  # every element of the animation still shares its one id
    assert html == _animation(uid)


@pytest.mark.parametrize("command", ["reexecute", "tag-lessons", "course"])
@pytest.mark.parametrize("content, says", [
    ("{}", "is not a version-4 Jupyter notebook (nbformat None)"),
    ('{"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}',
     "is not a version-4 Jupyter notebook (nbformat 3)"),
    ("not json", "is not a readable notebook"),
])
def test_a_corrupt_or_old_notebook_is_named_in_one_line(tmp_path, capsys, command, content, says):
    bad = tmp_path / "01_bad.ipynb"
    bad.write_text(content)
    before = bad.read_bytes()
    args = [command, str(tmp_path / "course"), str(bad)] if command == "course" else [command, str(bad)]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(bad) in err and says in err, err
    assert bad.read_bytes() == before and not (tmp_path / "course").exists()


def test_a_course_destination_that_is_a_file_is_named(tmp_path, capsys):
    target = tmp_path / "mycourse"
    target.write_text("a learner's file")
    assert main(["course", str(target), str(ROOT / "lessons" / "02_output_size.ipynb")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {target} is a file, not a folder"
    assert target.read_text() == "a learner's file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_course_destination_is_named(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert main(["course", str(folder / "c"), str(ROOT / "lessons" / "02_output_size.ipynb")]) == 2
        assert f"cannot write in {folder}" in capsys.readouterr().err
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize("argv", [["grade", "x", "A", "--bogus"], ["report", "x", "A", "--bogus"],
                                  ["course", "x", "--bogus"]])
def test_unknown_options_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_grade_and_report_name_a_folder_that_is_no_course(tmp_path, capsys):
    assert main(["grade", str(tmp_path), "01_cross_correlation"]) == 2
    assert "has no nbgrader_config.py" in capsys.readouterr().err
    assert main(["report", str(tmp_path), "01_cross_correlation"]) == 2
    assert "no autograded submissions of '01_cross_correlation'" in capsys.readouterr().err


def test_a_closed_pipe_ends_the_command_quietly():
    """As ``python -m convlab misconceptions | head -1`` once head has exited: stdout is a pipe
    whose reading end is closed, so the first flush meets EPIPE."""
    script = ("import os, sys\nr, w = os.pipe()\nos.close(r)\nos.dup2(w, 1)\n"
              "from convlab.__main__ import main\nsys.exit(main(['misconceptions']))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert (done.returncode, done.stderr) == (0, "")


def test_the_license_is_an_spdx_expression():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and json.dumps(project["license-files"]) == '["LICENSE"]'
