"""The lessons keep the symbols of ``lessons/NOTATION.md``: ``G`` is only ever the output
gradient dL/dY, and the batch index is ``e`` (never ``b`` or ``n``) in code loops and einsums."""

import json
import re
from pathlib import Path

import pytest

LESSONS = sorted((Path(__file__).parent.parent / "lessons").glob("[0-9][0-9]_*.ipynb"))
GRADIENT_WORDS = (r"\partial L", "dL/d", "grad", "output gradient", "loss", "rng.", "np.ones",
                  "np.zeros", "np.full", r"\Pi - \operatorname{onehot}")
G_ASSIGNED = re.compile(r"(?<![A-Za-z0-9_\\.])G\s*=(?!=)")
G_AS_TRANSFORM = re.compile(r"(?<![A-Za-z0-9_\\.])G\s*@\s*(g|kernel|w)\b|\(G\s*(\\,)?\s*g\b")


def _cells(path):
    return [(i, c["cell_type"], "".join(c["source"]))
            for i, c in enumerate(json.loads(path.read_text())["cells"])]


def g_misuses(cells):
    """Lines that give ``G`` a value without saying it is the output gradient."""
    bad = []
    for index, kind, source in cells:
        lines = source.splitlines()
        for number, line in enumerate(lines):
            if G_AS_TRANSFORM.search(line):
                bad.append(f"cell {index}: {line.strip()} (G as a kernel transform)")
                continue
            if not G_ASSIGNED.search(line):
                continue
            context = " ".join(lines[max(number - 1, 0):number + 1])
            if not any(word in context for word in GRADIENT_WORDS):
                bad.append(f"cell {index}: {line.strip()}")
    return bad


def batch_letter_misuses(cells):
    """Code that loops over the batch with ``b`` or ``n``, or gives an einsum batch axis ``b``."""
    bad = []
    for index, kind, source in cells:
        if kind != "code":
            continue
        for line in source.splitlines():
            if re.search(r"for (b|n) in range\((len\(x\)|n_images|n_batch|batch|x\.shape\[0\])", line):
                bad.append(f"cell {index}: {line.strip()}")
            for spec in re.findall(r"einsum\(\s*[\"']([a-z,]+->[a-z]*)[\"']", line):
                if any(term.startswith("b") and len(term) == 4 for term in re.split(r"[,>-]+", spec)):
                    bad.append(f"cell {index}: {line.strip()}")
    return bad


def test_the_checks_can_fail():
    cells = [(0, "markdown", r"the kernel transform $G = \begin{bmatrix}1 & 0\end{bmatrix}$"),
             (1, "code", "G = np.array([[1, 0], [0.5, 0.5]])\nA_T @ ((G @ g) * (B_T @ d))"),
             (2, "code", "for b in range(len(x)):\n    y = np.einsum('oc,bcij->boij', w, x)")]
    assert len(g_misuses(cells)) == 3
    assert len(batch_letter_misuses(cells)) == 2
    fine = [(0, "markdown", r"$G = \partial L/\partial Y$"), (1, "code", "G = rng.normal(size=y.shape)"),
            (2, "code", "for e in range(len(x)):\n    np.einsum('oc,ecij->eoij', w, x)")]
    assert g_misuses(fine) == [] and batch_letter_misuses(fine) == []


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_g_is_only_the_output_gradient(path):
    assert g_misuses(_cells(path)) == []


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_the_batch_index_is_e(path):
    assert batch_letter_misuses(_cells(path)) == []
