"""The dependencies handlers declare, as ``Annotated`` aliases: the request's session (the one
transaction owner), the settings, the survey catalog, the link keys and where ballots go in.

The request's session dependency is the only place that commits: services flush, the dependency
commits before the response is sent (``scope="function"``), so an acknowledged ballot is a
committed ballot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, Request
from sqlmodel import Session

from app.ballots.intake import Intake
from app.core.config import Settings, get_settings
from app.core.db import open_session, session_scope
from app.sources.links import Keys
from app.surveys.catalog import SurveyCatalog
from app.web.state import AppState, state

F = TypeVar("F")
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def writes(endpoint: F) -> F:
    """Marks a GET handler that writes (an export logs itself in the audit log), so that its
    request's transaction takes the write lock up front as a POST's does."""
    endpoint.__hailong_writes__ = True  # type: ignore[attr-defined]
    return endpoint


def may_write(request: Request) -> bool:
    if request.method not in READ_ONLY_METHODS:
        return True
    route = request.scope.get("route")
    return bool(getattr(getattr(route, "endpoint", None), "__hailong_writes__", False))


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session. A request that may write begins with the write lock on SQLite
    (BEGIN IMMEDIATE): a deferred transaction that reads, then writes, fails at once with
    "database is locked" when another writer committed in between; taken up front, writers
    queue for the busy timeout instead.

    The transaction, and its pooled connection, start at the first statement, inside the
    handler's own thread job, and end there too (``app.web.routing``): opening the session and
    closing it after are no I/O, so they run on the event loop (each thread job of FastAPI's
    own cost a request about 0.2 ms). What may be left after an error, a rollback, runs in a
    thread of its own, so a request never holds a connection while it waits for the thread
    pool, and hundreds of requests at once cannot deadlock the pool against it."""
    session = open_session(write=may_write(request))
    try:
        yield session
    except BaseException:
        await _end(session, session.rollback)
        raise
    else:
        await _end(session, session.commit)
    finally:
        session.close()


async def _end(session: Session, how: Callable[[], None]) -> None:
    if session.in_transaction():
        # A limiter of its own, as FastAPI gives a generator's exit: a thread even when every
        # token of the shared one is taken by requests waiting for a connection.
        await anyio.to_thread.run_sync(how, limiter=anyio.CapacityLimiter(1))


ShortSession = Callable[[], AbstractContextManager[Session]]


async def short_sessions() -> ShortSession:
    """Opens sessions that last one thread job: for dependencies, such as signing the user in,
    that run in their own job before the handler's (tests replace it with their session); each
    is closed, its connection back in the pool, when the job's ``with`` block ends."""
    return session_scope


async def settings() -> Settings:
    # Async, as every dependency that does no I/O: FastAPI runs a sync one in a thread of its
    # own, and each such hop cost a request about 0.2 ms.
    return get_settings()


async def get_state(request: Request) -> AppState:
    return state(request)


async def get_catalog(request: Request) -> SurveyCatalog:
    return state(request).catalog


async def get_keys(request: Request) -> Keys:
    return state(request).keys


async def get_public_url(request: Request) -> str:
    return state(request).settings.public_url


async def get_intake(request: Request) -> Intake:
    intake = state(request).intake
    if intake is None:  # pragma: no cover - set as the app starts
        raise RuntimeError("the app has not started")
    return intake


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ShortSessionsDep = Annotated[ShortSession, Depends(short_sessions)]
SettingsDep = Annotated[Settings, Depends(settings)]
StateDep = Annotated[AppState, Depends(get_state)]
CatalogDep = Annotated[SurveyCatalog, Depends(get_catalog)]
KeysDep = Annotated[Keys, Depends(get_keys)]
PublicUrl = Annotated[str, Depends(get_public_url)]
IntakeDep = Annotated[Intake, Depends(get_intake)]
