"""The group-commit writer against a real, committed database (no rollback fixture here)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from app.ballots.office_info import OfficeInfo, load_office_info
from app.ballots.service import Outcome, Stored, prepare
from app.ballots.validation import Submission
from app.ballots.writer import GroupCommitWriter
from app.core.db import build_engine
from app.core.errors import Conflict
from app.models import Answer, Ballot
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import register_catalog
from tests.conftest import fresh_database
from tests.factories import make_office, six_answers
from tests.stats.recount import recount, stored


@pytest.fixture(scope="module")
def committed(backend: str, catalog: SurveyCatalog) -> Iterator[tuple[Engine, OfficeInfo]]:
    engine = build_engine(fresh_database(backend, "writer"), pool_size=4)
    with Session(engine) as session:
        register_catalog(session, catalog)
        office = make_office(session, catalog, code="W1.H56")
        session.commit()
        info = load_office_info(session, catalog, office.code)
    yield engine, info
    engine.dispose()


def _prepared(info: OfficeInfo, key: str | None = None, value: int = 5, strict: bool = True):
    return prepare(
        info,
        Submission(answers=six_answers(value)),
        channel="api",
        idempotency_key=key or uuid.uuid4().hex,
        strict_replay=strict,
    )


def _count(engine: Engine, key: str | None = None) -> int:
    query = select(func.count()).select_from(Ballot)
    if key:
        query = query.where(Ballot.idempotency_key == key)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _collect(writer: GroupCommitWriter, items: list) -> list[Outcome | BaseException]:
    results: list[Outcome | BaseException | None] = [None] * len(items)
    done = threading.Semaphore(0)
    for i, item in enumerate(items):

        def reply(outcome: Outcome | BaseException, i: int = i) -> None:
            results[i] = outcome
            done.release()

        writer.submit(item, reply)
    for _ in items:
        assert done.acquire(timeout=30)
    return [r for r in results if r is not None]


def test_many_ballots_are_stored_in_few_batches(committed: tuple[Engine, OfficeInfo]) -> None:
    engine, info = committed
    before = _count(engine)
    writer = GroupCommitWriter(engine)
    items = [_prepared(info) for _ in range(300)]
    # Queued before the thread starts, so they must be taken in batches, not one by one.
    replies: list = []
    for item in items:
        writer._queue.put((item, replies.append))
    writer.start()
    writer.stop()
    assert len(replies) == 300
    assert all(isinstance(r, Stored) and not r.replayed for r in replies)
    assert len({r.ballot.receipt for r in replies}) == 300  # type: ignore[union-attr]
    assert writer.batches <= 3
    assert _count(engine) == before + 300
    with engine.connect() as conn:
        answers = conn.execute(select(func.count()).select_from(Answer)).scalar_one()
    assert answers >= 300 * 6
    with engine.connect() as conn:
        assert stored(conn) == recount(conn)


@pytest.mark.parametrize("threads", [1, 3])
def test_one_key_sent_many_times_at_once_stores_one_ballot(
    committed: tuple[Engine, OfficeInfo], threads: int
) -> None:
    engine, info = committed
    writer = GroupCommitWriter(engine, threads=threads)
    writer.start()
    key = uuid.uuid4().hex
    try:
        outcomes = _collect(writer, [_prepared(info, key) for _ in range(20)])
    finally:
        writer.stop()
    assert _count(engine, key) == 1
    with engine.connect() as conn:
        assert stored(conn) == recount(conn)
    receipts = {o.ballot.receipt for o in outcomes if isinstance(o, Stored)}
    assert len(receipts) == 1
    assert sum(1 for o in outcomes if isinstance(o, Stored) and not o.replayed) == 1


def test_reused_key_with_other_answers(committed: tuple[Engine, OfficeInfo]) -> None:
    engine, info = committed
    writer = GroupCommitWriter(engine)
    writer.start()
    key = uuid.uuid4().hex
    try:
        first, strict, lenient = _collect(
            writer,
            [
                _prepared(info, key, 5),
                _prepared(info, key, 2, strict=True),
                _prepared(info, key, 2, strict=False),
            ],
        )
    finally:
        writer.stop()
    assert isinstance(first, Stored)
    assert isinstance(strict, Conflict)
    assert isinstance(lenient, Stored)
    assert lenient.replayed
    assert lenient.ballot.receipt == first.ballot.receipt


def test_a_bad_ballot_does_not_sink_its_batch(committed: tuple[Engine, OfficeInfo]) -> None:
    engine, info = committed
    ghost = OfficeInfo(id=999_999, code="GHOST", name="x", survey=info.survey, counters=frozenset())
    writer = GroupCommitWriter(engine)
    replies: list = []
    good = [_prepared(info) for _ in range(5)]
    for item in [*good[:2], _prepared(ghost), *good[2:]]:
        writer._queue.put((item, replies.append))
    writer.start()
    writer.stop()
    assert len(replies) == 6
    failed = [r for r in replies if not isinstance(r, Stored)]
    assert len(failed) == 1
    assert isinstance(failed[0], RuntimeError)
    for item in good:
        assert _count(engine, item.row["idempotency_key"]) == 1


def test_async_callers_wait_for_the_commit(committed: tuple[Engine, OfficeInfo]) -> None:
    engine, info = committed
    writer = GroupCommitWriter(engine)
    writer.start()

    async def many() -> list[Outcome]:
        return await asyncio.gather(*(writer.store(_prepared(info)) for _ in range(50)))

    try:
        # In a thread of its own: Playwright's sync API may already run a loop in this one.
        with ThreadPoolExecutor(1) as pool:
            outcomes = pool.submit(asyncio.run, many()).result()
    finally:
        writer.stop()
    assert all(isinstance(outcome, Stored) for outcome in outcomes)
    # Acknowledged means committed: a fresh connection sees every one.
    with engine.connect() as conn:
        receipts = {o.ballot.receipt for o in outcomes if isinstance(o, Stored)}
        stored = conn.execute(
            select(func.count()).select_from(Ballot).where(Ballot.receipt.in_(receipts))
        ).scalar_one()
    assert stored == 50


def test_concurrent_writers_keep_each_chain_whole(committed: tuple[Engine, OfficeInfo]) -> None:
    from app.integrity.verify import verify_db

    engine, info = committed
    writer = GroupCommitWriter(engine, threads=3)
    writer.start()
    try:
        # Some keys twice, so some batches are chained a second time without them.
        keys = [uuid.uuid4().hex for _ in range(150)]
        outcomes = _collect(writer, [_prepared(info, key) for key in keys + keys[::5]])
    finally:
        writer.stop()
    assert all(isinstance(o, Stored) for o in outcomes)
    with engine.connect() as conn:
        report = verify_db(conn, info.code)
    assert report.ok, report.findings


def test_a_database_out_of_reach_is_tried_again_then_told(
    committed: tuple[Engine, OfficeInfo],
) -> None:
    """While the database cannot be reached the batch is tried again for a while, then each of
    its requests is told to retry (a 503), never handed an unexpected error."""
    import time

    from app.core.errors import DatabaseUnavailable

    _, info = committed
    nowhere = build_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", pool_size=1)
    writer = GroupCommitWriter(nowhere, unreachable_seconds=0.5)
    writer.start()
    try:
        started = time.monotonic()
        outcomes = _collect(writer, [_prepared(info), _prepared(info)])
        waited = time.monotonic() - started
    finally:
        writer.stop()
        nowhere.dispose()
    assert all(isinstance(o, DatabaseUnavailable) for o in outcomes), outcomes
    assert 0.4 <= waited < 5
