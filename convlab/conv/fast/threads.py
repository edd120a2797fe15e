"""The worker threads of the fast method, and what it does to numpy's BLAS meanwhile.

`map_images` cuts the batch into ranges of images that a few threads (the
calling one included) take in turn, each with its own scratch buffers
(`workspace`); numpy releases the GIL in its copies and products, so they
run in parallel. How many ranges, and where they start, depends only on the
batch size and the thread count of `configure` (never on what other threads
do), and the results come back in range order: sums over them are
bit-for-bit reproducible for a given thread count.

**The BLAS policy.** Each worker's products are small (one cache-sized
block), and they are fastest on a single-threaded BLAS: two workers that
each call a multi-threaded OpenBLAS fight over its thread pool (several
times slower). OpenBLAS, numpy's BLAS, has one thread count for the *whole
process*, with no per-thread setting (``openblas_set_num_threads_local``
sets the same global count). So while a pool call runs, `SingleThreadedBlas`
holds BLAS at one thread, for every thread of the process:

* BLAS calls made meanwhile by *other* threads run single-threaded: slower,
  never different (BLAS's thread count does not change its results);
* concurrent convlab calls share the one limit (a count of users): the limit
  is set by the first and lifted by the last, so they neither wait for each
  other nor restore each other's setting;
* calls that stay in one thread (small work, or ``configure(threads=1)``)
  never touch BLAS's setting, and BLAS's own threads share their products.

Whoever changes BLAS's thread count while a pool call runs will find it
restored to the count before that call when the last one ends.

**BLAS's idle workers spin.** After a multithreaded product, OpenBLAS's
own worker threads keep spinning for about 0.1 s before they sleep, and
lowering the thread count does not stop them: a pool call that starts
within that time shares its cores with a spinning thread (on two cores a
ResNet-like Winograd forward took about 1.4x as long; see the repository's
``docs/BENCH.md``). So an engine that runs a few small products around a
pool call wraps them in `quiet_blas` too.
"""

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from contextvars import copy_context

from .config import settings

__all__ = ["map_images", "image_threads", "quiet_blas", "blas_threads", "SingleThreadedBlas"]

_pool = None
_pool_lock = threading.Lock()
_controller = None


def _blas_controller():
    """numpy's BLAS, as a threadpoolctl controller (created on first use)."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController().select(user_api="blas")
    return _controller


def blas_threads():
    """How many threads numpy's BLAS may use now (process-wide)."""
    counts = [lib["num_threads"] for lib in _blas_controller().info()]
    return max(counts, default=1)


class SingleThreadedBlas:
    """A context manager: numpy's BLAS on one thread while any user is inside (see module notes)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._users = 0
        self._limiter = None

    def __enter__(self):
        with self._lock:
            if self._users == 0:
                self._limiter = _blas_controller().limit(limits=1)
            self._users += 1
        return self

    def __exit__(self, *exc_info):
        with self._lock:
            self._users -= 1
            if self._users == 0:
                self._limiter.restore_original_limits()
                self._limiter = None

    @property
    def users(self):
        """How many pool calls hold the limit now."""
        return self._users


SINGLE_THREADED_BLAS = SingleThreadedBlas()


def _worker_pool():
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(thread_name_prefix="convlab-fast")
        return _pool


def _forget_parent_threads():
    """In a forked child (a checker running a learner's code): the parent's pool threads and
    locks did not come along, so start from nothing instead of waiting on them forever."""
    global _pool, _pool_lock, SINGLE_THREADED_BLAS
    _pool, _pool_lock = None, threading.Lock()
    SINGLE_THREADED_BLAS = SingleThreadedBlas()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_parent_threads)


def image_threads(n_images, macs):
    """How many threads `map_images` runs for this work (1: one call, and BLAS splits the products)."""
    s = settings()
    if macs < s.min_parallel_macs:
        return 1
    return max(1, min(s.thread_count, n_images // s.min_images_per_thread))


def quiet_blas(n_images, macs):
    """A context manager: single-threaded BLAS if `map_images` will share this work out, else nothing.

    For the small products an engine runs just before or after its pool call
    (see "BLAS's idle workers spin" in the module notes).
    """
    return SINGLE_THREADED_BLAS if image_threads(n_images, macs) > 1 else contextlib.nullcontext()


def image_ranges(n_images, threads):
    """Bounds ``[b0, b1, ...]`` of the image ranges for ``threads`` threads: they depend on nothing else.

    Examples
    --------
    >>> image_ranges(10, 2)
    [0, 1, 2, 4, 5, 6, 8, 9, 10]
    >>> image_ranges(5, 1)
    [0, 5]
    """
    if threads == 1:
        return [0, n_images]
    n_ranges = min(n_images, settings().chunks_per_thread * threads)
    return [round(k * n_images / n_ranges) for k in range(n_ranges + 1)]


def map_images(work, n_images, macs):
    """Call ``work(start, stop)`` on contiguous image ranges; return the results in range order.

    With `image_threads` ``T > 1`` the batch is cut into up to
    ``chunks_per_thread * T`` ranges that ``T`` threads (this one included)
    take in turn, with single-threaded BLAS (see `SingleThreadedBlas`): a
    core slowed down by another program simply takes fewer ranges. Otherwise
    one call covers the whole batch and BLAS keeps its own threads: with only
    a few large images per thread (4 images of 128x128), BLAS splitting each
    product is faster.
    """
    threads = image_threads(n_images, macs)
    if threads == 1:
        return [work(0, n_images)]
    bounds = image_ranges(n_images, threads)
    results = [None] * (len(bounds) - 1)
    next_range = iter(range(len(results)))
    take = threading.Lock()

    def worker():
        while True:
            with take:
                k = next(next_range, None)
            if k is None:
                return
            results[k] = work(bounds[k], bounds[k + 1])

    pool = _worker_pool()
    with SINGLE_THREADED_BLAS:
        # each helper runs in a copy of this thread's context, so it sees our `configure` settings
        helpers = [pool.submit(copy_context().run, worker) for _ in range(threads - 1)]
        try:
            worker()  # the calling thread works too
        finally:
            wait(helpers)  # never leave a helper writing after we return (or raise)
        for helper in helpers:
            helper.result()  # re-raise a helper's error
    return results
