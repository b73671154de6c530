"""Caches owned by one store instance, so that they cannot outlive it or serve another store.

Services used to key module-level dictionaries on ``id(store)``: an id is reused once a store is
garbage-collected, so a new store could be served an old store's rows. A :class:`StoreCache`
hangs off the store (``store.cache``) and dies with it. Each service asks it for a named,
bounded :class:`LruCache`::

    scopes = store.cache.region("visit_list.scored", maxsize=64)
    hit = scopes.get(emd_code)

Entries are whatever the service puts there; validity (a data version, an age) is the
service's business, with an optional time-to-live per region for answers that may be stale
for a few seconds.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Final, TypeVar

T = TypeVar("T")
_MISSING: Final = object()


class LruCache:
    """A thread-safe mapping of at most ``maxsize`` entries, least recently used dropped first.

    Parameters
    ----------
    maxsize
        Most entries kept.
    ttl_s
        Seconds an entry stays valid (``None``: until evicted or cleared).
    clock
        Monotonic clock in seconds (tests pass a fake one).
    """

    def __init__(self, maxsize: int, *, ttl_s: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, not {maxsize}")
        self.maxsize, self.ttl_s, self._clock = maxsize, ttl_s, clock
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The value stored under ``key`` (marked recently used), or ``default``."""
        with self._lock:
            entry = self._entries.get(key, _MISSING)
            if entry is _MISSING:
                return default
            stored_at, value = entry
            if self.ttl_s is not None and self._clock() - stored_at >= self.ttl_s:
                del self._entries[key]
                return default
            self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        """Store ``value`` under ``key``, dropping the least recently used entries beyond ``maxsize``."""
        with self._lock:
            self._entries[key] = (self._clock(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value of ``key``, computing and storing it when absent or expired.

        ``compute`` runs outside the lock: two threads missing at once may both compute.
        """
        value = self.get(key, _MISSING)
        if value is _MISSING:
            value = compute()
            self.put(key, value)
        return value

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return self.get(key, _MISSING) is not _MISSING  # type: ignore[arg-type]


class StoreCache:
    """The named cache regions of one store (``store.cache``)."""

    def __init__(self) -> None:
        self._regions: dict[str, LruCache] = {}
        self._lock = threading.Lock()

    def region(self, name: str, *, maxsize: int, ttl_s: float | None = None) -> LruCache:
        """The cache region ``name``, created on first use with ``maxsize`` and ``ttl_s``.

        Raises
        ------
        ValueError
            If the region exists with a different ``maxsize`` or ``ttl_s`` (two services
            sharing a name by mistake).
        """
        with self._lock:
            region = self._regions.get(name)
            if region is None:
                region = self._regions[name] = LruCache(maxsize, ttl_s=ttl_s)
            elif (region.maxsize, region.ttl_s) != (maxsize, ttl_s):
                raise ValueError(
                    f"cache region {name!r} exists with maxsize={region.maxsize}, "
                    f"ttl_s={region.ttl_s}; asked for maxsize={maxsize}, ttl_s={ttl_s}")
            return region

    def clear(self) -> None:
        """Empty every region (after the data changed behind the store's back, e.g. in tests)."""
        with self._lock:
            regions = list(self._regions.values())
        for region in regions:
            region.clear()
