"""A per-process, size-bounded LRU: what a worker process keeps of what it served last.

The reader keeps chapter bodies in it and the page cache whole pages
(narratives.reader, narraforge.pagecache). The caller's key names the version
of what it stores, so an entry is never wrong, only evicted; ``ttl`` bounds
how old an entry may be served where the key cannot see everything (relative
times such as "5 minutes ago").
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class SizedLRU[V]:
    """At most ``limit`` units (``size_of`` each value) in all; a value over a quarter of it is not kept."""

    def __init__(self, limit: int, size_of: Callable[[V], int]) -> None:
        self.limit = limit
        self.size = 0
        self._size_of = size_of
        self._items: OrderedDict[str, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()  # runserver and threaded servers share a process

    def get(self, key: str) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            expires, value = found
            if expires and expires < time.monotonic():
                del self._items[key]
                self.size -= self._size_of(value)
                return None
            self._items.move_to_end(key)
            return value

    def put(self, key: str, value: V, *, ttl: float = 0) -> None:
        size = self._size_of(value)
        if size > self.limit // 4:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.size -= self._size_of(old[1])
            self._items[key] = (time.monotonic() + ttl if ttl else 0.0, value)
            self.size += size
            while self.size > self.limit:
                _, (_, dropped) = self._items.popitem(last=False)
                self.size -= self._size_of(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0

    def __len__(self) -> int:
        return len(self._items)
