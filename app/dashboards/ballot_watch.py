"""Telling open dashboards that ballots arrived, whichever worker process stored them.

Each worker polls the ballot table twice a second (a primary-key range scan above the highest
id it has seen), and tells its own listeners which offices got ballots. Ids are handed out
before commit, so a ballot can become visible after a higher id did: the ids skipped are
looked for again, while they are among the newest ``LOOKBACK``.

A listener is one open stream. The watcher does not wake every stream on every poll: a listener
that cares about what arrived arms one timer for when its next event is due, and its stream's
task wakes only then (two thousand streams woken at once, to go back to sleep until their turn,
held a ballot's answer back by tens of milliseconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Literal

import anyio
import sqlalchemy as sa
from sqlalchemy import Engine

from app.core import metrics
from app.core.errors import DomainError
from app.models import Ballot

log = logging.getLogger("hailong.live")
BALLOT = Ballot.__table__  # type: ignore[attr-defined]
LOOKBACK = 2048


@dataclass(frozen=True)
class Arrivals:
    """What one poll found new: the offices that got ballots, and the devices (counter screens)
    whose QR they came through."""

    offices: frozenset[int] = frozenset()
    devices: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.offices)


class StreamsFull(DomainError):
    """This worker holds as many live streams as it may; the browser retries by itself."""

    status_code = 503
    code = "streams_full"
    message_vi = "Máy chủ đang phục vụ nhiều màn hình, trang sẽ tự kết nối lại sau giây lát."

    def __init__(self) -> None:
        super().__init__()
        self.headers = {"Retry-After": "5"}


Due = Literal["event", "keepalive", "end"]
ORDER: tuple[Due, ...] = ("end", "event", "keepalive")


class Listener:
    """One stream's wake-ups: an event when ballots it ``wants`` arrived (at most one per
    ``every`` seconds, each stream at its own fixed fraction of ``spread`` after the news), a
    keep-alive after ``quiet`` seconds with nothing sent, the end after ``seconds``. Used from
    the event loop only."""

    def __init__(
        self,
        wants: Callable[[Arrivals], bool],
        *,
        seconds: float,
        quiet: float,
        every: float = 0.0,
        spread: float = 0.0,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.wants = wants
        self.every, self.quiet = every, quiet
        self.phase = random.random() * spread
        now = self.loop.time()
        self.deadline = now + seconds
        self.last = now - every  # when the last event became due
        self.sent = now  # when anything was last sent (keep-alives count)
        self._owed: asyncio.TimerHandle | None = None  # an event armed, not yet due
        self._due: set[Due] = set()
        self._waiter: asyncio.Future[None] | None = None
        self._silence = self._arm_silence()

    def tell(self, arrivals: Arrivals) -> None:
        """From the watcher: news. Folded into the event already armed, if there is one."""
        if self._owed is not None or "event" in self._due or not self.wants(arrivals):
            return
        at = max(self.last + self.every, self.loop.time() + self.phase)
        self._owed = self.loop.call_at(at, self._event_due)

    def _event_due(self) -> None:
        self._owed = None
        self.last = self.loop.time()
        self._wake("event")

    def _check_silence(self) -> None:
        now = self.loop.time()
        if now >= self.deadline:
            self._wake("end")
        elif now >= self.sent + self.quiet:
            self._wake("keepalive")
        else:  # something was sent meanwhile: look again when it will have been quiet long enough
            self._silence = self._arm_silence()

    def _arm_silence(self) -> asyncio.TimerHandle:
        return self.loop.call_at(min(self.deadline, self.sent + self.quiet), self._check_silence)

    def _wake(self, due: Due) -> None:
        self._due.add(due)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def end(self) -> None:
        """End the stream at once (the worker is stopping)."""
        self._wake("end")

    async def next(self) -> Due:
        """What the stream sends next, once it is due ("end" first, then an event)."""
        while not self._due:
            self._waiter = self.loop.create_future()
            await self._waiter
        self._waiter = None
        due = next(d for d in ORDER if d in self._due)
        self._due.discard(due)
        self.sent = self.loop.time()
        if due == "keepalive":
            self._silence = self._arm_silence()
        return due

    def close(self) -> None:
        for handle in (self._owed, self._silence):
            if handle is not None:
                handle.cancel()


class BallotWatch:
    def __init__(
        self,
        engine: Engine,
        interval: float = 0.5,
        on_arrival: Callable[[frozenset[int]], None] | None = None,
    ) -> None:
        self.engine = engine
        self.max_streams: int | None = None
        self.closing = False  # set when the worker stops: streams end, no new one starts
        # Told first of the offices that got ballots (the figures cache drops their entries),
        # so that the screens' re-fetches after the event find the new figures.
        self.on_arrival = on_arrival
        self.interval = interval
        self._listeners: set[Listener] = set()
        self._task: asyncio.Task[None] | None = None
        self._top: int | None = None  # the highest ballot id seen
        self._gaps: set[int] = set()  # ids below it not seen yet
        # Its own thread budget: the poll must not queue behind the pages it makes refresh.
        self._limiter = anyio.CapacityLimiter(1)

    def _poll(self) -> Arrivals:
        """Ballots not seen by the previous poll: those above the highest id seen, and those
        below it whose ids were skipped (handed out to a transaction not yet committed),
        looked for again while they are among the newest ``LOOKBACK`` ids."""
        with self.engine.connect() as conn:
            if self._top is None:  # the first look: what is there already is not news
                self._top = conn.execute(sa.select(sa.func.max(BALLOT.c.id))).scalar() or 0
                return Arrivals()
            since = min(self._gaps, default=self._top + 1) - 1
            rows = [
                row
                for row in conn.execute(
                    sa.select(BALLOT.c.id, BALLOT.c.office_id, BALLOT.c.device_id).where(
                        BALLOT.c.id > since
                    )
                )
                if row.id > self._top or row.id in self._gaps
            ]
        found = {row.id for row in rows}
        top = max(found, default=self._top)
        if top > self._top:
            skipped = range(max(self._top + 1, top - LOOKBACK + 1), top)
            self._gaps.update(i for i in skipped if i not in found)
            self._top = top
        self._gaps = {i for i in self._gaps if i not in found and i > top - LOOKBACK}
        return Arrivals(
            frozenset(row.office_id for row in rows),
            frozenset(row.device_id for row in rows if row.device_id is not None),
        )

    async def _run(self) -> None:
        self._top, self._gaps = None, set()  # watching (again): only what arrives from now on
        while True:
            try:
                found = await anyio.to_thread.run_sync(self._poll, limiter=self._limiter)
            except Exception:  # the database restarting must not end live updates for good
                log.exception("polling for new ballots failed")
                found = Arrivals()
            if found and self.on_arrival is not None:
                self.on_arrival(found.offices)
            if found:
                self.tell(found)
            await asyncio.sleep(self.interval)

    def tell(self, arrivals: Arrivals) -> None:
        """Every listener of this worker hears of what arrived."""
        for listener in list(self._listeners):
            listener.tell(arrivals)

    def admit(self) -> None:
        """Before a stream starts (its status cannot change once it has): ``StreamsFull`` when
        this worker already holds ``max_streams``, or is stopping."""
        if self.closing or (
            self.max_streams is not None and len(self._listeners) >= self.max_streams
        ):
            raise StreamsFull()

    def end_all(self) -> None:
        """The worker is stopping: every stream ends now, telling its browser to come back in a
        few seconds (spread, so that they do not all land on the next worker in one instant);
        none starts any more."""
        self.closing = True
        for listener in list(self._listeners):
            listener.end()

    def farewell(self) -> str:
        """What a stream ended by ``end_all`` sends last: the delay before it reconnects."""
        return f"retry: {random.randint(1000, 5000)}\n\n"

    @contextlib.asynccontextmanager
    async def listen(
        self, wants: Callable[[Arrivals], bool], **timing: float
    ) -> AsyncIterator[Listener]:
        """A stream's listener (``Listener`` says what ``timing`` holds), heard while open."""
        listener = Listener(wants, **timing)
        self._listeners.add(listener)
        metrics.live_streams.inc()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        try:
            yield listener
        finally:
            listener.close()
            self._listeners.discard(listener)
            metrics.live_streams.dec()
            if not self._listeners and self._task is not None:
                self._task.cancel()
                self._task = None

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
