"""Test fixtures: every database test runs on SQLite and on PostgreSQL, on a schema built by the
Alembic migrations, inside a transaction that is rolled back afterwards."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="hailong-tests-"))
os.environ.update(
    HAILONG_ENV="test",
    HAILONG_SECRET_KEY="test-secret-key-that-is-long-enough-0123456789",
    HAILONG_DATABASE_URL=f"sqlite:///{_TMP / 'default.db'}",
    HAILONG_PUBLIC_URL="http://testserver",
    # Most tests send many ballots from one test client; the limits themselves are tested with
    # their defaults in tests/signals.
    HAILONG_LIMIT_DEVICE="1000000 per minute",
    HAILONG_LIMIT_ADDRESS="1000000 per minute",
    # Tests run at any hour: units are open all week unless a test says otherwise.
    HAILONG_OPENING_HOURS="T2-CN 00:00-24:00",
    HAILONG_SIGNALS_SCAN_SECONDS="0",
    HAILONG_NOTICES_SECONDS="0",
)

import pytest  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.ballots.intake import SessionIntake  # noqa: E402
from app.core.config import get_settings  # noqa: E402
from app.core.db import build_engine  # noqa: E402
from app.core.migrate import upgrade  # noqa: E402
from app.main import create_app  # noqa: E402
from app.surveys.catalog import SurveyCatalog, load_catalog  # noqa: E402
from app.surveys.service import register_catalog  # noqa: E402
from app.web.deps import get_session, short_sessions  # noqa: E402
from tests.serving import inside_one_minute  # noqa: E402

PG_URL = os.environ.get("HAILONG_TEST_DATABASE_URL")
# Under pytest-xdist (``make test`` runs two workers) each worker's databases are its own.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
REQUIRE_PG = os.environ.get("HAILONG_REQUIRE_POSTGRES") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``one_database`` check what does not depend on the database (a page's
    markup, what a browser does when the network fails): they run on SQLite, and their
    PostgreSQL copies are deselected (listed as such, not skipped) to keep the suite short."""
    dropped = [
        item
        for item in items
        if item.get_closest_marker("one_database") and "[postgresql" in item.nodeid
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


def pytest_sessionstart(session: pytest.Session) -> None:
    if REQUIRE_PG and not PG_URL:
        pytest.exit("HAILONG_REQUIRE_POSTGRES=1 but HAILONG_TEST_DATABASE_URL is not set", 2)


def postgres_url(database: str | None = None) -> str:
    """The PostgreSQL URL for tests, or a skip (a failure when PostgreSQL is required)."""
    if not PG_URL:
        pytest.skip("HAILONG_TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    url = make_url(PG_URL)
    return (url.set(database=database) if database else url).render_as_string(False)


def reset_postgres(url: str) -> None:
    engine = build_engine(url, pool_size=1)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except Exception as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    finally:
        engine.dispose()


def fresh_database(backend: str, name: str) -> str:
    """A URL to an empty database migrated to head; each pytest-xdist worker has its own."""
    if WORKER:
        name = f"{name}_{WORKER}"
    if backend == "sqlite":
        url = f"sqlite:///{_TMP / f'{name}.db'}"
        Path(_TMP / f"{name}.db").unlink(missing_ok=True)
    else:
        url = postgres_url()
        if name != "main":
            url = _postgres_database(name)
        reset_postgres(url)
    upgrade(url)
    return url


def _postgres_database(name: str) -> str:
    admin = build_engine(postgres_url(), pool_size=1)
    db_name = f"hailong_{name}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": db_name}
        ).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    admin.dispose()
    return postgres_url(db_name)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def engine(backend: str) -> Iterator[Engine]:
    engine = build_engine(fresh_database(backend, "main"), pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session whose every commit is a savepoint inside a transaction rolled back at the end."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture(scope="session")
def catalog() -> SurveyCatalog:
    settings = get_settings()
    return load_catalog(settings.surveys_dir, settings.default_survey)


@pytest.fixture
def registered(db: Session, catalog: SurveyCatalog) -> SurveyCatalog:
    register_catalog(db, catalog)
    return catalog


@pytest.fixture
def app(db: Session, registered: SurveyCatalog) -> FastAPI:
    application = create_app(register_surveys=False)
    application.state.hailong.catalog = registered

    def session_override() -> Iterator[Session]:
        # Each request in a savepoint of its own: a failed request undoes its own work only,
        # as it would with its own session, not the test's setup.
        request = db.begin_nested()
        db.info["hailong_finish"] = request.commit
        try:
            yield db
            if request.is_active:
                request.commit()
        except BaseException:
            if request.is_active:
                request.rollback()
            raise

    application.dependency_overrides[get_session] = session_override
    application.dependency_overrides[short_sessions] = lambda: lambda: nullcontext(db)
    application.state.hailong.intake = SessionIntake(db, registered)
    # The test client reads whole responses: live event streams must end quickly here.
    application.state.hailong.live_stream_seconds = 0.05
    application.state.hailong.export_connection = lambda: nullcontext(db.connection())
    return application


@pytest.fixture
def limited(app: FastAPI) -> FastAPI:
    """The app with small limits per sender: 3 ratings a minute per device, 5 per address."""
    from app.core.config import Settings
    from app.signals.limiter import RatingLimits

    settings = Settings(
        limit_device="3 per minute",
        limit_address="5 per minute",
        redis_prefix=f"test-{uuid.uuid4().hex}",
    )
    app.state.hailong.rating_limits = RatingLimits(settings)
    inside_one_minute()
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
