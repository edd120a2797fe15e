"""Scratch arrays that belong to one thread and are kept between its calls.

Re-using buffers, rather than allocating and freeing megabytes on every
call, keeps them in cache and spares the allocator (and the kernel's page
faults) a lot of work. Each thread has its own set, in a `threading.local`:
no locks, no sharing, and when the thread ends its buffers are freed with it.

An engine's block loop takes its buffers through a `Scratch`: its memory
plan, which names every buffer, declares which of them share memory (one
is written only once the other is done with), and checks that declaration
on every block — taking a buffer while one that shares its memory is still
in use raises instead of silently overwriting it.
"""

import math
import threading
import weakref

import numpy as np

from .config import settings

__all__ = ["workspace", "Scratch", "clear_workspaces", "kept_bytes"]


class _Kept:
    """One thread's kept arrays: ``{(name, dtype): flat array}``."""

    def __init__(self):
        self.arrays = {}


_local = threading.local()
_every_thread = weakref.WeakSet()  # the `_Kept` of every live thread (for `clear_workspaces`)
_registry_lock = threading.Lock()


def _kept():
    kept = getattr(_local, "kept", None)
    if kept is None:
        kept = _local.kept = _Kept()
        with _registry_lock:
            _every_thread.add(kept)
    return kept.arrays


def workspace(name, shape, dtype, zero=False):
    """This thread's scratch array called ``name``, kept between calls (zeroed if asked).

    Arrays bigger than ``max_kept_bytes`` (see `configure`) are allocated
    afresh and not kept.

    Examples
    --------
    >>> a = workspace("doc", (2, 3), np.float64, zero=True)
    >>> a.shape, float(a.sum())
    ((2, 3), 0.0)
    """
    dtype = np.dtype(dtype)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    size = math.prod(shape)
    if size * dtype.itemsize > settings().max_kept_bytes:
        return (np.zeros if zero else np.empty)(shape, dtype)
    kept = _kept()
    flat = kept.get((name, dtype))
    if flat is None or flat.size < size:
        flat = kept[(name, dtype)] = np.empty(size, dtype)
    array = flat[:size].reshape(shape)
    if zero:
        array[...] = 0
    return array


class Scratch:
    """One engine's memory plan: named scratch buffers, and the sets of them that share memory.

    Parameters
    ----------
    engine : str
        Prefixes the kept arrays' names (engines never share memory).
    buffers : iterable of str
        Every buffer the engine takes.
    shares : iterable of tuples of str
        Buffers that live in the same memory, in the order they are used: only
        one of them may be in use at a time.

    Notes
    -----
    `take` hands out a buffer (this thread's kept array, see `workspace`; the
    same memory on every take, so views of it stay valid) and marks it in
    use; `free` says the engine is done with it. Taking a buffer while
    another buffer of its set is in use raises ``RuntimeError``: the plan,
    not the call order, says what may overwrite what.

    Examples
    --------
    >>> plan = Scratch("doc", ["pixels", "products"], shares=[("pixels", "products")])
    >>> pixels = plan.take("pixels", (4,), np.float64)
    >>> plan.take("products", (4,), np.float64)
    Traceback (most recent call last):
    ...
    RuntimeError: scratch buffer 'products' of doc shares memory with 'pixels', still in use
    >>> plan.free("pixels")
    >>> plan.take("products", (2, 2), np.float64).shape
    (2, 2)
    """

    def __init__(self, engine, buffers, shares=()):
        self.engine = engine
        self._memory = {name: name for name in buffers}  # buffer -> the kept array it lives in
        for names in shares:
            for name in names:
                if name not in self._memory:
                    raise ValueError(f"shares names {name!r}, not one of the buffers {list(self._memory)}")
                self._memory[name] = names[0]
        self._in_use = {}  # memory -> the buffer using it now
        self._arrays = {}  # (memory, dtype) -> its flat array, taken once

    def take(self, name, shape, dtype, zero=False):
        """Buffer ``name`` of ``shape`` (zeroed if asked), marked in use until `free`."""
        memory = self._memory[name]
        user = self._in_use.get(memory)
        if user is not None and user != name:
            raise RuntimeError(
                f"scratch buffer {name!r} of {self.engine} shares memory with {user!r}, still in use")
        self._in_use[memory] = name
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        size, dtype = math.prod(shape), np.dtype(dtype)
        flat = self._arrays.get((memory, dtype))
        if flat is None or flat.size < size:  # the same memory for the plan's life, even if not kept
            flat = self._arrays[memory, dtype] = workspace(f"{self.engine}.{memory}", size, dtype)
        array = flat[:size].reshape(shape)
        if zero:
            array[...] = 0
        return array

    def free(self, *names):
        """The engine is done with these buffers: those sharing their memory may be taken."""
        for name in names:
            if self._in_use.get(self._memory[name]) == name:
                del self._in_use[self._memory[name]]

    def shared(self, a, b):
        """True if buffers ``a`` and ``b`` live in the same memory."""
        return self._memory[a] == self._memory[b]


def _all_kept():
    with _registry_lock:
        return list(_every_thread)


def clear_workspaces():
    """Free every kept scratch array of every thread (the next call allocates them again)."""
    for kept in _all_kept():
        kept.arrays = {}


def kept_bytes():
    """Bytes of scratch memory kept now, over all live threads."""
    return sum(flat.nbytes for kept in _all_kept() for flat in list(kept.arrays.values()))
