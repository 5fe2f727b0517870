"""Telling open dashboards that ballots arrived, whichever worker process stored them.

Each worker polls the ballot table twice a second (a primary-key range scan of the newest ids),
and tells its own subscribers which offices got ballots. Ids are handed out before commit, so a
ballot can become visible after a higher id did; looking back over the last ids catches it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import anyio
import sqlalchemy as sa
from sqlalchemy import Engine

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


class BallotWatch:
    def __init__(
        self,
        engine: Engine,
        interval: float = 0.5,
        on_arrival: Callable[[frozenset[int]], None] | None = None,
    ) -> None:
        self.engine = engine
        self.max_streams: int | None = None
        # Told first of the offices that got ballots (the figures cache drops their entries),
        # so that the screens' re-fetches after the event find the new figures.
        self.on_arrival = on_arrival
        self.interval = interval
        self._subscribers: set[asyncio.Queue[Arrivals]] = set()
        self._task: asyncio.Task[None] | None = None
        self._seen: set[int] = set()
        # Its own thread budget: the poll must not queue behind the pages it makes refresh.
        self._limiter = anyio.CapacityLimiter(1)

    def _poll(self) -> Arrivals:
        """Ballots not seen by the previous poll, among the newest ids only."""
        with self.engine.connect() as conn:
            top = conn.execute(sa.select(sa.func.max(BALLOT.c.id))).scalar() or 0
            rows = conn.execute(
                sa.select(BALLOT.c.id, BALLOT.c.office_id, BALLOT.c.device_id).where(
                    BALLOT.c.id > top - LOOKBACK
                )
            ).all()
        fresh = [row for row in rows if row[0] not in self._seen]
        self._seen = {row[0] for row in rows}
        return Arrivals(
            frozenset(row[1] for row in fresh),
            frozenset(row[2] for row in fresh if row[2] is not None),
        )

    async def _run(self) -> None:
        primed = False  # what is there already when watching starts is not news
        while True:
            try:
                found = await anyio.to_thread.run_sync(self._poll, limiter=self._limiter)
            except Exception:  # the database restarting must not end live updates for good
                log.exception("polling for new ballots failed")
                found = Arrivals()
            if found and self.on_arrival is not None:
                self.on_arrival(found.offices)
            if primed and found:
                for queue in list(self._subscribers):
                    queue.put_nowait(found)
            primed = True
            await asyncio.sleep(self.interval)

    def admit(self) -> None:
        """Before a stream starts (its status cannot change once it has): ``StreamsFull`` when
        this worker already holds ``max_streams``."""
        if self.max_streams is not None and len(self._subscribers) >= self.max_streams:
            raise StreamsFull()

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[Arrivals]]:
        queue: asyncio.Queue[Arrivals] = asyncio.Queue()
        self._subscribers.add(queue)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)
            if not self._subscribers and self._task is not None:
                self._task.cancel()
                self._task = None

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
