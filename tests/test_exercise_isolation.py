"""Learner code cannot hang, crash or fool a checker, nor harm the session
(issue 10's reproducers): every one ends in a verdict, and afterwards a correct
solution still passes and the library is as it was."""

import ctypes
import os
import signal
import sys
import threading
import time

import numpy as np
import pytest

import convlab as cl
import exercise_solutions as sol
from convlab import exercises as ex
from convlab.exercises.sandbox import isolation

ORIGINAL_CORRELATE2D = cl.correlate2d
ORIGINAL_ALLCLOSE = np.allclose

pytestmark = pytest.mark.skipif(not isolation.forking(), reason="needs os.fork")


def assert_session_unharmed():
    assert cl.correlate2d is ORIGINAL_CORRELATE2D and np.allclose is ORIGINAL_ALLCLOSE
    assert ex.check_correlate2d(sol.correlate2d)
    assert not ex.check_correlate2d(lambda image, kernel: sol.correlate2d(image, kernel) + 1)


def _swallow_everything_bare(image, kernel):
    while True:
        try:
            time.sleep(0.01)
        except:  # noqa: E722 -- the point of the test
            pass


def _swallow_base_exception(image, kernel):
    while True:
        try:
            sum(range(10 ** 5))
        except BaseException:
            pass


@pytest.mark.parametrize("stubborn", [_swallow_everything_bare, _swallow_base_exception])
def test_a_function_that_swallows_every_exception_is_killed(stubborn):
    start = time.monotonic()
    result = ex.check_correlate2d(stubborn, time_limit=0.3)
    assert result.reason == "too slow" and "no answer after 0.3 s" in result.text
    assert time.monotonic() - start < 3
    assert_session_unharmed()


def _pid_file(tmp_path):
    return tmp_path / "pid"


def _eventually(condition, seconds=5.0):
    """True once ``condition()`` is (a killed child is reaped in the background)."""
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.01)
    return True


def _threads_without_reapers():
    """The session's threads, once the short-lived threads reaping killed children are done."""
    _eventually(lambda: not any(t.name == "convlab-reaper" for t in threading.enumerate()))
    return threading.active_count()


def _gone(pid):
    def dead():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
    return _eventually(dead)


def test_a_thread_left_burning_cpu_dies_with_the_child(tmp_path):
    pid_file = _pid_file(tmp_path)

    def correlate2d(image, kernel):
        threading.Thread(target=lambda: [None for _ in iter(int, 1)], daemon=True).start()
        pid_file.write_text(str(os.getpid()))
        return sol.correlate2d(image, kernel)
    threads = _threads_without_reapers()
    assert ex.check_correlate2d(correlate2d)
    pid = int(pid_file.read_text())
    assert pid != os.getpid() and _gone(pid)
    assert _eventually(lambda: _threads_without_reapers() == threads)
    assert_session_unharmed()


@pytest.mark.parametrize("end, phrase", [
    (lambda: os._exit(3), "it exited with code 3"),
    (lambda: ctypes.string_at(0), "killed by SIGSEGV"),
    (lambda: os.kill(os.getpid(), signal.SIGKILL), "killed by SIGKILL"),
])
def test_ending_the_process_is_a_verdict(end, phrase):
    result = ex.check_correlate2d(lambda image, kernel: end())
    assert not result and result.reason == "ended the process", result.text
    assert "your function ended the process it ran in" in result.text and phrase in result.text
    assert_session_unharmed()


class BadMessage(Exception):
    def __str__(self):
        raise RuntimeError("no message for you")


class BadRepr:
    def __repr__(self):
        raise RuntimeError("no repr")


class BadArray:
    def __array__(self, *args, **kwargs):
        raise ValueError("no array")

    def __repr__(self):
        raise RuntimeError("no repr")


def _raise(exc):
    raise exc


@pytest.mark.parametrize("wrong, reason, phrase", [
    (lambda image, kernel: _raise(BadMessage()), "raised",
     "BadMessage: <its message cannot be shown: str() raised RuntimeError>"),
    (lambda image, kernel: BadRepr(), "wrong type", "got a BadRepr: BadRepr"),
    (lambda image, kernel: BadArray(), "wrong type", "a BadArray that cannot be read as an array"),
    (lambda image, kernel: [BadArray(), BadRepr()], "wrong type", "expected an array of shape"),
])
def test_unprintable_exceptions_and_answers_are_described_safely(wrong, reason, phrase):
    result = ex.check_correlate2d(wrong)
    assert not result and result.reason == reason and phrase in result.text, result.text
    assert_session_unharmed()


def test_a_ten_megabyte_message_becomes_a_short_verdict():
    result = ex.check_correlate2d(lambda image, kernel: _raise(ValueError("x" * 10 ** 7)))
    assert result.reason == "raised" and len(result.text) < 1000
    assert "(10000000 characters in all)" in result.text
    big = ex.check_correlate2d(lambda image, kernel: "y" * 10 ** 7)
    assert big.reason == "wrong type" and len(big.text) < 1000
    assert_session_unharmed()


def test_rebinding_a_library_function_does_not_outlive_the_check():
    def correlate2d(image, kernel):  # reaches convlab through sys.modules: the exercise's
        library = sys.modules["convlab"]  # forbidden-call check reads names, not run-time lookups
        library.correlate2d = lambda i, k: np.zeros((i.shape[0] - k.shape[0] + 1,
                                                     i.shape[1] - k.shape[1] + 1))
        return library.correlate2d(image, kernel)  # wrong, and now "the reference" too
    result = ex.check_correlate2d(correlate2d)
    assert not result and result.reason == "wrong values"
    assert_session_unharmed()


def test_patching_numpy_cannot_make_a_wrong_answer_pass():
    def correlate2d(image, kernel):
        np.allclose = lambda *args, **kwargs: True
        np.array_equal = lambda *args, **kwargs: True
        return sol.correlate2d(image, kernel) + 1
    result = ex.check_correlate2d(correlate2d)
    assert not result and result.reason == "wrong values"
    assert np.array_equal(np.zeros(1), np.ones(1)) is False
    assert_session_unharmed()


def test_a_keyboard_interrupt_raised_by_the_learner_is_a_verdict():
    result = ex.check_correlate2d(lambda image, kernel: _raise(KeyboardInterrupt()))
    assert result.reason == "raised" and "KeyboardInterrupt" in result.text
    exit_ = ex.check_correlate2d(lambda image, kernel: _raise(SystemExit(2)))
    assert exit_.reason == "raised" and "SystemExit: 2" in exit_.text
    assert_session_unharmed()


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                    reason="signals reach the main thread")
def test_a_real_ctrl_c_stops_the_check_and_kills_the_child(tmp_path, capsys):
    pid_file = _pid_file(tmp_path)

    def correlate2d(image, kernel):
        pid_file.write_text(str(os.getpid()))
        time.sleep(30)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        ex.check_correlate2d(correlate2d, time_limit=20)
    timer.join()
    assert time.monotonic() - start < 5
    assert _gone(int(pid_file.read_text()))
    assert "you interrupted the check; your function was stopped." in capsys.readouterr().out
    assert_session_unharmed()


def test_a_memory_hog_is_stopped_by_the_limit():
    def correlate2d(image, kernel):
        hoard = []
        while True:
            hoard.append(np.empty(2 ** 26))  # 512 MiB at a time (untouched: fast)
    result = ex.check_correlate2d(correlate2d)
    assert result.reason == "raised" and "MemoryError" in result.text, result.text
    assert "GiB of memory" in result.text
    assert_session_unharmed()


def test_what_the_learner_prints_is_shown(capsys):
    def correlate1d(p, w):
        print("debugging", len(p))
        return sol.correlate1d(p, w)
    assert ex.check_correlate1d(correlate1d)
    assert capsys.readouterr().out.startswith("debugging 3\ndebugging 3\n")


def test_a_check_leaves_no_child_behind():
    assert ex.check_correlate1d(sol.correlate1d)

    def no_child():
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return True
        return False
    assert _eventually(no_child)


def test_without_fork_the_in_process_path_still_gives_verdicts(monkeypatch):
    monkeypatch.setenv("CONVLAB_CHECK_ISOLATION", "none")
    assert not isolation.forking()
    assert ex.check_correlate2d(sol.correlate2d)
    result = ex.check_correlate2d(lambda image, kernel: _raise(BadMessage()))
    assert result.reason == "raised" and "cannot be shown" in result.text
    slow = ex.check_correlate2d(lambda image, kernel: time.sleep(2), time_limit=0.2)
    assert slow.reason == "too slow" and "Checked in this process" in slow.text
    assert ex.check_correlate2d(lambda image, kernel: BadArray()).reason == "wrong type"


def test_when_no_process_can_be_started_the_check_runs_in_process(monkeypatch):
    def no_fork():
        raise BlockingIOError(11, "Resource temporarily unavailable")
    monkeypatch.setattr(os, "fork", no_fork)
    assert ex.check_correlate2d(sol.correlate2d)
    assert not ex.check_correlate2d(lambda image, kernel: sol.correlate2d(image, kernel.T))


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                    reason="signals reach the main thread")
def test_in_process_a_real_ctrl_c_still_stops_the_check(monkeypatch):
    monkeypatch.setenv("CONVLAB_CHECK_ISOLATION", "none")
    learner = ex.check_correlate2d(lambda image, kernel: _raise(KeyboardInterrupt()))
    assert learner.reason == "raised" and "KeyboardInterrupt" in learner.text
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        ex.check_correlate2d(lambda image, kernel: time.sleep(10), time_limit=5)
    timer.join()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_asking_for_input_is_a_verdict_not_a_hang():
    result = ex.check_correlate1d(lambda p, w: input("kernel? "), time_limit=2)
    assert result.reason == "raised" and "input() cannot be used" in result.text


def test_off_the_main_thread_a_hanging_function_is_killed_not_abandoned(tmp_path):
    pid_file = _pid_file(tmp_path)

    def correlate2d(image, kernel):
        pid_file.write_text(str(os.getpid()))
        while True:
            pass
    results = []
    worker = threading.Thread(target=lambda: results.append(
        ex.check_correlate2d(correlate2d, time_limit=0.3)))
    worker.start()
    worker.join(10)
    assert [r.reason for r in results] == ["too slow"]
    assert _gone(int(pid_file.read_text()))  # nothing left burning CPU
    before = time.process_time()
    time.sleep(0.3)
    assert time.process_time() - before < 0.2
    assert_session_unharmed()
