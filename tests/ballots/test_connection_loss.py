"""PostgreSQL drops the app's connections (a restart, a failover, pg_terminate_backend) in the
middle of a burst of ballots: no request fails, every acknowledged ballot is stored, the chains
verify."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.core.db import build_engine
from app.integrity.verify import verify_db
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import register_catalog
from tests.conftest import fresh_database
from tests.factories import make_office, six_answers
from tests.serving import serve


def test_terminated_connections_cost_no_request(catalog: SurveyCatalog) -> None:
    url = fresh_database("postgresql", "dropped")
    engine = build_engine(url, pool_size=2)
    with Session(engine) as session:
        register_catalog(session, catalog)
        for n in range(4):
            make_office(session, catalog, code=f"DROP.{n}")
        session.commit()
    database = make_url(url).database
    codes: list[int] = []
    acknowledged: list[str] = []
    lock = threading.Lock()
    with serve(url, workers=1) as base:
        stop = threading.Event()

        def citizen(n: int) -> None:
            with httpx.Client(base_url=base, timeout=30) as client:
                while not stop.is_set():
                    response = client.post(
                        f"/api/v1/offices/DROP.{n % 4}/responses",
                        json={"answers": six_answers(4 + n % 2)},
                        headers={"Idempotency-Key": uuid.uuid4().hex},
                    )
                    with lock:
                        codes.append(response.status_code)
                        if response.status_code == 201:
                            acknowledged.append(response.json()["receipt"])

        with ThreadPoolExecutor(6) as pool:
            for n in range(6):
                pool.submit(citizen, n)
            terminated = 0
            for _ in range(4):
                time.sleep(0.6)
                with engine.connect() as conn:
                    terminated += conn.execute(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = :db AND pid <> pg_backend_pid()"
                        ),
                        {"db": database},
                    ).scalar_one()
            time.sleep(0.6)
            stop.set()
    assert terminated >= 4  # the app's connections really were cut, more than once
    assert codes
    assert set(codes) == {201}, {c: codes.count(c) for c in set(codes)}
    with engine.connect() as conn:
        stored = {r for (r,) in conn.execute(text("SELECT receipt FROM ballot"))}
        report = verify_db(conn)
    engine.dispose()
    assert set(acknowledged) <= stored
    assert len(stored) == len(acknowledged)
    assert report.ok, report.findings
