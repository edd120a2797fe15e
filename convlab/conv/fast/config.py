"""The fast method's tuning knobs, and `configure`, the one way to change them.

The defaults are what ``python -m convlab.bench`` found best (see the
repository's ``docs/BENCH.md``);
tests use `configure` to reach the small-block and threaded paths on small
inputs, and the bench to pin the thread count. Settings live in a
`contextvars.ContextVar`: `configure` changes them for the calling thread
(and the worker threads it starts) only, and restores them on exit.
"""

import contextlib
import dataclasses
import os
from contextvars import ContextVar

from ..._checks import check_choice, check_int

__all__ = ["Settings", "settings", "configure", "default_threads"]


@dataclasses.dataclass(frozen=True)
class Settings:
    """The fast method's knobs (see `configure` for what each one does)."""

    patch_bytes: int = 2 << 20
    min_parallel_macs: int = 20_000_000
    min_images_per_thread: int = 4
    chunks_per_thread: int = 4
    max_kept_bytes: int = 8 << 20
    winograd_tiles_per_block: int = 256
    threads: object = None  # None: `default_threads()`
    layout: object = None  # None: chosen per layer (`convlab.conv.fast.plan.exact_rows_win`)

    @property
    def thread_count(self):
        """``threads``, or `default_threads()` when it is None."""
        return self.threads if self.threads is not None else default_threads()


_MINIMUM = {"patch_bytes": 1, "min_parallel_macs": 0, "min_images_per_thread": 1,
            "chunks_per_thread": 1, "max_kept_bytes": 0, "winograd_tiles_per_block": 1,
            "threads": 1}

#: The grids the blocks engine may compute on (see `convlab.conv.fast.plan`).
LAYOUTS = ("wide", "exact")

_current = ContextVar("convlab_fast_settings", default=Settings())


def settings():
    """The `Settings` in force in this thread."""
    return _current.get()


def default_threads():
    """Threads the fast method uses unless told otherwise: the cores this process may run on.

    ``OPENBLAS_NUM_THREADS`` or ``OMP_NUM_THREADS``, when set to a positive
    int, lower it (a JupyterHub that gives each student one core sets them).
    The number never depends on what other threads do meanwhile, so the work
    split, and with it every bit of the result, is reproducible.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(variable, "")
        if value.isdigit() and int(value) > 0:
            cores = min(cores, int(value))
    return max(cores, 1)


@contextlib.contextmanager
def configure(*, patch_bytes=None, min_parallel_macs=None, min_images_per_thread=None,
              chunks_per_thread=None, max_kept_bytes=None, winograd_tiles_per_block=None,
              threads=None, layout=None):
    """Change the fast method's settings inside a ``with`` block (this thread only).

    Parameters
    ----------
    patch_bytes : int, optional
        Target size of one patch buffer (default 2 MiB, about a core's L2
        cache). ``1`` cuts every image into blocks of one output row.
    min_parallel_macs : int, optional
        Calls with fewer multiply-adds run in the calling thread only
        (default 20 million). ``0`` sends every call to the worker threads.
    min_images_per_thread : int, optional
        The batch is shared out over threads only if each gets this many
        images (default 4); otherwise BLAS's threads share each product.
    chunks_per_thread : int, optional
        The batch is cut into up to this many image ranges per thread (default 4).
    max_kept_bytes : int, optional
        Scratch arrays up to this size are kept between calls (default 8 MiB).
    winograd_tiles_per_block : int, optional
        Output tiles the Winograd engine transforms at a time (default 256):
        as many whole images as fit, or tile rows of one larger image.
    threads : int, optional
        Threads per call (default `default_threads()`). The ranges of images
        depend on this number only, so results are bit-for-bit reproducible
        for a given ``threads``.
    layout : {"wide", "exact"}, optional
        The grid the blocks engine computes on (default: chosen per layer,
        "exact" for few input channels; see `convlab.conv.fast.plan`).

    Yields
    ------
    Settings
        The settings in force inside the block.

    Raises
    ------
    TypeError, ValueError
        A setting that is not an int, or below its minimum (``layout``: not one of `LAYOUTS`).

    Examples
    --------
    >>> with configure(patch_bytes=1, threads=1) as inside:
    ...     inside.patch_bytes, inside.threads
    (1, 1)
    >>> settings().patch_bytes == 2 << 20
    True
    """
    changes = {name: value for name, value in dict(
        patch_bytes=patch_bytes, min_parallel_macs=min_parallel_macs,
        min_images_per_thread=min_images_per_thread, chunks_per_thread=chunks_per_thread,
        max_kept_bytes=max_kept_bytes, winograd_tiles_per_block=winograd_tiles_per_block,
        threads=threads).items() if value is not None}
    for name, value in changes.items():
        changes[name] = check_int(value, name, _MINIMUM[name])
    if layout is not None:
        changes["layout"] = check_choice(layout, "layout", LAYOUTS)
    token = _current.set(dataclasses.replace(settings(), **changes))
    try:
        yield settings()
    finally:
        _current.reset(token)
