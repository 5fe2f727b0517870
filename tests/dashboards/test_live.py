from __future__ import annotations

import uuid

from sqlalchemy import Engine, event
from sqlmodel import Session

from app.ballots.service import submit
from app.ballots.validation import Submission
from app.core.db import build_engine
from app.dashboards.ballot_watch import BallotWatch
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import register_catalog
from tests.conftest import fresh_database
from tests.factories import make_office, six_answers


def _submit(session: Session, catalog: SurveyCatalog, code: str) -> None:
    submit(
        session,
        catalog,
        code,
        Submission(answers=six_answers(5)),
        channel="api",
        idempotency_key=uuid.uuid4().hex,
        strict_replay=True,
    )


def _store(engine: Engine, catalog: SurveyCatalog, code: str, count: int) -> None:
    with Session(engine) as session:
        for _ in range(count):
            _submit(session, catalog, code)
        session.commit()


def _two_offices(
    backend: str, catalog: SurveyCatalog, name: str, pool_size: int = 1
) -> tuple[Engine, int, int]:
    """A fresh database with the catalog and offices ``{NAME}-A`` and ``{NAME}-B``."""
    engine = build_engine(fresh_database(backend, name.lower()), pool_size=pool_size)
    with Session(engine) as session:
        register_catalog(session, catalog)
        a = make_office(session, catalog, code=f"{name}-A")
        b = make_office(session, catalog, code=f"{name}-B")
        session.commit()
        return engine, a.id or 0, b.id or 0


def test_the_watch_reads_only_what_is_new(backend: str, catalog: SurveyCatalog) -> None:
    engine, a_id, b_id = _two_offices(backend, catalog, "W")
    _store(engine, catalog, "W-A", 30)
    watch = BallotWatch(engine)
    read: list[int] = []  # the id each poll reads above

    @event.listens_for(engine, "before_cursor_execute")
    def note(conn, cursor, statement, params, context, many) -> None:  # type: ignore[no-untyped-def]
        if "ballot.id >" in statement:
            read.append(next(iter(params.values())) if isinstance(params, dict) else params[0])

    assert not watch._poll()  # the first look only notes where the table stands
    assert not watch._poll()
    _store(engine, catalog, "W-B", 2)
    assert watch._poll().offices == {b_id}
    assert not watch._poll()
    _store(engine, catalog, "W-A", 1)
    assert watch._poll().offices == {a_id}
    # Each poll reads above the highest id seen, not the table or a fixed look-back.
    assert read == [30, 30, 32, 32]
    engine.dispose()


def test_a_ballot_committed_after_a_higher_id_is_not_missed(catalog: SurveyCatalog) -> None:
    # PostgreSQL only: SQLite has one writer, so its ids become visible in order.
    engine, a_id, b_id = _two_offices("postgresql", catalog, "G", pool_size=2)
    watch = BallotWatch(engine)
    assert not watch._poll()
    with Session(engine) as slow:  # takes an id, commits later
        _submit(slow, catalog, "G-A")
        slow.flush()
        _store(engine, catalog, "G-B", 1)  # a higher id, committed first
        assert watch._poll().offices == {b_id}
        slow.commit()
    assert watch._poll().offices == {a_id}
    assert not watch._poll()
    assert not watch._gaps
    engine.dispose()
