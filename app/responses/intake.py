"""Where the ballot endpoints look up offices and store ballots.

In the server: offices from a short-lived in-process cache, ballots through the group-commit
writer. In tests (and anywhere a caller owns the transaction): both through one session.
"""

from __future__ import annotations

import time
from typing import Annotated, Protocol

import anyio
from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.core.db import build_engine
from app.responses.service import (
    OfficeInfo,
    Outcome,
    PreparedBallot,
    load_office_info,
    store_ballots,
)
from app.responses.writer import GroupCommitWriter
from app.surveys.catalog import SurveyCatalog

# An office's survey or counters changed from the CLI reach a running server within this time.
OFFICE_CACHE_SECONDS = 10.0
LOOKUP_THREADS = 4


def intake_engine(url: str, writers: int) -> Engine:
    """The ballots' own pool: one connection per writer thread and a few for office lookups."""
    return build_engine(url, pool_size=writers + LOOKUP_THREADS)


class Intake(Protocol):
    async def office(self, code: str) -> OfficeInfo: ...

    async def store(self, prepared: PreparedBallot) -> Outcome: ...


class WriterIntake:
    """``engine`` should be the intake's own (see ``intake_engine``): taking a ballot then has
    a connection budget, and threads (``LOOKUP_THREADS``), that no page or live stream can use
    up; open dashboards by the hundred never make a citizen's ballot wait."""

    def __init__(self, engine: Engine, catalog: SurveyCatalog, writer: GroupCommitWriter) -> None:
        self.engine = engine
        self.catalog = catalog
        self.writer = writer
        self._offices: dict[str, tuple[float, OfficeInfo]] = {}
        self._limiter = anyio.CapacityLimiter(LOOKUP_THREADS)

    async def office(self, code: str) -> OfficeInfo:
        cached = self._offices.get(code)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        info = await anyio.to_thread.run_sync(self._load, code, limiter=self._limiter)
        if len(self._offices) > 50_000:  # the national tree is ~4,000 units; bound it anyway
            self._offices.clear()
        self._offices[code] = (now + OFFICE_CACHE_SECONDS, info)
        return info

    def _load(self, code: str) -> OfficeInfo:
        with Session(self.engine) as session:
            return load_office_info(session, self.catalog, code)

    async def store(self, prepared: PreparedBallot) -> Outcome:
        return await self.writer.store(prepared)


class SessionIntake:
    """Everything in one session, whose owner commits (or, in tests, rolls back)."""

    def __init__(self, session: Session, catalog: SurveyCatalog) -> None:
        self.session = session
        self.catalog = catalog

    async def office(self, code: str) -> OfficeInfo:
        return await run_in_threadpool(load_office_info, self.session, self.catalog, code)

    async def store(self, prepared: PreparedBallot) -> Outcome:
        def write() -> Outcome:
            [outcome] = store_ballots(self.session.connection(), [prepared])
            return outcome

        return await run_in_threadpool(write)


async def get_intake(request: Request) -> Intake:
    intake: Intake = request.app.state.intake
    return intake


IntakeDep = Annotated[Intake, Depends(get_intake)]
