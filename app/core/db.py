"""Engine, sessions and the request's transaction.

The request's session dependency is the only place that commits: services flush, the dependency
commits before the response is sent (``scope="function"``), so an acknowledged ballot is a
committed ballot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

from app.core.config import get_settings

WRITE = {"hailong_write": True}
F = TypeVar("F")


def build_engine(url: str, *, pool_size: int = 10) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=pool_size * 2,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers, FULL sync so a commit survives a power cut, real FKs.

    pysqlite's own transaction handling is switched off so that SAVEPOINT works and so that
    writers can start with BEGIN IMMEDIATE: a deferred transaction that reads first and writes
    later fails at once with SQLITE_BUSY when another writer committed in between.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("hailong_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@lru_cache
def _writing(engine: Engine) -> Engine:
    """The same engine and pool, its transactions beginning as writers (lazily, at the first
    statement)."""
    return engine.execution_options(**WRITE)


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return build_engine(settings.database_url, pool_size=settings.db_pool_size)


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


def short_sessions() -> ShortSession:
    """Opens sessions that last one thread job: for dependencies, such as signing the user in,
    that run in their own job before the handler's (tests replace it with their session); each
    is closed, its connection back in the pool, when the job's ``with`` block ends."""
    return session_scope


def begin_write(session: Session) -> None:
    """Mark the session's transaction as a writer before its first statement (a session that
    already began, e.g. a CLI command storing many ballots, keeps the transaction it has)."""
    if not session.in_transaction():
        session.connection(execution_options=WRITE)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ShortSessionsDep = Annotated[ShortSession, Depends(short_sessions)]


FINISH = "hailong_finish"


def finish(session: Session) -> None:
    """End the request's transaction now (see ``app.core.routing``); its owner set how."""
    done = session.info.get(FINISH)
    if done is not None:
        done()


@contextmanager
def session_scope(*, write: bool = False) -> Iterator[Session]:
    """The transaction owner of a request or a CLI command: commit on success, else roll back."""
    engine = _writing(get_engine()) if write else get_engine()
    with Session(engine, expire_on_commit=False) as session:
        session.info[FINISH] = session.commit
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
