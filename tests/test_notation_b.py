"""Notation in lessons 07-13: ``G`` is only ever the output gradient dL/dY (issue 19, E5).

A code cell may bind ``G`` (or ``G_something``) only to an array made as an output gradient
(random numbers of an output's shape, a zero-inserted or padded gradient, a gradient
returned by a backward pass); never to a transform matrix or anything unpacked beside
other matrices. Markdown never calls a kernel transform ``G``, except where a note quotes other texts."""

import re
from pathlib import Path

import nbformat
import pytest

LESSONS = sorted(p for p in (Path(__file__).parent.parent / "lessons").glob("[0-9][0-9]_*.ipynb")
                 if 7 <= int(p.name[:2]) <= 13)
BINDS_G = re.compile(r"^\s*(?:[\w\[\], ]*,\s*)?(G(?:_\w+)?)\s*(?:,[\w\[\], ]*)?=(?!=)\s*(.*)$", re.M)
GRADIENT_SOURCES = ("rng.", "zero_insert", "np.zeros", "np.ones", "grad", "torch.tensor")


def _bindings(source):
    for match in BINDS_G.finditer(source):
        line = match.group(0)
        yield match.group(1), line, "," in line.split("=")[0]


def test_the_lessons_are_found():
    assert [p.name[:2] for p in LESSONS] == [f"{n:02d}" for n in range(7, 14)]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_g_is_only_bound_to_an_output_gradient(path):
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        for name, line, unpacked in _bindings(cell.source):
            assert not unpacked, f"{path.name}: {name} unpacked beside other values: {line.strip()}"
            rhs = line.split("=", 1)[1]
            assert any(s in rhs for s in GRADIENT_SOURCES), f"{path.name}: {name} is not a gradient: {line.strip()}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_no_kernel_transform_is_called_g(path):
    text = "\n".join(line for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"
                     for line in c.source.splitlines()
                     if not line.startswith(">"))  # "Reading the sources" notes quote other texts
    assert not re.search(r"\(G\s*g\)|G\\?,?\s*g\\?,?\s*G\^\\top", text), path.name


def test_the_check_catches_the_old_winograd_names():
    old = "B_T, G, A_T = winograd.transform_matrices(output_tile=2)"
    assert list(_bindings(old))[0][2]
    assert re.search(r"\(G\s*g\)", r"$y = A^\top\left[(G g) \odot (B^\top d)\right]$")
