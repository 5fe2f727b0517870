"""A database that refuses connections for a few seconds (a restart, a failover): every request
is answered, a 503 with Retry-After while it cannot be reached, never a 500 and never a closed
connection; ballots wait and are retried within their time; nothing acknowledged is lost."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.core.db import build_engine
from app.surveys.catalog import SurveyCatalog
from tests.conftest import fresh_database, postgres_url
from tests.factories import six_answers
from tests.serving import serve


@pytest.mark.one_database
def test_a_refusing_database_is_a_503_and_loses_nothing(catalog: SurveyCatalog) -> None:
    from app.models import OfficeCreate
    from app.offices.service import create_office
    from app.surveys.service import register_catalog

    postgres_url()  # skipped without PostgreSQL (required in CI)
    url = fresh_database("postgresql", "refusing")
    name = make_url(url).database
    engine = build_engine(url, pool_size=1)
    with Session(engine) as session:
        register_catalog(session, catalog)
        create_office(session, OfficeCreate(code="RF.01", name="Bộ phận một cửa thử"), catalog)
        session.commit()
    engine.dispose()
    admin = build_engine(postgres_url(), pool_size=1)
    answers: Counter[str] = Counter()
    stored: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def load(base: str, n: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            while not stop.is_set():
                try:
                    if n % 4 == 0:
                        got = client.get("/s/RF.01")
                    else:
                        got = client.post(
                            "/api/v1/offices/RF.01/responses",
                            json={"answers": six_answers(5)},
                            headers={"Idempotency-Key": uuid.uuid4().hex},
                        )
                except httpx.TransportError as exc:
                    with lock:
                        answers[f"closed: {type(exc).__name__}"] += 1
                    continue
                with lock:
                    key = str(got.status_code)
                    if got.status_code == 503 and "Retry-After" not in got.headers:
                        key += " without Retry-After"
                    answers[key] += 1
                    if got.status_code == 201:
                        stored.append(got.json()["receipt"])

    try:
        with serve(url) as base, ThreadPoolExecutor(16) as pool:
            running = [pool.submit(load, base, n) for n in range(16)]
            time.sleep(1.5)
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
                time.sleep(5)
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            time.sleep(3)
            stop.set()
            for future in running:
                future.result()
    finally:
        stop.set()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    assert set(answers) <= {"200", "201", "503"}, answers
    assert answers["503"] > 0  # the refusal was met, and answered
    assert answers["201"] > 0
    engine = build_engine(url, pool_size=1)
    with engine.connect() as conn:
        kept = {r for (r,) in conn.execute(text("SELECT receipt FROM ballot"))}
    engine.dispose()
    assert set(stored) <= kept  # every acknowledged ballot is stored
