"""Run a learner's function where it cannot hurt the session that checks it.

On Linux and macOS every check forks a child process (copy-on-write, so the
learner's function, its globals and the cases are all there). The child
calls the function on each case and sends back, through a pipe, a *safe*
copy of each answer: numbers, strings, tuples, lists and numeric arrays, or
an :class:`Opaque` text describing anything else. The parent

* enforces the time limit by waiting on the pipe and killing the child
  (a bare ``except:`` in a loop cannot swallow a kill);
* caps the child's new memory (``RLIMIT_AS``, :data:`MEMORY_LIMIT` bytes on
  top of what the session already uses; Linux);
* computes the reference, the comparison and the diagnosis itself, so a
  learner's ``cl.correlate2d = mine`` or ``np.allclose = lambda *a, **k:
  True`` dies with the child;
* reports ``os._exit``, a crash or a kill of the child as an outcome.

Forking works from any thread (the child has only the calling thread: the
session's other threads, e.g. Jupyter's, are not there); the child reads
no input and its printed output is sent back with its answers.

Where ``os.fork`` does not exist (Windows), or the environment variable
``CONVLAB_CHECK_ISOLATION`` is ``none``, or no process can be started (a
process limit), the function runs in this process
under a time limit (:func:`call_with_time_limit`) with the limits that
brings: a function that swallows every exception cannot be stopped,
``os._exit`` ends the session, and patches of library names persist.
"""

import copy
import os
import signal
import threading
import time
import warnings
from contextlib import ExitStack, contextmanager

from .outcome import MEMORY_LIMIT, Outcome, Raised, describe_exception, safe_value  # noqa: F401


# ---------------------------------------------------------------- in-process
class _TimeUp(BaseException):
    """Raised inside the learner's code when its time is up (not an Exception,
    so a bare ``except Exception`` in learner code cannot swallow it)."""


def call_with_time_limit(fn, args, seconds):
    """Call ``fn(*args)`` in this process; return ``("ok", value)``, ``("raised", exc)`` or ``("slow", None)``.

    On the main thread of a Unix process a ``SIGALRM`` timer interrupts the
    call (any timer already running, e.g. pytest-timeout's, is restored).
    Elsewhere the call runs in a daemon thread that is abandoned if it
    overruns. This is the fallback where no child process can be forked.

    Examples
    --------
    >>> call_with_time_limit(lambda a: a + 1, (1,), seconds=1.0)
    ('ok', 2)
    """
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        return _call_with_alarm(fn, args, seconds)
    return call_in_thread(fn, args, seconds)


def _call_with_alarm(fn, args, seconds):
    armed = [True]

    def on_alarm(signum, frame):
        if armed[0]:  # fires at most once, and only while the learner's code runs
            armed[0] = False
            raise _TimeUp()

    interrupted = []

    def on_interrupt(signum, frame):  # a real Ctrl-C, told apart from a learner's raise
        interrupted.append(True)
        raise KeyboardInterrupt

    previous_interrupt = signal.getsignal(signal.SIGINT)
    if previous_interrupt is signal.default_int_handler:
        signal.signal(signal.SIGINT, on_interrupt)
    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.monotonic()
    try:
        try:
            return "ok", fn(*args)
        except (Exception, SystemExit, KeyboardInterrupt) as exc:  # the learner's code failed
            if interrupted:
                raise
            return "raised", exc
    except _TimeUp:
        return "slow", None
    finally:
        try:
            armed[0] = False
        finally:  # restore whatever timer was running (e.g. pytest-timeout's)
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous_handler)
            if previous_interrupt is signal.default_int_handler:
                signal.signal(signal.SIGINT, previous_interrupt)
            if previous_delay:
                left = previous_delay - (time.monotonic() - start)
                signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), previous_interval)


def call_in_thread(fn, args, seconds):
    """Like :func:`call_with_time_limit`, in a daemon thread abandoned after ``seconds``."""
    outcome = ["slow", None]

    def target():
        try:
            outcome[:] = ["ok", fn(*args)]
        except (Exception, SystemExit, KeyboardInterrupt) as exc:
            outcome[:] = ["raised", exc]

    worker = threading.Thread(target=target, name="convlab-exercise", daemon=True)
    worker.start()
    worker.join(seconds)
    return tuple(outcome)


def _in_process(learner_fn, call, arguments, time_limit):
    for values in arguments:
        given = copy.deepcopy(values)
        with warnings.catch_warnings():  # a learner's divide-by-zero is not our verdict
            warnings.simplefilter("ignore")
            kind, got = call_with_time_limit(lambda given=given: call(learner_fn, *given), (), time_limit)
        if kind == "slow":
            yield Outcome("slow", isolated=False)
            return
        value = describe_exception(got) if kind == "raised" else safe_value(got)
        yield Outcome(kind, value, safe_value(given), isolated=False)


def forking():
    """True when checks run in a forked child (see the module docstring)."""
    return hasattr(os, "fork") and os.environ.get("CONVLAB_CHECK_ISOLATION", "fork") != "none"


@contextmanager
def learner_calls(learner_fn, call, arguments, time_limit):
    """Run ``call(learner_fn, *values)`` for each tuple in ``arguments``; give an iterator of :class:`Outcome`.

    One outcome per case, in order, until the first that ends the run
    ("slow", "ended", "unreadable"). Leaving the ``with`` block stops the
    learner's code (the child is killed and reaped).
    """
    with ExitStack() as stack:
        child = None
        if forking():
            from .child import start_child  # POSIX only (resource, poll)
            try:
                child = stack.enter_context(start_child(learner_fn, call, arguments))
            except OSError:  # no process can be started now (e.g. a process limit)
                child = None
        if child is None:
            yield _in_process(learner_fn, call, arguments, time_limit)
        else:
            yield child.outcomes(len(arguments), time_limit)
