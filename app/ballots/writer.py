"""Group commit: one writer thread per process stores ballots in batches.

A durable commit costs an fsync, and SQLite takes one writer at a time; committing each ballot
on its own caps a unit's intake at the disk's fsync rate and makes request threads queue on the
database lock. Instead each request hands its prepared ballot to this writer and waits; the
writer takes every ballot that arrived while the previous batch was committing, stores them in
one transaction and only then answers each request. A ballot is acknowledged only after the
commit that stored it.

This writer is the transaction owner for ballots, as the request's session dependency is for
everything else.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

from app.ballots.service import Outcome, PreparedBallot, Stored, store_ballots
from app.core import metrics
from app.core.db import WRITE
from app.core.errors import DatabaseUnavailable, DomainError

log = logging.getLogger("hailong.writer")

Reply = Callable[[Outcome | BaseException], None]
_STOP = object()
# How long a batch is tried again while the database cannot be reached (a restart, a failover,
# connections refused), before its requests are told to retry: well inside a client's patience.
UNREACHABLE_SECONDS = 10.0
UNREACHABLE = (OperationalError, InterfaceError, DisconnectionError)


def unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached or dropped the connection (as
    opposed to a ballot the database refused)."""
    return isinstance(exc, UNREACHABLE) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


class GroupCommitWriter:
    """``threads`` writers share one queue: SQLite takes one writer at a time, while on
    PostgreSQL a second writer overlaps its round trips with the first's."""

    def __init__(
        self,
        engine: Engine,
        *,
        threads: int = 1,
        max_batch: int = 256,
        unreachable_seconds: float = UNREACHABLE_SECONDS,
    ) -> None:
        self.engine = engine
        self.unreachable_seconds = unreachable_seconds
        self.threads = threads
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[PreparedBallot, Reply] | object] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        self._stats = threading.Lock()
        self.batches = 0
        self.ballots = 0

    def start(self) -> None:
        """Start the writer threads; ballots queued before this are taken in batches."""
        if not self._workers:
            self._workers = [
                threading.Thread(target=self._run, name=f"ballot-writer-{n}", daemon=True)
                for n in range(self.threads)
            ]
            for worker in self._workers:
                worker.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Store everything already handed over, then end the threads."""
        for _ in self._workers:
            self._queue.put(_STOP)
        for worker in self._workers:
            worker.join(timeout)
        self._workers = []

    def submit(self, prepared: PreparedBallot, reply: Reply) -> None:
        if not self._workers:
            raise RuntimeError("the ballot writer is not running")
        self._queue.put((prepared, reply))

    async def store(self, prepared: PreparedBallot) -> Outcome:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self.submit(prepared, _Waiting(loop, future))
        return await future

    def _run(self) -> None:
        # One connection for the thread's life: a pool checkout per batch costs more than the
        # batch's own SQL. A failed batch drops it, so a broken connection is not reused.
        conn: list[Connection] = []
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                break
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)
            self._commit(conn, batch)  # type: ignore[arg-type]
        for open_conn in conn:
            open_conn.close()

    def _commit(self, conn: list[Connection], batch: list[tuple[PreparedBallot, Reply]]) -> None:
        started = time.perf_counter()
        try:
            outcomes = self._store(conn, [prepared for prepared, _ in batch])
        except DatabaseUnavailable as exc:
            _answer([reply for _, reply in batch], [exc] * len(batch))
            return
        except Exception:
            if len(batch) == 1:
                log.exception("storing a ballot failed")
                batch[0][1](RuntimeError("storing the ballot failed"))
                return
            # One bad ballot must not fail the others: store each on its own.
            for item in batch:
                self._commit(conn, [item])
            return
        metrics.writer_commit.observe(time.perf_counter() - started)
        metrics.writer_batch.observe(len(batch))
        with self._stats:
            self.batches += 1
            self.ballots += len(batch)
        for (prepared, _), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Stored) and not outcome.replayed:
                metrics.ballots_stored.labels(
                    source=prepared.row["source"], office_kind=prepared.office.kind
                ).inc()
        _answer([reply for _, reply in batch], outcomes)

    def _store(self, conn: list[Connection], batch: list[PreparedBallot]) -> list[Outcome]:
        """Store a batch on the thread's connection. When the database dropped that connection
        or cannot be reached (a restart, a failover, ``pg_terminate_backend``, connections
        refused), the batch is stored again on a fresh connection, waiting a little longer each
        time, for ``unreachable_seconds``; then ``DatabaseUnavailable``. Nothing of a failed
        attempt was committed, or, if the commit went through before the connection died, the
        idempotency keys make the next attempt replay those ballots. A ballot that is itself
        bad is never retried."""
        deadline = time.monotonic() + self.unreachable_seconds
        pause = 0.05
        while True:
            try:
                if not conn:
                    conn.append(self.engine.connect().execution_options(**WRITE))
                with conn[0].begin():
                    return store_ballots(conn[0], batch)
            except Exception as exc:
                if conn:
                    conn.pop().invalidate()
                if not unreachable(exc):
                    raise
                left = deadline - time.monotonic()
                if left <= 0:
                    log.error("the database stayed unreachable; %d ballots not stored", len(batch))
                    raise DatabaseUnavailable(str(exc).splitlines()[0]) from exc
                log.warning("the database is unreachable; storing the batch again")
                time.sleep(min(pause, left))
                pause = min(pause * 2, 1.0)


class _Waiting:
    """A request on an event loop, waiting for its ballot's outcome."""

    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Outcome]) -> None:
        self.loop = loop
        self.future = future

    def __call__(self, outcome: Outcome | BaseException) -> None:
        self.loop.call_soon_threadsafe(_resolve, [(self.future, outcome)])


def _answer(replies: list[Reply], outcomes: Sequence[Outcome | BaseException]) -> None:
    """Each request its outcome; the requests waiting on one event loop are woken together,
    by one call into that loop, not one each (each costs the loop a wake-up)."""
    waking: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Outcome], Any]]] = {}
    for reply, outcome in zip(replies, outcomes, strict=True):
        if isinstance(reply, _Waiting):
            waking.setdefault(reply.loop, []).append((reply.future, outcome))
        else:
            reply(outcome)
    for loop, waiting in waking.items():
        loop.call_soon_threadsafe(_resolve, waiting)


def _resolve(waiting: list[tuple[asyncio.Future[Outcome], Outcome | BaseException]]) -> None:
    for future, outcome in waiting:
        if future.done():  # the client went away and the request was cancelled
            continue
        if isinstance(outcome, BaseException) and not isinstance(outcome, DomainError):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
