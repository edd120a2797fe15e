"""The lessons are committed executed, complete and in the agreed shape, so that
nbval compares real outputs and students get every section."""

import re
from pathlib import Path

import nbformat
import pytest

LESSONS = sorted((Path(__file__).parent.parent / "lessons").glob("[0-9][0-9]_*.ipynb"))
# Outputs that legitimately change between runs: widget views and timings.
VARYING = re.compile(r"explorer\(|bench\.run|perf_counter|timeit|time_against_fast\(")


def test_numbered_lessons():
    # 00 the primer, 01-13, 14 the capstone
    assert [p.name[:2] for p in LESSONS] == [f"{n:02d}" for n in range(0, 15)]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_is_committed_executed_in_order(path):
    code = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    assert None not in counts, f"{path.name}: unexecuted code cells"
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: not executed top to bottom in one run"
    assert sum(bool(c.outputs) for c in code) >= len(code) // 3, f"{path.name}: suspiciously few outputs"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_structure(path):
    cells = nbformat.read(path, as_version=4).cells
    first_code = next(c for c in cells if c.cell_type == "code").source
    assert "import convlab" in first_code and "default_rng(0)" in first_code
    headings = [line for c in cells if c.cell_type == "markdown" for line in c.source.splitlines()]
    assert any(h.startswith("# ") for h in headings), "title"
    assert "## Summary" in headings and "## Exercises" in headings
    start = next(i for i, c in enumerate(cells) if c.cell_type == "markdown" and "## Exercises" in c.source)
    exercises = cells[start:]
    checks = [c for c in exercises if c.cell_type == "code" and re.search(r"^check_\w+\(", c.source, re.M)]
    solutions = [c for c in exercises if "### BEGIN SOLUTION" in c.source]
    assert 2 <= len(checks) <= 4 and len(solutions) >= len(checks)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_only_varying_cells_are_exempt_from_nbval(path):
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code" and "NBVAL_IGNORE_OUTPUT" in cell.source:
            assert VARYING.search(cell.source), f"{path.name}: output ignored without a reason:\n{cell.source}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_has_no_volatile_metadata(path):
    """Re-execute with ``python -m convlab reexecute`` so that a diff shows only real changes."""
    from convlab.course.reexecute import volatile_metadata

    found = volatile_metadata(nbformat.read(path, as_version=4))
    assert not found, f"{path.name}: {found[:5]}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_is_a_tagged_nbgrader_source_notebook(path):
    """Tagging (``python -m convlab tag-lessons``) changes nothing, nbgrader's
    validator accepts the metadata, and every checker cell of the exercises is graded."""
    from convlab.course.cells import graded_cells, tag_notebook

    nb = nbformat.read(path, as_version=4)
    assert nbformat.writes(tag_notebook(nb)) == nbformat.writes(nb), \
        f"{path.name}: not tagged; run python -m convlab tag-lessons {path.parent.name}/"
    graded = graded_cells(nb)
    start = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "## Exercises" in c.source), 0)
    checks = [c for c in nb.cells[start:] if c.cell_type == "code"
              and re.search(r"^check_\w+\(", c.source, re.M) and "### BEGIN SOLUTION" not in c.source]
    assert len(graded) >= len(checks) >= 2
    assert all(c.source.rstrip().endswith(".assert_passed()") for c in checks)
    validator = pytest.importorskip("nbgrader.nbgraderformat").MetadataValidator()
    validator.validate_nb(nb)
