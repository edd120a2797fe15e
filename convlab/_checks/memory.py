"""The memory limit: refuse an allocation before making it."""

import math
import os

import numpy as np

from .scalars import check_int

MEMORY_LIMIT_ENV = "CONVLAB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = 2 * 1024 ** 3
_UNSET = object()
_memory_limit = _UNSET  # set_memory_limit's value; unset -> environment or default
_UNITS = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}


def _parse_limit(text):
    """Bytes from ``"2147483648"``, ``"512M"``, ``"2GiB"`` or ``"none"``."""
    cleaned = text.strip().upper().removesuffix("B").removesuffix("I")
    if cleaned in ("NONE", "OFF", "UNLIMITED", ""):
        return None
    number, unit = (cleaned[:-1], cleaned[-1]) if cleaned[-1] in _UNITS else (cleaned, "")
    try:
        value = float(number) * _UNITS[unit]
    except ValueError:
        value = -1
    if not value > 0 or math.isinf(value):
        raise ValueError(f"environment variable {MEMORY_LIMIT_ENV} must be a number of bytes such "
                         f"as 2147483648, 512M or 2GiB, or 'none'; got {text!r}")
    return int(value)


def set_memory_limit(limit):
    """Set the largest array, in bytes, that convlab allocates; ``None`` removes the limit.

    The default is 2 GiB, or the environment variable ``CONVLAB_MEMORY_LIMIT``
    (bytes, or with a unit: ``512M``, ``4GiB``; ``none`` for no limit). A call
    that would need more raises ``ValueError`` before allocating anything.

    Returns
    -------
    int or None
        The previous limit, so a caller can restore it.

    Examples
    --------
    >>> import convlab as cl
    >>> previous = cl.set_memory_limit(2 ** 20)
    >>> cl.pad(np.ones((2, 2)), 1000)
    Traceback (most recent call last):
    ...
    ValueError: pad's output of shape (2002, 2002) (float64) needs 30.6 MiB, over convlab's memory limit of 1.0 MiB; use smaller arguments or raise the limit with convlab.set_memory_limit(n_bytes) or the environment variable CONVLAB_MEMORY_LIMIT
    >>> _ = cl.set_memory_limit(previous)
    """
    global _memory_limit
    previous = get_memory_limit()
    if limit is not None:
        limit = check_int(limit, "limit", 1)
    _memory_limit = limit
    return previous


def get_memory_limit():
    """The current memory limit in bytes (None: unlimited); see `set_memory_limit`."""
    if _memory_limit is not _UNSET:
        return _memory_limit
    text = os.environ.get(MEMORY_LIMIT_ENV)
    return DEFAULT_MEMORY_LIMIT if text is None else _parse_limit(text)


def _format_bytes(n):
    for unit, size in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def check_memory(what, shape, dtype=np.float64):
    """Refuse (``ValueError``) an array of ``shape`` and ``dtype`` larger than the memory limit.

    Call it before allocating, with the output or the largest temporary;
    ``what`` names it in the message, e.g. ``"pad's output"``. Sizes are
    computed with Python ints, so huge shapes cannot overflow.

    >>> check_memory("a test array", (10, 10))
    >>> check_memory("a test array", (10 ** 6, 10 ** 6))
    Traceback (most recent call last):
    ...
    ValueError: a test array of shape (1000000, 1000000) (float64) needs 7450.6 GiB, over convlab's memory limit of 2.0 GiB; use smaller arguments or raise the limit with convlab.set_memory_limit(n_bytes) or the environment variable CONVLAB_MEMORY_LIMIT
    """
    limit = get_memory_limit()
    dtype = np.dtype(dtype)
    nbytes = math.prod(int(n) for n in shape) * dtype.itemsize
    if limit is not None and nbytes > limit:
        raise ValueError(
            f"{what} of shape {tuple(int(n) for n in shape)} "
            f"({dtype}) needs {_format_bytes(nbytes)}, over convlab's memory limit of "
            f"{_format_bytes(limit)}; use smaller arguments or raise the limit with "
            f"convlab.set_memory_limit(n_bytes) or the environment variable {MEMORY_LIMIT_ENV}")


def check_conv_memory(batch, c_in, c_out, kernel_size, pads, in_size, out_size, dtype):
    """Refuse a convolution whose output, padded input or one image's patch matrix is over the limit.

    ``batch`` is the batch part of the input's shape (``()`` unbatched); sizes
    are per spatial axis, ``pads`` ``(before, after)`` pairs.
    """
    padded = tuple(n + before + after for n, (before, after) in zip(in_size, pads))
    check_memory("the convolution's output", tuple(batch) + (c_out,) + tuple(out_size), dtype)
    check_memory("the padded input", tuple(batch) + (c_in,) + padded, dtype)
    check_memory("one image's patch matrix", tuple(out_size) + (c_in,) + tuple(kernel_size), dtype)
