"""Nothing in the session can change a verdict (issue 21's reproducers): a patched library
function stops grading, a forged message from the child is "unreadable", questions run
``answer()`` in the same isolation as function checks and validate every argument, and
no process a learner's function started outlives the verdict."""

import os
import sys
import time

import exercise_solutions as sol
import numpy as np
import pytest

import convlab as cl
from convlab import exercises as ex
from convlab.exercises.sandbox import isolation

forking = pytest.mark.skipif(not isolation.forking(), reason="needs os.fork")


def _zeros_correlate2d(image, kernel):
    kh, kw = kernel.shape
    return np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))


def test_a_patched_allclose_in_the_session_stops_grading(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    result = ex.check_correlate2d(_zeros_correlate2d)
    assert not result and result.status == "not graded"
    assert "numpy's `allclose` was replaced in this session" in result.text
    assert "restart the kernel" in result.text
    verdict = ex.ask("inline", lambda: "a", choices={"a": "x", "b": "y"}, correct="b",
                     explain={"a": "no"})
    assert verdict.status == "not graded"
    monkeypatch.undo()
    result = ex.check_correlate2d(_zeros_correlate2d)  # restored: graded, and wrong
    assert result.status == "failed" and result.reason == "wrong values"


def test_a_patched_convlab_function_stops_grading(monkeypatch):
    monkeypatch.setattr(cl, "correlate2d", _zeros_correlate2d)
    result = ex.check_correlate2d(_zeros_correlate2d)
    assert result.status == "not graded" and "convlab's `correlate2d`" in result.text


@forking
def test_a_forged_safe_value_in_the_child_is_unreadable_not_an_exception():
    def forger(image, kernel):  # (through sys.modules: importing convlab is a forbidden call)
        child, outcome = (sys.modules[f"convlab.exercises.sandbox.{name}"] for name in ("child", "outcome"))
        child.safe_value = outcome.safe_value = lambda value, depth=0: 1.5  # given becomes a float
        return _zeros_correlate2d(image, kernel)
    result = ex.check_correlate2d(forger)
    assert not result and result.reason == "unreadable answer"
    assert ex.check_correlate2d(sol.correlate2d)


@forking
@pytest.mark.parametrize("forged", [
    ("ok", object, (), ""), ("bad kind", 1, (), ""), ("ok", 1, 2.0, ""), ("ok", 1, (), None),
    ("raised", "not a Raised", (), ""), ["ok", 1, (), ""], ("ok",)])
def test_every_malformed_message_is_unreadable(forged):
    from convlab.exercises.sandbox.child import _well_formed
    assert _well_formed(forged) is None


def _hang_swallowing_everything():
    while True:
        try:
            time.sleep(0.01)
        except:  # noqa: E722 -- the point of the test
            pass


@forking
@pytest.mark.parametrize("asker", [
    lambda answer: ex.ask("inline", answer, choices={"a": "x", "b": "y"}, correct="b",
                          explain={"a": "no"}, time_limit=0.5),
    lambda answer: ex.expect_value("n", answer, correct=3, time_limit=0.5),
    lambda answer: ex.expect_shape("s", answer, correct=(1, 2), time_limit=0.5)])
def test_a_hanging_answer_is_stopped(asker):
    start = time.monotonic()
    result = asker(_hang_swallowing_everything)
    assert result.reason == "too slow" and time.monotonic() - start < 5


@pytest.mark.parametrize("limit, error", [(-1, ValueError), (float("inf"), ValueError),
                                          ("abc", TypeError), (float("nan"), ValueError),
                                          (0, ValueError), (True, TypeError)])
@pytest.mark.parametrize("asker", [
    lambda limit: ex.ask("inline", lambda: "b", choices={"a": "x", "b": "y"}, correct="b",
                         explain={"a": "no"}, time_limit=limit),
    lambda limit: ex.expect_value("n", lambda: 3, correct=3, time_limit=limit),
    lambda limit: ex.expect_shape("s", lambda: (1, 2), correct=(1, 2), time_limit=limit)])
def test_a_bad_time_limit_is_refused_before_any_work(asker, limit, error):
    with pytest.raises(error, match="time_limit must be"):
        asker(limit)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(correct=3, tolerance=float("nan")), ValueError, "tolerance must be a finite"),
    (dict(correct=3, tolerance=-1), ValueError, "tolerance must be at least 0"),
    (dict(correct=3, tolerance="0.1"), TypeError, "tolerance must be a number"),
    (dict(correct=float("nan")), ValueError, "correct must be a finite"),
    (dict(correct=float("inf")), ValueError, "correct must be a finite"),
    (dict(correct="three"), ValueError, "correct must be a number or 'invalid'"),
    (dict(correct=True), TypeError, "correct must be a number"),
    (dict(correct=3, hint=3), TypeError, "hint must be a str"),
    (dict(correct=3, wrong=[2]), TypeError, "wrong must be a dict")])
def test_bad_arguments_to_expect_value_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        ex.expect_value("n", lambda: 3, **kwargs)


@pytest.mark.parametrize("correct", [(1, -2), (1, 2.0), (True, 2), [1, 2], 3])
def test_bad_shapes_to_expect_shape_are_refused(correct):
    with pytest.raises(TypeError, match="correct must be a tuple of non-negative ints"):
        ex.expect_shape("s", lambda: (1, 2), correct=correct)


def test_a_right_answer_within_the_tolerance_passes():
    assert ex.expect_value("n", lambda: 3.05, correct=3, tolerance=0.1)
    assert not ex.expect_value("n", lambda: 3.5, correct=3, tolerance=0.1)


class _Lying(str):
    def strip(self, *args):
        return "b"

    def lower(self):
        return "b"

    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


def test_a_lying_str_subclass_is_read_as_the_text_it_holds():
    asked = dict(choices={"a": "x", "b": "y"}, correct="b", explain={"a": "no"})
    assert not ex.ask("inline", lambda: _Lying("a"), **asked)
    assert ex.ask("inline", lambda: _Lying("b"), **asked)
    with pytest.raises(ValueError, match="correct must be one of the choice letters"):
        ex.ask("inline", lambda: "b", choices={"a": "x", "b": "y"}, correct=_Lying("z"),
               explain={"a": "no", "b": "no"})


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead: only its parent (init) has not collected it yet
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@forking
def test_no_process_started_by_the_learner_outlives_the_verdict(tmp_path):
    pids = tmp_path / "pids"

    def forker(image, kernel):
        for _ in range(3):
            pid = os.fork()
            if pid == 0:  # a grandchild that would run for a minute
                time.sleep(60)
                os._exit(0)
            with open(pids, "a") as out:
                out.write(f"{pid}\n")
        return _zeros_correlate2d(image, kernel)

    assert not ex.check_correlate2d(forker)
    started = [int(line) for line in pids.read_text().split()]
    assert started
    end = time.monotonic() + 5
    while any(_alive(pid) for pid in started) and time.monotonic() < end:
        time.sleep(0.02)
    assert not any(_alive(pid) for pid in started)


def test_torch_rebinding_its_own_function_is_not_tampering_but_a_learners_is(monkeypatch):
    """torch rebinds ``torch.manual_seed`` to its own wrapper once some submodules load: not a
    replacement. A learner's function under the same name still is."""
    import torch

    from convlab.exercises.grading import trusted

    original = torch.manual_seed

    def manual_seed(seed):
        return original(seed)

    manual_seed.__module__ = "torch.random"
    monkeypatch.setattr(torch, "manual_seed", manual_seed)
    assert trusted.refusal() is None
    monkeypatch.setattr(torch, "manual_seed", lambda seed: None)
    assert "`manual_seed`" in trusted.refusal()
    monkeypatch.setattr(torch, "manual_seed", original)
    assert trusted.refusal() is None
