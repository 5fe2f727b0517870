from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.core.db import build_engine
from app.dashboards import live
from app.dashboards.live import BallotWatch
from app.responses.service import submit
from app.responses.validation import Submission
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import register_catalog
from tests.conftest import fresh_database
from tests.factories import make_office, six_answers


def _store(engine: Engine, catalog: SurveyCatalog, code: str, count: int) -> None:
    with Session(engine) as session:
        for _ in range(count):
            submit(
                session,
                catalog,
                code,
                Submission(answers=six_answers(5)),
                channel="api",
                idempotency_key=uuid.uuid4().hex,
                strict_replay=True,
            )
        session.commit()


def test_the_watch_reads_only_the_newest_ids(
    backend: str, catalog: SurveyCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A shorter look-back than the real 2,048 ids: the same reading, a twentieth of the ballots.
    monkeypatch.setattr(live, "LOOKBACK", 100)
    engine = build_engine(fresh_database(backend, "watch"), pool_size=1)
    with Session(engine) as session:
        register_catalog(session, catalog)
        a = make_office(session, catalog, code="W-A")
        b = make_office(session, catalog, code="W-B")
        session.commit()
        a_id, b_id = a.id, b.id
    _store(engine, catalog, "W-A", live.LOOKBACK + 50)
    watch = BallotWatch(engine)
    first = watch._poll().offices
    assert first == {a_id}  # the first look only primes the watch (the caller ignores it)
    assert len(watch._seen) == live.LOOKBACK  # not the whole table
    assert not watch._poll()
    _store(engine, catalog, "W-B", 2)
    assert watch._poll().offices == {b_id}
    assert not watch._poll()
    engine.dispose()
