"""`LruCache`: a small, bounded, thread-safe memo for the fast path's per-shape work.

A network calls each layer with the same shapes over and over; what depends
on shapes only — a layer's checked and normalised geometry
(`convlab.conv.api`), the fast method's `Plan` — is worth working out once.
Keys are tuples of shapes, dtypes and plain ints and strings; values are
never modified after they are stored, so threads may share them. At most
``maxsize`` entries are kept, the least recently used dropped first.
"""

import threading
from collections import OrderedDict

__all__ = ["LruCache"]


class LruCache:
    """At most ``maxsize`` key -> value pairs, least recently used dropped first; thread-safe.

    Examples
    --------
    >>> cache = LruCache(2)
    >>> cache.put("a", 1); cache.put("b", 2); cache.get("a"); cache.put("c", 3)
    1
    >>> cache.get("b") is None, len(cache)
    (True, 2)
    """

    def __init__(self, maxsize):
        if not isinstance(maxsize, int) or maxsize < 1:
            raise ValueError(f"maxsize must be a positive int; got {maxsize!r}")
        self.maxsize = maxsize
        self._items = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        """The value stored under ``key`` (now the most recently used), or None."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value):
        """Store ``value`` (not None) under ``key``, dropping the least recently used beyond ``maxsize``."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def clear(self):
        with self._lock:
            self._items.clear()

    def __len__(self):
        return len(self._items)
