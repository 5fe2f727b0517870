"""Live updates reach a dashboard whichever worker process stored the ballot."""

from __future__ import annotations

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
from tests.factories import login_form, make_office, six_answers
from tests.serving import serve


def _database(backend: str, catalog: SurveyCatalog) -> str:
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
    return url


def _each_ballot_is_heard(base: str, live: str) -> None:
    """Four ballots sent to ``base``, each on a new connection (so to either worker); a
    dashboard's stream served from ``live`` gets new figures within 2 seconds of each."""
    with httpx.Client(base_url=base, timeout=10) as client:
        assert client.post("/login", data=login_form(client, "xem")).status_code == 303
        got: list[float] = []
        ready = threading.Event()

        def listen() -> None:
            url = f"{live}/staff/offices/LIVE.1/events"
            with client.stream("GET", url) as stream:
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


def test_events_cross_worker_processes(backend: str, catalog: SurveyCatalog) -> None:
    with serve(_database(backend, catalog), workers=2) as base:
        _each_ballot_is_heard(base, base)


def test_a_live_pool_of_its_own_hears_the_ballots_the_others_take(
    backend: str, catalog: SurveyCatalog
) -> None:
    """The deployment the README recommends: the proxy sends the streams to a pool of their own,
    so that thousands of screens never share a process with the ballots."""
    url = _database(backend, catalog)
    with serve(url) as base, serve(url) as live:
        _each_ballot_is_heard(base, live)
