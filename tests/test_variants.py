"""Per-student variants (issue 21, scope 4): three students run every exercise with the
reference solutions -- all pass -- and their cases differ; the default stays the
published cases."""

import numpy as np
import pytest

from convlab import exercises as ex
from convlab.exercises.grading.variants import seed_for, set_student, student, vary_cases
from test_exercises import CHECKERS, SOLUTIONS

STUDENTS = ("ada", "grace", "alan")


@pytest.fixture
def restore_student():
    yield
    set_student(None)


def _values(checker):
    seed = seed_for(checker.exercise.name) if checker.exercise.vary else 0
    return [c.values for c in vary_cases(checker.exercise.cases(), seed)]


def _same(a, b):
    return all(all(np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y
                   for x, y in zip(p, q)) for p, q in zip(a, b))


@pytest.mark.parametrize("name", sorted(SOLUTIONS))
def test_three_students_pass_with_the_solutions_and_get_their_own_cases(name, restore_student):
    checker = CHECKERS[name]
    seen = []
    for who in STUDENTS:
        set_student(who)
        result = checker(SOLUTIONS[name])
        assert result, f"{who}: {result.text}"
        seen.append(_values(checker))
    if checker.exercise.vary:
        assert not _same(seen[0], seen[1]) and not _same(seen[1], seen[2])


def test_most_exercises_have_variants():
    varied = [c for c in ex.CHECKERS if c.exercise.vary]
    assert len(varied) >= 0.7 * len(ex.CHECKERS)  # the others take sizes, not arrays


def test_the_default_is_the_published_cases(restore_student, monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    set_student(None)
    assert student() is None and seed_for("correlate1d") == 0
    monkeypatch.setenv("JUPYTERHUB_USER", "hubuser")
    assert student() == "hubuser"
    set_student("explicit")
    assert student() == "explicit"


def test_autograde_grades_the_variant_of_the_submission(tmp_path, monkeypatch, restore_student):
    folder = tmp_path / "submitted" / "s123" / "ps1"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert student() == "s123"


def test_a_wrong_answer_fails_every_variant(restore_student):
    for who in STUDENTS:
        set_student(who)
        assert not ex.check_correlate2d(lambda image, kernel: np.zeros((1, 1)))


@pytest.mark.parametrize("bad", [3, "", "   "])
def test_set_student_validates(bad):
    with pytest.raises(TypeError, match="name must be a non-empty str"):
        set_student(bad)
