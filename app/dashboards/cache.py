"""Compute once, serve to every screen: an office dashboard's figures, computed at most once
per office, period and survey while they stay current, however many screens ask.

Every open dashboard and lobby display re-fetches its figures when a ballot arrives; without
this, the server's work grew with the number of screens (32–35 ms of figures each). Entries
are dropped as soon as this process's ballot watcher sees a ballot in the office's sub-tree
(before the screens hear of it, so their re-fetch finds the new figures), and after
``SECONDS`` whatever happens (ballots in a sibling move the office's rank; several workers each
keep their own entries, so the work grows with workers, not with screens). Screens asking at
the same moment wait for the one computation in progress instead of starting their own.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass
from typing import Any

SECONDS = 2.0
MAX_ENTRIES = 2_000


class Invalidations:
    """The latest invalidations, numbered, so that a value computed while one came in is not
    kept: it may already miss the ballot that caused it (which no later event would repair)."""

    def __init__(self, keep: int = 256) -> None:
        self.tick = 0
        self._recent: deque[tuple[int, frozenset[int]]] = deque(maxlen=keep)

    def record(self, offices: frozenset[int]) -> None:
        self.tick += 1
        self._recent.append((self.tick, offices))

    def since(self, tick: int, offices: frozenset[int]) -> bool:
        """Whether an invalidation after ``tick`` touched ``offices`` (assumed, when some of
        those since ``tick`` are no longer kept)."""
        if self._recent and self._recent[0][0] > tick + 1:
            return True
        return any(t > tick and seen & offices for t, seen in self._recent)


@dataclass
class _Entry:
    value: Any
    offices: frozenset[int]  # the sub-tree the figures cover
    expires: float


class FiguresCache:
    def __init__(self, seconds: float = SECONDS) -> None:
        self.seconds = seconds
        self.computed = 0  # how many times figures were computed (tests and metrics)
        self._entries: dict[Hashable, _Entry] = {}
        self._pending: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self._invalidations = Invalidations()

    def get(self, key: Hashable, offices: Collection[int], compute: Callable[[], Any]) -> Any:
        """The current value for ``key``, computing it (once, whoever else asks meanwhile)."""
        found = self._fresh(key)
        if found is not None:
            return found.value
        with self._lock:
            flight = self._pending.setdefault(key, threading.Lock())
        with flight:
            found = self._fresh(key)  # computed by the request we waited for
            if found is not None:
                return found.value
            with self._lock:
                started = self._invalidations.tick
            value = compute()
            covered = frozenset(offices)
            with self._lock:
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
                # Not kept if a ballot came in meanwhile: the value may lack it.
                if not self._invalidations.since(started, covered):
                    self._entries[key] = _Entry(value, covered, time.monotonic() + self.seconds)
                self.computed += 1
                self._pending.pop(key, None)
            return value

    def peek(self, key: Hashable) -> tuple[bool, Any]:
        """Whether ``key`` holds a current value, and the value: what a handler on the event
        loop serves without a thread, computing (``get``) in one only when it must."""
        found = self._fresh(key)
        return (True, found.value) if found is not None else (False, None)

    def _fresh(self, key: Hashable) -> _Entry | None:
        entry = self._entries.get(key)
        return entry if entry is not None and entry.expires > time.monotonic() else None

    def invalidate(self, offices: Collection[int]) -> None:
        """Ballots arrived for ``offices``: drop every entry whose sub-tree holds one."""
        arrived = frozenset(offices)
        with self._lock:
            self._invalidations.record(arrived)
            stale = [k for k, e in self._entries.items() if e.offices & arrived]
            for key in stale:
                del self._entries[key]
