"""Scratch arrays that belong to one thread and are kept between its calls.

Re-using buffers, rather than allocating and freeing megabytes on every
call, keeps them in cache and spares the allocator (and the kernel's page
faults) a lot of work. Each thread has its own set, in a `threading.local`:
no locks, no sharing, and when the thread ends its buffers are freed with it.
"""

import math
import threading
import weakref

import numpy as np

from .config import settings

__all__ = ["workspace", "clear_workspaces", "kept_bytes"]


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
