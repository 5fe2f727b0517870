"""Parallel staff requests on a real server: writers queue for the lock instead of failing, and
every failed login is counted, on both databases."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import text
from sqlmodel import Session

from app.auth.service import create_token, create_user
from app.core.db import build_engine
from app.models import UserCreate
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import register_catalog
from tests.conftest import fresh_database
from tests.factories import login_form, make_office, six_answers
from tests.serving import serve

PASSWORD = "mat-khau-dai-1"


def _seed(url: str, catalog: SurveyCatalog) -> str:
    engine = build_engine(url, pool_size=1)
    with Session(engine) as session:
        register_catalog(session, catalog)
        make_office(session, catalog, code="CC", kind="province")
        make_office(session, catalog, code="CC.1", parent="CC")
        for name, role, office in (("tra", "inspector", "CC"), ("cb", "officer", "CC.1")):
            create_user(
                session,
                UserCreate.model_construct(
                    username=name, role=role, office=office, password=PASSWORD
                ),
            )
        token, _ = create_token(session, "tra")
        session.commit()
    engine.dispose()
    return token


def _login(base: str, username: str, password: str) -> int:
    with httpx.Client(base_url=base, timeout=60) as client:
        return client.post("/login", data=login_form(client, username, password)).status_code


def _parallel(n: int, call: Any) -> list[int]:
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: call(), range(n)))


def test_parallel_staff_requests_queue_instead_of_failing(
    backend: str, catalog: SurveyCatalog
) -> None:
    url = fresh_database(backend, "concurrency")
    token = _seed(url, catalog)
    auth = {"Authorization": f"Bearer {token}"}
    with serve(url) as base, httpx.Client(base_url=base, timeout=60) as client:
        receipts = []
        for _ in range(20):
            stored = client.post(
                "/api/v1/offices/CC.1/responses",
                json={"answers": six_answers(5)},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            assert stored.status_code == 201
            receipts.append(stored.json()["receipt"])

        # Citizens keep submitting while staff act.
        stop = threading.Event()
        citizen_codes: list[int] = []

        def citizens() -> None:
            with httpx.Client(base_url=base, timeout=60) as c:
                while not stop.is_set():
                    r = c.post("/api/v1/offices/CC.1/responses", json={"answers": six_answers(4)})
                    citizen_codes.append(r.status_code)
                    time.sleep(0.02)

        feeder = threading.Thread(target=citizens)
        feeder.start()
        try:
            logins = _parallel(20, lambda: _login(base, "cb", PASSWORD))
            assert logins == [303] * 20, logins

            def export() -> int:
                with httpx.Client(base_url=base, timeout=60) as c:
                    return c.get("/api/v1/exports/summary.csv?office=CC", headers=auth).status_code

            exports = _parallel(20, export)
            assert exports == [200] * 20, exports

            pending = list(receipts)
            lock = threading.Lock()

            def exclude() -> int:
                with lock:
                    receipt = pending.pop()
                with httpx.Client(base_url=base, timeout=60) as c:
                    return c.post(
                        f"/api/v1/ballots/{receipt}/exclusion",
                        json={"reason": "Kiểm tra song song"},
                        headers=auth,
                    ).status_code

            exclusions = _parallel(20, exclude)
            assert exclusions == [201] * 20, exclusions

            wrong = _parallel(20, lambda: _login(base, "tra", "sai-mat-khau-roi"))
        finally:
            stop.set()
            feeder.join()
    assert citizen_codes
    assert set(citizen_codes) == {201}, set(citizen_codes)
    assert set(wrong) <= {401, 429}, wrong
    engine = build_engine(url, pool_size=1)
    with engine.connect() as conn:
        counted = conn.execute(
            text("SELECT failures FROM login_throttle WHERE key = 'user:tra'")
        ).scalar_one()
    engine.dispose()
    # Every attempt was either checked and counted (401) or refused by the throttle (429).
    assert counted == wrong.count(401), (counted, wrong)
