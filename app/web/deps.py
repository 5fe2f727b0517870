"""The dependencies handlers declare, as ``Annotated`` aliases: the request's session (the one
transaction owner), the settings, the survey catalog, the link keys and where ballots go in.

The request's session dependency is the only place that commits: services flush, the dependency
commits before the response is sent (``scope="function"``), so an acknowledged ballot is a
committed ballot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlmodel import Session

from app.ballots.intake import Intake
from app.core.config import Settings, get_settings
from app.core.db import session_scope
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


def get_session(request: Request) -> Iterator[Session]:
    """The request's session. A request that may write begins with the write lock on SQLite
    (BEGIN IMMEDIATE): a deferred transaction that reads, then writes, fails at once with
    "database is locked" when another writer committed in between; taken up front, writers
    queue for the busy timeout instead.

    The transaction, and its pooled connection, start at the first statement, inside the
    handler's own thread job; they end in the dependency's exit, which FastAPI runs on a
    limiter of its own. So a request never holds a connection while it waits for a thread,
    and hundreds of requests at once cannot deadlock the pool against the thread pool."""
    with session_scope(write=may_write(request)) as session:
        yield session


ShortSession = Callable[[], AbstractContextManager[Session]]


async def short_sessions() -> ShortSession:
    """Opens sessions that last one thread job: for dependencies, such as signing the user in,
    that run in their own job before the handler's (tests replace it with their session); each
    is closed, its connection back in the pool, when the job's ``with`` block ends."""
    return session_scope


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
SettingsDep = Annotated[Settings, Depends(get_settings)]
StateDep = Annotated[AppState, Depends(get_state)]
CatalogDep = Annotated[SurveyCatalog, Depends(get_catalog)]
KeysDep = Annotated[Keys, Depends(get_keys)]
PublicUrl = Annotated[str, Depends(get_public_url)]
IntakeDep = Annotated[Intake, Depends(get_intake)]
