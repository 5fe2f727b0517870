"""Live updates reach a dashboard whichever worker process stored the ballot."""

from __future__ import annotations

import re
import threading
import time
import uuid

import httpx
from sqlmodel import Session

from app.auth.service import create_user
from app.core.db import build_engine
from app.models import UserCreate
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import register_catalog
from tests.conftest import fresh_database
from tests.factories import make_office, six_answers
from tests.serving import serve


def test_events_cross_worker_processes(backend: str, catalog: SurveyCatalog) -> None:
    url = fresh_database(backend, "workers")
    engine = build_engine(url, pool_size=1)
    with Session(engine) as session:
        register_catalog(session, catalog)
        make_office(session, catalog, code="LIVE.1")
        create_user(
            session,
            UserCreate.model_construct(
                username="xem", role="officer", office="LIVE.1", password="mat-khau-dai-1"
            ),
        )
        session.commit()
    engine.dispose()
    with serve(url, workers=2) as base, httpx.Client(base_url=base, timeout=10) as client:
        page = client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        client.post("/login", data={"username": "xem", "password": "mat-khau-dai-1", "csrf": csrf})
        got: list[float] = []
        ready = threading.Event()

        def listen() -> None:
            with client.stream("GET", "/staff/offices/LIVE.1/events") as stream:
                for line in stream.iter_lines():
                    ready.set()
                    if line == "event: figures":
                        got.append(time.monotonic())
                        if len(got) == 4:
                            return

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        assert ready.wait(10)
        time.sleep(0.6)  # let the watcher take its first look
        # Separate connections, so the ballots land on either worker.
        for _ in range(4):
            sent = time.monotonic()
            with httpx.Client(base_url=base) as citizen:
                response = citizen.post(
                    "/api/v1/offices/LIVE.1/responses",
                    json={"answers": six_answers(5)},
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                )
            assert response.status_code == 201
            deadline = sent + 2.0
            count = len(got)
            while time.monotonic() < deadline and len(got) == count:
                time.sleep(0.02)
            assert len(got) > count, "no event within 2 seconds"
