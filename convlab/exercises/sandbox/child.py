"""The forked child that runs a learner's function, and the parent's end of its pipe.

The child runs every case in turn and writes one framed message per case
(an 8-byte length, then a pickle of ``(kind, value, given, printed)`` made
only of safe data, see :func:`convlab.exercises.sandbox.outcome.safe_value`); it
never returns into the session's code: it ends with ``os._exit``. The
parent reads the messages with a deadline per case, unpickles them with an
allow-list (numbers, strings, containers, numpy arrays and the isolation
module's records: nothing that runs code), and kills and reaps the child
when the check is over, whatever happened.
"""

import builtins
import copy
import faulthandler
import gc
import io
import os
import pickle
import resource
import select
import signal
import struct
import sys
import threading
import time
import warnings
from contextlib import contextmanager

from . import outcome
from .outcome import UNREADABLE, Opaque, Outcome, Raised, describe_exception, safe_value, truncate

_FRAME = struct.Struct(">Q")
_MAX_MESSAGE = 256 * 2 ** 20
_ALLOWED = {("builtins", "complex"), ("numpy", "dtype"), ("numpy", "ndarray"),
            ("convlab.exercises.sandbox.outcome", "Opaque"), ("convlab.exercises.sandbox.outcome", "Raised")}
_ALLOWED |= {(f"numpy.{core}.{module}", name) for core in ("core", "_core")
             for module, name in (("numeric", "_frombuffer"), ("multiarray", "_reconstruct"),
                                  ("multiarray", "scalar"))}


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED or module == "numpy.dtypes":
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")


@contextmanager
def start_child(learner_fn, call, arguments):
    """Fork a child running the cases; yield a :class:`Child`; kill and reap it on exit."""
    read_end, write_end = os.pipe()
    pid = None
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()  # the child's garbage collector then leaves the session's objects (and pages) alone
    try:
        with warnings.catch_warnings():  # Python >= 3.12 warns about fork in a threaded process
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    finally:
        if pid != 0:
            gc.unfreeze()
    if pid == 0:  # the child: never comes back
        os.close(read_end)
        _run_child(write_end, learner_fn, call, arguments)
    try:  # the child leads its own process group (it sets it too): whatever it starts is
        os.setpgid(pid, pid)  # in that group, and is killed with it
    except OSError:  # the child already did it, or is gone
        pass
    os.close(write_end)
    child = Child(pid, read_end)
    try:
        yield child
    finally:
        child.stop()


def _run_child(fd, learner_fn, call, arguments):
    code = 0
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
        faulthandler.disable()  # a crash is reported as a verdict, not a dump
        _limit_memory()
        torch = sys.modules.get("torch")
        if torch is not None:  # OpenMP's thread pool does not survive a fork
            torch.set_num_threads(1)
        printed = sys.stdout = sys.stderr = io.StringIO()
        sys.stdin = io.StringIO()  # nothing to read: the session's input belongs to the session
        builtins.input = _no_input
        warnings.simplefilter("ignore")  # a learner's divide-by-zero is not our verdict
        for values in arguments:
            given = copy.deepcopy(values)
            try:
                kind, value = "ok", safe_value(call(learner_fn, *given))
            except BaseException as exc:  # noqa: B036 -- everything becomes a verdict
                kind, value = "raised", describe_exception(exc)
            text = truncate(printed.getvalue(), outcome.MAX_PRINTED)
            printed.seek(0)
            printed.truncate()
            payload = pickle.dumps((kind, value, safe_value(given), text), protocol=4)
            _write_all(fd, _FRAME.pack(len(payload)) + payload)
    except BaseException:  # noqa: B036 -- our own failure here: the parent sees "ended"
        code = 70
    finally:
        os._exit(code)


def _well_formed(message):
    """The :class:`Outcome` a child's message stands for, or None if it is not one the child writes."""
    if type(message) is not tuple or len(message) != 4:
        return None
    kind, value, given, printed = message
    if type(printed) is not str or type(given) is not tuple:
        return None
    if kind == "raised":
        ok = (type(value) is Raised and type(value.text) is str and type(value.type_name) is str
              and type(value.not_implemented) is bool and type(value.out_of_memory) is bool)
    else:
        ok = kind == "ok" and _plain(value)
    return Outcome(kind, value, given, printed) if ok and _plain(given) else None


def _plain(value, depth=0):
    """Only what :func:`safe_value` makes: numbers, str, None, tuples/lists of them, arrays, Opaque."""
    kind = type(value)
    if depth > 40:
        return False
    if kind in (tuple, list):
        return all(_plain(item, depth + 1) for item in value)
    if kind is Opaque:
        return type(value.text) is str and type(value.type_name) is str and (
            value.shape is None or (type(value.shape) is tuple
                                    and all(type(n) is int for n in value.shape)))
    return value is None or kind in (bool, int, float, complex, str) or kind.__module__ == "numpy"


def _no_input(prompt=""):
    raise RuntimeError("input() cannot be used while a checker runs your function")


def _limit_memory():
    try:  # if memory runs out, the system kills this child first, not the session
        with open("/proc/self/oom_score_adj", "w") as adj:
            adj.write("1000")
    except OSError:
        pass
    try:
        with open("/proc/self/statm") as statm:
            in_use = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return  # not Linux: no reliable way to know the session's size
    limit = in_use + outcome.MEMORY_LIMIT
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class Child:
    """The parent's handle on a forked child: read its outcomes, stop it."""

    def __init__(self, pid, fd):
        self.pid, self.fd = pid, fd
        self.buffer = bytearray()
        self.status = None  # the wait status, once reaped here
        self.stopped = False
        self._poller = select.poll()
        self._poller.register(fd, select.POLLIN)

    def outcomes(self, n_cases, time_limit):
        """Yield one :class:`Outcome` per case, stopping at the first "slow"/"ended"/"unreadable"."""
        for _ in range(n_cases):
            deadline = time.monotonic() + time_limit
            message = self._receive(deadline)
            if isinstance(message, Outcome):
                yield message
                return
            try:
                read = _well_formed(_SafeUnpickler(io.BytesIO(message)).load())
            except Exception:  # only tampering with the child's own code gets here
                read = None
            if read is None:
                yield Outcome("unreadable", UNREADABLE)
                return
            yield read

    def _receive(self, deadline):
        """The next message's bytes, or an Outcome when the child is too slow or gone."""
        size = None
        while True:
            if size is None and len(self.buffer) >= _FRAME.size:
                size = _FRAME.unpack_from(self.buffer)[0]
                if size > _MAX_MESSAGE:
                    return Outcome("unreadable", "your function's answer is too large to check.")
            if size is not None and len(self.buffer) >= _FRAME.size + size:
                message = bytes(self.buffer[_FRAME.size:_FRAME.size + size])
                del self.buffer[:_FRAME.size + size]
                return message
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop()
                return Outcome("slow")
            if self._poller.poll(left * 1000):
                chunk = os.read(self.fd, 1 << 20)
                if not chunk:  # the child is gone before answering
                    return Outcome("ended", _how_it_ended(self._reap(wait=1.0)))
                self.buffer += chunk

    def stop(self):
        """Kill the child if it still runs and close the pipe (idempotent).

        The dead child is reaped by a short-lived daemon thread, so that the
        verdict does not wait for the system to tear down a copy of the session.
        """
        if not self.stopped:
            _kill_group(self.pid)  # the child and every process it started
        if not self.stopped and self.status is None:  # not reaped by us: the pid is still its
            try:
                os.kill(self.pid, signal.SIGKILL)
                threading.Thread(target=_reap_quietly, args=(self.pid,), name="convlab-reaper",
                                 daemon=True).start()
            except ProcessLookupError:  # reaped elsewhere already (e.g. SIGCHLD ignored)
                pass
        self.stopped = True
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _reap(self, wait):
        """The child's wait status, killing it if it has not ended within ``wait`` seconds."""
        if self.status is not None:
            return self.status
        end = time.monotonic() + wait
        while True:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # already reaped elsewhere (SIGCHLD ignored)
                pid, status = self.pid, None
            if pid:
                self.status = status
                _kill_group(self.pid)  # what it started (a group's id is not reused while it has members)
                return status
            if time.monotonic() >= end:
                os.kill(self.pid, signal.SIGKILL)
                end = float("inf")  # now it ends promptly: wait for it
            time.sleep(0.001)


def _kill_group(pid):
    """SIGKILL the process group the child leads (it and every process it started)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):  # the group is empty (or not the child's)
        pass


def _reap_quietly(pid):
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:  # reaped elsewhere (or SIGCHLD ignored)
        pass


def _how_it_ended(status):
    if status is not None and os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        why = {"SIGSEGV": "a crash in compiled code, e.g. an invalid memory access",
               "SIGKILL": "e.g. the system ran out of memory",
               "SIGABRT": "an abort in compiled code"}.get(name, "a signal")
        return f"it was killed by {name} ({why})"
    if status is not None and os.WIFEXITED(status):
        return (f"it exited with code {os.WEXITSTATUS(status)} (e.g. through `os._exit` or "
                "a library that ends the process)")
    return "it ended without an answer"

