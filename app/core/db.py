"""Engines and sessions: ``session_scope`` owns the transaction of a request (through the web
layer's session dependency) or of a CLI command; services only flush."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

from app.core.config import get_settings

WRITE = {"hailong_write": True}


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


def begin_write(session: Session) -> None:
    """Mark the session's transaction as a writer before its first statement (a session that
    already began, e.g. a CLI command storing many ballots, keeps the transaction it has)."""
    if not session.in_transaction():
        session.connection(execution_options=WRITE)


FINISH = "hailong_finish"


def finish(session: Session) -> None:
    """End the request's transaction now (see ``app.web.routing``); its owner set how."""
    done = session.info.get(FINISH)
    if done is not None:
        done()


def open_session(*, write: bool = False) -> Session:
    """A session whose transaction, and pooled connection, start at its first statement."""
    engine = _writing(get_engine()) if write else get_engine()
    session = Session(engine, expire_on_commit=False)
    session.info[FINISH] = session.commit
    return session


@contextmanager
def session_scope(*, write: bool = False) -> Iterator[Session]:
    """The transaction owner of a request or a CLI command: commit on success, else roll back."""
    with open_session(write=write) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
