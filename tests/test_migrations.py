from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from app.core.db import build_engine
from app.core.migrate import downgrade, upgrade
from app.models import metadata
from tests.conftest import fresh_database


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_downgrade_then_upgrade_round_trips(backend: str) -> None:
    url = fresh_database(backend, "roundtrip")
    downgrade(url, "base")
    engine = build_engine(url, pool_size=1)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(url)
    engine = build_engine(url, pool_size=1)
    assert {"office", "ballot", "answer", "survey_version", "counter"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


def test_rollup_migration_counts_existing_ballots(backend: str, catalog) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from sqlalchemy import insert, text
    from sqlmodel import Session

    from app.models import Answer, Ballot
    from app.surveys.service import register_catalog
    from tests.stats.recount import (
        recount,
        recount_compared,
        recount_moments,
        stored,
        stored_compared,
        stored_moments,
    )

    url = fresh_database(backend, "backfill")
    downgrade(url, "0001")
    engine = build_engine(url, pool_size=1)
    with Session(engine) as session:
        register_catalog(session, catalog)
        # The schema of 0001, not today's models: written with the columns it had.
        office_id = (
            session.connection()
            .execute(
                text(
                    "INSERT INTO office (code, name, kind, is_demo, created_at) "
                    "VALUES ('OLD.H56', 'Đơn vị cũ', 'one-stop', false, :at) RETURNING id"
                ),
                {"at": datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)},
            )
            .scalar_one()
        )
        for n in range(12):
            ballot_id = (
                session.connection()
                .execute(
                    insert(Ballot.__table__).returning(Ballot.__table__.c.id),  # type: ignore[attr-defined]
                    {
                        "receipt": f"OLD{n:07d}",
                        "office_id": office_id,
                        "counter": None,
                        "survey_key": "cong-chuc",
                        "survey_version": 1,
                        "channel": "api",
                        "idempotency_key": f"k{n}",
                        "request_hash": "x",
                        "comment": None,
                        "submitted_at": datetime(2026, 1, 1 + n % 3, 20, tzinfo=UTC),
                        "is_demo": False,
                    },
                )
                .scalar_one()
            )
            session.connection().execute(
                insert(Answer.__table__),  # type: ignore[attr-defined]
                [
                    {"ballot_id": ballot_id, "question_key": q.key, "value": 3 + n % 3}
                    for q in catalog.surveys["cong-chuc"].questions
                ],
            )
        session.commit()
    engine.dispose()
    upgrade(url)
    engine = build_engine(url, pool_size=1)
    with engine.connect() as conn:
        fast, slow = stored(conn), recount(conn)
        moments = stored_moments(conn)
        assert moments == recount_moments(conn, catalog.criteria)
        compared = stored_compared(conn)
        assert compared == recount_compared(conn, catalog.criteria)
        # Each ballot got its level (values 3, 4, 5 answered everywhere: the lowest rules).
        levels = conn.execute(text("SELECT level, count(*) FROM ballot GROUP BY level")).all()
        assert sorted(tuple(r) for r in levels) == [(3, 4), (4, 4), (5, 4)]
    engine.dispose()
    assert fast == slow
    assert moments  # the moments migration counted them too
    assert compared  # and the criteria rollup's
    assert sum(n for key, n in fast[1].items() if key[2] == "y") == 12
    # The chain migration chained them too.
    from app.integrity.verify import verify_db

    engine = build_engine(url, pool_size=1)
    with engine.connect() as conn:
        report = verify_db(conn)
    engine.dispose()
    assert report.ok, report.findings
    assert report.ballots == 12


def test_dossier_counts_migration_counts_existing_dossiers(backend: str, catalog) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, date, datetime

    from sqlalchemy import insert
    from sqlmodel import Session

    from app.models import Ballot, Dossier
    from app.stats import dossier_rollup
    from app.stats.periods import period_of
    from app.surveys.service import register_catalog
    from tests.factories import make_office

    url = fresh_database(backend, "dossier_backfill")
    # The offices as today's models write them, then the schema taken back to 0013.
    engine = build_engine(url, pool_size=1)
    with Session(engine) as session:
        register_catalog(session, catalog)
        province = make_office(session, catalog, code="MD", kind="province")
        unit = make_office(session, catalog, code="MD.A", parent="MD")
        ids = [province.id or 0, unit.id or 0]
        session.commit()
    engine.dispose()
    downgrade(url, "0013")
    engine = build_engine(url, pool_size=1)
    with Session(engine) as session:
        conn = session.connection()
        for n in range(6):
            conn.execute(
                insert(Dossier.__table__),  # type: ignore[attr-defined]
                {
                    "office_id": ids[1],
                    "code_hash": f"h{n}",
                    "received_at": datetime(2026, 3, 2, 2, tzinfo=UTC),
                    "due_at": datetime(2026, 3, 4, 2, tzinfo=UTC),
                    "returned_at": datetime(2026, 3, 3 + n % 2 * 3, 2, tzinfo=UTC),
                    "created_at": datetime(2026, 3, 2, tzinfo=UTC),
                    "updated_at": datetime(2026, 3, 2, tzinfo=UTC),
                },
            )
        for n in range(2):
            conn.execute(
                insert(Ballot.__table__),  # type: ignore[attr-defined]
                {
                    "receipt": f"DOS{n:07d}",
                    "office_id": ids[1],
                    "survey_key": "cong-chuc",
                    "survey_version": 1,
                    "channel": "web",
                    "idempotency_key": dossier_rollup.dossier_key(f"h{n}"),
                    "request_hash": "x",
                    "submitted_at": datetime(2026, 3, 7, 2, tzinfo=UTC),
                    "is_demo": False,
                    "source": "dossier",
                    "level": 4,
                },
            )
        session.commit()
    engine.dispose()
    upgrade(url)
    engine = build_engine(url, pool_size=1)
    with engine.connect() as conn:
        march = period_of("month", date(2026, 3, 1))
        counted = dossier_rollup.read(conn, ids, march)
        assert counted == dossier_rollup.from_raw(conn, ids, march)
    engine.dispose()
    assert counted[ids[0]] == {("", 0, 0): [6, 4, 2], ("cong-chuc", 1, 4): [0, 2, 1]}


def test_compared_questions_migration_sums_the_sources(backend: str, catalog) -> None:  # type: ignore[no-untyped-def]
    """0015 turns the question rows by source into one row for every source; its downgrade
    counts them by source again. Either way the rows equal a recount."""
    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import text
    from sqlmodel import Session

    from app.ballots.office_info import Provenance
    from app.ballots.service import submit
    from app.ballots.validation import Submission
    from app.surveys.service import register_catalog
    from tests.factories import make_office, six_answers
    from tests.stats.recount import recount_compared, stored_compared

    url = fresh_database(backend, "compared_sources")
    engine = build_engine(url, pool_size=1)
    with Session(engine) as session:
        register_catalog(session, catalog)
        make_office(session, catalog, code="CS", kind="province")
        make_office(session, catalog, code="CS.A", parent="CS")
        for n, source in enumerate(["open", "counter", "counter", "kiosk", "open"]):
            submit(
                session,
                catalog,
                "CS.A",
                Submission(answers=six_answers(3 + n % 3)),
                channel="api",
                idempotency_key=uuid.uuid4().hex,
                strict_replay=True,
                submitted_at=datetime(2026, 4, 1 + n, 3, tzinfo=UTC),
                provenance=Provenance(source, device_id=1 if source != "open" else None),
            )
        session.commit()
    engine.dispose()

    def question_sources() -> set[str]:
        with engine.connect() as conn:
            found = conn.execute(
                text("SELECT DISTINCT source FROM criteria_rollup WHERE question_key <> ''")
            )
            return {row[0] for row in found}

    def agrees() -> bool:
        with engine.connect() as conn:
            return stored_compared(conn) == recount_compared(conn, catalog.criteria)

    assert question_sources() == {"*"}
    assert agrees()
    downgrade(url, "0014")
    assert question_sources() == {"open", "counter", "kiosk"}
    upgrade(url)
    assert question_sources() == {"*"}
    assert agrees()
    engine.dispose()


def test_log_migration_queues_existing_ballots_then_decisions_in_id_order(
    backend: str, catalog
) -> None:  # type: ignore[no-untyped-def]
    """0018: every ballot stored before the log, then every decision, waits for its place in id
    order, and the sequencer gives them the log's first indexes."""
    from datetime import UTC, datetime

    from sqlmodel import Session

    from app.integrity.exclusions import decide
    from app.models import Ballot
    from app.surveys.service import register_catalog
    from app.transparency import sequencer, tree
    from app.transparency.entries import Entry, receipt_hash
    from tests.factories import make_office, make_user, rate

    url = fresh_database(backend, "log_backfill")
    engine = build_engine(url, pool_size=1)
    with Session(engine) as session:
        register_catalog(session, catalog)
        make_office(session, catalog, code="LM")
        at = datetime(2026, 3, 2, 3, tzinfo=UTC)
        ids = [rate(session, catalog, "LM", v, at) for v in (5, 1, 4)]
        receipts = [session.get(Ballot, i).receipt for i in ids]  # type: ignore[union-attr]
        decide(
            session, catalog, make_user(session, "inspector"), receipts[1], "Lỗi nhập", exclude=True
        )
        session.commit()
    engine.dispose()
    downgrade(url, "0017")
    upgrade(url)
    engine = build_engine(url, pool_size=1)
    with engine.begin() as conn:
        assert sequencer.append(conn) == 4
    with engine.connect() as conn:
        entries = [Entry.decode(e) for e in tree.entries(conn, 0, 4)]
    engine.dispose()
    assert [e.receipt for e in entries] == [receipt_hash(r) for r in [*receipts, receipts[1]]]
    assert [e.kind for e in entries] == ["ballot", "ballot", "ballot", "exclude"]
    assert entries[3].category == "unrecorded"  # 0017 kept no kind of decision
