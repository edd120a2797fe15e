"""Every copy of the lessons carries what they link to: each relative link in each copied
notebook names a file in the copy (self-learner edition, solution copies, student copies,
an nbgrader release)."""

import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

from convlab.course.copies import copy_lessons, copy_student_lessons, linked_files, relative_links
from convlab.course.student import make_student_copies

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]*_*.ipynb"))


def _broken_links(folder):
    """``[(notebook, link)]`` for every relative link in a notebook under ``folder`` that names no file.

    Links are found by scanning the raw Markdown with a plain pattern, independently of
    :func:`relative_links`, so that a link the library misses still counts here."""
    import re

    pattern = re.compile(r"\]\(([^)\s]+)[^)]*\)|(?:href|src)=[\"']([^\"']+)[\"']")
    broken, notebooks = [], sorted(Path(folder).rglob("*.ipynb"))
    assert notebooks, f"no notebooks in {folder}"
    for notebook in notebooks:
        for cell in nbformat.read(notebook, as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            for match in pattern.finditer(cell.source):
                link = (match.group(1) or match.group(2)).split("#")[0]
                if not link or ":" in link.split("/")[0]:
                    continue  # an anchor, or a web address
                if not (notebook.parent / unquote(link)).is_file():
                    broken.append((notebook.name, link))
    return broken


def test_the_lessons_link_to_files_that_exist_beside_them():
    assert _broken_links(ROOT / "lessons") == []
    assert "NOTATION.md" in linked_files(LESSONS)


def test_relative_links_skips_web_addresses_and_anchors():
    cell = nbformat.v4.new_markdown_cell(
        '[a](NOTATION.md) [b](https://example.org/x.md) [c](#top) [d](<my%20notes.md> "t") '
        '<img src="figs/one.png"> [e](mailto:someone@example.org)')
    assert relative_links(nbformat.v4.new_notebook(cells=[cell])) == ["NOTATION.md", "my notes.md",
                                                                       "figs/one.png"]


def test_a_link_outside_the_lessons_folder_or_to_a_missing_file_is_an_error(tmp_path):
    lesson = tmp_path / "lessons" / "01_x.ipynb"
    lesson.parent.mkdir()
    (tmp_path / "OUTSIDE.md").write_text("x")
    for link, message in (("../OUTSIDE.md", "outside its folder"), ("MISSING.md", "not a file")):
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"[x]({link})")]),
                       lesson)
        with pytest.raises(ValueError, match=message):
            linked_files([lesson])


@pytest.mark.parametrize("make", ["lessons", "lessons --solutions", "student", "student --from"])
def test_no_copy_of_the_lessons_has_a_broken_link(make, tmp_path):
    out = tmp_path / "copy"
    if make == "lessons":
        copy_lessons(out)
    elif make == "lessons --solutions":
        copy_lessons(out, solutions=True)
    elif make == "student":
        copy_student_lessons(out)
    else:
        make_student_copies(ROOT / "lessons", out)
    assert len(list(out.glob("*.ipynb"))) == len(LESSONS)
    assert _broken_links(out) == []


@pytest.mark.slow
def test_an_nbgrader_release_has_no_broken_link(tmp_path):
    pytest.importorskip("nbgrader")
    from convlab.course.nbgrader_course import write_course

    lesson = ROOT / "lessons" / "01_cross_correlation.ipynb"
    write_course(tmp_path, [lesson])
    done = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", lesson.stem,
                           "--force"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert _broken_links(tmp_path / "release" / lesson.stem) == []
