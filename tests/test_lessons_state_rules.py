"""A learner sees an exercise's rule before the check applies it: every exercise whose checker
forbids calls states them, word for word, in its prompt (the markdown just above it)."""

import re
from pathlib import Path

import nbformat
import pytest

import convlab.exercises as ex
from convlab.exercises.grading.forbidden import rule_sentence

LESSONS = sorted((Path(__file__).parent.parent / "lessons").glob("[0-9][0-9]_*.ipynb"))
CALL = re.compile(r"\b(check_[a-z0-9_]+)\(")


def _checked_exercises(nb):
    """(index of the check cell, checker) for every checker call with forbidden calls."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            for name in CALL.findall(cell.source):
                checker = getattr(ex, name, None)
                spec = getattr(checker, "exercise", checker)  # a check of two functions carries the rule itself
                if getattr(spec, "forbid", None):
                    yield i, name, spec


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_exercise_states_its_forbidden_calls_in_its_prompt(path):
    nb = nbformat.read(path, as_version=4)
    missing = []
    previous = 0
    for i, name, spec in _checked_exercises(nb):
        # the exercise's text: the markdown between the previous check and this one
        text = "".join(c.source for c in nb.cells[previous:i] if c.cell_type == "markdown")
        if rule_sentence(spec.forbid, spec.forbid_why) not in text:
            missing.append(name)
        previous = i
    assert not missing, f"{path.name}: state the rule (rule_sentence) in the prompt of {missing}"


def test_the_rule_names_what_it_forbids_and_why():
    spec = ex.check_correlate1d.exercise
    sentence = rule_sentence(spec.forbid, spec.forbid_why)
    assert "`numpy.correlate`" in sentence and "`convlab`" in sentence and spec.forbid_why in sentence
