"""Compute once, push to all: open dashboards and lobby displays get their new figures over the
stream itself, rendered once per office, period, survey and view, whoever is watching.

A browser that re-fetched its figures on every ballot made the server's work grow with the
screens (2,000 screens, 20 ballots a second: 40,000 page renders a second). Here a ballot makes
each stream ask the hub for its fragment; the first asker renders it (in a worker thread, from
the figures cache) and everyone else watching the same thing gets the same bytes. A stream
pushes at most once per ``PUSH_EVERY`` seconds, ballots meanwhile folded into the next push.

Which worker's streams hear of a ballot: each worker's ``BallotWatch`` polls the ballot table
(``app/dashboards/live.py``), so workers and hosts agree through the database they already
share, with or without Redis; the poll costs the same for one screen or thousands.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Collection, Hashable
from dataclasses import dataclass

import anyio.to_thread

from app.dashboards.ballot_watch import Arrivals, BallotWatch
from app.dashboards.cache import FiguresCache, Invalidations

log = logging.getLogger("hailong.live")
SECONDS = 2.0  # a fragment is rendered again after this, ballots or not (siblings move ranks)
PUSH_EVERY = 1.0
SPREAD = 0.5
KEEPALIVE_SECONDS = 15
MAX_ENTRIES = 2_000


RETRY = b"retry: 2000\n\n"
KEEPALIVE = b": keep-alive\n\n"


@dataclass
class _Entry:
    event: bytes
    offices: frozenset[int]
    expires: float


def sse(event: str, html: str) -> bytes:
    """One server-sent event whose data is ``html`` (a line of data per line of text), encoded
    once for every stream that sends it."""
    lines = "".join(f"data: {line}\n" for line in html.split("\n"))
    return f"event: {event}\n{lines}\n".encode()


class Fragments:
    """Rendered figures fragments as ready-to-send events, one per key; used from the event
    loop only."""

    def __init__(self, seconds: float = SECONDS) -> None:
        self.seconds = seconds
        self.rendered = 0  # how many fragments were rendered (tests and metrics)
        self._entries: dict[Hashable, _Entry] = {}
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._invalidations = Invalidations()

    async def event(
        self, key: Hashable, offices: Collection[int], render: Callable[[], str]
    ) -> bytes:
        found = self._fresh(key)
        if found is not None:
            return found.event
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            found = self._fresh(key)  # rendered by the stream we waited behind
            if found is not None:
                return found.event
            started = self._invalidations.tick
            html = await anyio.to_thread.run_sync(render)
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            covered = frozenset(offices)
            entry = _Entry(sse("figures", html), covered, time.monotonic() + self.seconds)
            # Sent, but not kept, if a ballot came in while it was rendered: the streams told
            # of that ballot push again and must not get this one.
            if not self._invalidations.since(started, covered):
                self._entries[key] = entry
            self.rendered += 1
            return entry.event

    def _fresh(self, key: Hashable) -> _Entry | None:
        entry = self._entries.get(key)
        return entry if entry is not None and entry.expires > time.monotonic() else None

    def invalidate(self, offices: Collection[int]) -> None:
        arrived = frozenset(offices)
        self._invalidations.record(arrived)
        for key in [k for k, e in list(self._entries.items()) if e.offices & arrived]:
            del self._entries[key]
        if len(self._locks) > MAX_ENTRIES:
            self._locks = {k: v for k, v in self._locks.items() if v.locked()}


def on_arrival(cache: FiguresCache, fragments: Fragments) -> Callable[[frozenset[int]], None]:
    """What the ballot watcher does first when offices got ballots: drop their figures and
    fragments, so the pushes that follow carry the new ones."""

    def arrived(offices: frozenset[int]) -> None:
        cache.invalidate(offices)
        fragments.invalidate(offices)

    return arrived


@dataclass(frozen=True)
class Watched:
    """What a stream watches, checked before it starts: the sub-tree's offices, the key of what
    it shows, and how to render that."""

    offices: frozenset[int]
    key: Hashable
    render: Callable[[], str]


async def stream(
    watch: BallotWatch, fragments: Fragments, watched: Watched, seconds: float
) -> AsyncIterator[bytes]:
    """The events of one screen until ``seconds`` have passed (the browser reconnects).

    Each stream pushes at its own fixed fraction of ``SPREAD`` after the news: two thousand
    screens writing in the same turn of the event loop held a ballot's answer back by a hundred
    milliseconds and more; spread over half a second, ballots slip in between."""

    def wants(arrivals: Arrivals) -> bool:
        return not arrivals.offices.isdisjoint(watched.offices)

    async with watch.listen(
        wants, seconds=seconds, quiet=KEEPALIVE_SECONDS, every=PUSH_EVERY, spread=SPREAD
    ) as listener:
        yield RETRY
        while (due := await listener.next()) != "end":
            yield KEEPALIVE if due == "keepalive" else await _figures(fragments, watched)
        if watch.closing:
            yield watch.farewell().encode()


async def _figures(fragments: Fragments, watched: Watched) -> bytes:
    try:
        return await fragments.event(watched.key, watched.offices, watched.render)
    except Exception:  # the database restarting: the browser fetches the figures itself
        log.exception("rendering a live fragment failed")
        return b"event: ballot\ndata: {}\n\n"
