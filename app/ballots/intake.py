"""Where the ballot endpoints look up offices and store ballots.

In the server: offices from a short-lived in-process cache, ballots through the group-commit
writer. In tests (and anywhere a caller owns the transaction): both through one session.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

import anyio
from sqlalchemy import Engine
from sqlmodel import Session

from app.auth.service import digest
from app.ballots.office_info import OfficeInfo, load_office_info
from app.ballots.service import Outcome, PreparedBallot, store_ballots
from app.ballots.writer import GroupCommitWriter
from app.core.db import build_engine
from app.sources import service as credentials
from app.sources.service import Credential, ScreenClock, Serving
from app.surveys.catalog import SurveyCatalog
from app.surveys.definition import SurveyDefinition
from app.surveys.service import survey_version

# An office's survey or counters changed from the CLI reach a running server within this time.
OFFICE_CACHE_SECONDS = 10.0
LOOKUP_THREADS = 4


def intake_engine(url: str, writers: int) -> Engine:
    """The ballots' own pool: one connection per writer thread and a few for office lookups."""
    return build_engine(url, pool_size=writers + LOOKUP_THREADS)


class Intake(Protocol):
    async def office(self, code: str) -> OfficeInfo: ...

    async def store(self, prepared: PreparedBallot) -> Outcome: ...

    async def credential(self, token: str) -> Credential | None: ...

    async def integration(self, integration_id: int) -> Credential | None: ...

    async def serving(self, office_id: int, counter: int) -> Serving | None: ...

    async def screen(self, device_id: int) -> ScreenClock | None: ...

    async def survey(self, key: str, version: int) -> SurveyDefinition | None: ...


K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


class _Cache(Generic[K, V]):
    """Values for ``OFFICE_CACHE_SECONDS``: a revoked token or a changed office reaches a
    running server within that time."""

    def __init__(self) -> None:
        self._items: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> tuple[bool, V | None]:
        found = self._items.get(key)
        if found is not None and found[0] > time.monotonic():
            return True, found[1]
        return False, None

    def put(self, key: K, value: V) -> V:
        if len(self._items) > 50_000:  # the national tree is ~10,000 units; bound it anyway
            self._items.clear()
        self._items[key] = (time.monotonic() + OFFICE_CACHE_SECONDS, value)
        return value


class WriterIntake:
    """``engine`` should be the intake's own (see ``intake_engine``): taking a ballot then has
    a connection budget, and threads (``LOOKUP_THREADS``), that no page or live stream can use
    up; open dashboards by the hundred never make a citizen's ballot wait."""

    def __init__(self, engine: Engine, catalog: SurveyCatalog, writer: GroupCommitWriter) -> None:
        self.engine = engine
        self.catalog = catalog
        self.writer = writer
        self._offices: _Cache[str, OfficeInfo] = _Cache()
        self._credentials: _Cache[str, Credential | None] = _Cache()
        self._integrations: _Cache[int, Credential | None] = _Cache()
        self._screens: _Cache[int, ScreenClock | None] = _Cache()
        self._limiter = anyio.CapacityLimiter(LOOKUP_THREADS)

    async def _read(self, read: Callable[[Session], T]) -> T:
        def run() -> T:
            with Session(self.engine) as session:
                return read(session)

        return await anyio.to_thread.run_sync(run, limiter=self._limiter)

    async def office(self, code: str) -> OfficeInfo:
        hit, info = self._offices.get(code)
        if hit and info is not None:
            return info
        found = await self._read(lambda s: load_office_info(s, self.catalog, code))
        return self._offices.put(code, found)

    async def credential(self, token: str) -> Credential | None:
        key = digest(token)
        hit, found = self._credentials.get(key)
        if hit:
            return found
        found = await self._read(lambda s: credentials.credential(s, token))
        return self._credentials.put(key, found)

    async def integration(self, integration_id: int) -> Credential | None:
        hit, found = self._integrations.get(integration_id)
        if hit:
            return found
        found = await self._read(lambda s: credentials.integration_by_id(s, integration_id))
        return self._integrations.put(integration_id, found)

    async def serving(self, office_id: int, counter: int) -> Serving | None:
        # Not cached: the dossier being served changes from one citizen to the next.
        return await self._read(lambda s: credentials.serving(s, office_id, counter))

    async def screen(self, device_id: int) -> ScreenClock | None:
        # Cached as tokens are: a revoked screen, or its clock learnt anew, within seconds.
        hit, found = self._screens.get(device_id)
        if hit:
            return found
        found = await self._read(lambda s: credentials.screen_clock(s, device_id))
        return self._screens.put(device_id, found)

    async def survey(self, key: str, version: int) -> SurveyDefinition | None:
        found = self.catalog.version(key, version)
        if found is not None:
            return found
        return await self._read(lambda s: survey_version(s, self.catalog, key, version))

    async def store(self, prepared: PreparedBallot) -> Outcome:
        return await self.writer.store(prepared)


class SessionIntake:
    """Everything in one session, whose owner commits (or, in tests, rolls back)."""

    def __init__(self, session: Session, catalog: SurveyCatalog) -> None:
        self.session = session
        self.catalog = catalog

    async def office(self, code: str) -> OfficeInfo:
        return await anyio.to_thread.run_sync(load_office_info, self.session, self.catalog, code)

    async def store(self, prepared: PreparedBallot) -> Outcome:
        def write() -> Outcome:
            [outcome] = store_ballots(self.session.connection(), [prepared])
            return outcome

        return await anyio.to_thread.run_sync(write)

    async def credential(self, token: str) -> Credential | None:
        return await anyio.to_thread.run_sync(credentials.credential, self.session, token)

    async def integration(self, integration_id: int) -> Credential | None:
        return await anyio.to_thread.run_sync(
            credentials.integration_by_id, self.session, integration_id
        )

    async def serving(self, office_id: int, counter: int) -> Serving | None:
        return await anyio.to_thread.run_sync(credentials.serving, self.session, office_id, counter)

    async def screen(self, device_id: int) -> ScreenClock | None:
        return await anyio.to_thread.run_sync(credentials.screen_clock, self.session, device_id)

    async def survey(self, key: str, version: int) -> SurveyDefinition | None:
        return await anyio.to_thread.run_sync(
            survey_version, self.session, self.catalog, key, version
        )
