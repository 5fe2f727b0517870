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
