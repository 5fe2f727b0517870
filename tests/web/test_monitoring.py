"""`/metrics` for the monitoring networks or an admin's token, adding up every worker of
`hailong serve`; `/readyz` says whether a worker takes ballots now."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine
from sqlmodel import Session

from app.core.migrate import downgrade, is_current, upgrade
from app.models import OutboxMessage
from app.models.types import utcnow
from tests.conftest import fresh_database
from tests.factories import bearer, make_user, six_answers
from tests.serving import CHECKOUT, free_port, load_demo, wait_for, wait_until_answered


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def client_from(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=(address, 50000))


def test_metrics_are_for_the_monitoring_networks_or_an_admins_token(
    app: FastAPI, db: Session
) -> None:
    hailong = app.state.hailong
    hailong.settings = hailong.settings.model_copy(
        update={"metrics_networks": "10.9.0.0/16", "trusted_proxies": "10.0.0.1"}
    )
    refused = client_from(app, "203.0.113.7").get("/metrics")
    assert refused.status_code == 403
    assert refused.json()["code"] == "metrics_refused"
    assert refused.json()["detail_vi"]
    assert client_from(app, "10.9.4.2").get("/metrics").status_code == 200
    # A client that writes a monitoring address in X-Forwarded-For itself is not believed;
    # through the trusted proxy, the address it forwards is the client's.
    spoofed = {"X-Forwarded-For": "10.9.4.2"}
    assert client_from(app, "203.0.113.7").get("/metrics", headers=spoofed).status_code == 403
    assert client_from(app, "10.0.0.1").get("/metrics", headers=spoofed).status_code == 200
    forwarded = {"X-Forwarded-For": "203.0.113.7"}
    assert client_from(app, "10.0.0.1").get("/metrics", headers=forwarded).status_code == 403

    outside = client_from(app, "203.0.113.7")
    inspector = bearer(db, make_user(db, role="inspector"))
    assert outside.get("/metrics", headers=inspector).status_code == 403
    assert outside.get("/metrics", headers={"Authorization": "Bearer nonsense"}).status_code == 403
    shown = outside.get("/metrics", headers=bearer(db, make_user(db, role="admin")))
    assert shown.status_code == 200
    assert shown.headers["content-type"].startswith("text/plain; version=")
    found = samples(shown.text)
    assert found[("hailong_outbox_waiting", ())] == 0
    assert found[("hailong_outbox_oldest_seconds", ())] == 0
    # The refusals above were counted by their reason.
    assert found[("hailong_refusals_total", (("reason", "metrics_refused"),))] >= 5

    # Mail waiting for ten minutes, one already delivered and one given up: one waits.
    now = utcnow()
    for n, done in enumerate(({}, {"delivered_at": now}, {"gave_up_at": now})):
        db.add(
            OutboxMessage(
                channel="mail", event_id=f"case-{n}-opened", event="case.opened",
                recipient="truong@xa.gov.vn", body="x", next_at=now,
                created_at=now - timedelta(minutes=10), **done,
            )
        )  # fmt: skip
    db.flush()
    found = samples(client_from(app, "10.9.4.2").get("/metrics").text)
    assert found[("hailong_outbox_waiting", ())] == 1
    assert 600 <= found[("hailong_outbox_oldest_seconds", ())] < 700


def test_readyz_says_whether_this_worker_takes_ballots(client: TestClient, app: FastAPI) -> None:
    assert client.get("/readyz").json() == {"status": "ready"}
    app.state.hailong.ballot_watch.end_all()  # what a SIGTERM does
    stopping = client.get("/readyz")
    assert stopping.status_code == 503
    assert stopping.json() == {"status": "not ready", "ballots": "stopping"}
    assert client.get("/healthz").status_code == 200  # alive all the same


@pytest.mark.one_database
def test_a_schema_behind_the_code_is_not_current(backend: str) -> None:
    url = fresh_database("sqlite", "behind")
    engine = create_engine(url)
    with engine.connect() as conn:
        assert is_current(conn)
    downgrade(url, "-1")
    with engine.connect() as conn:
        assert not is_current(conn)
    upgrade(url)
    engine.dispose()


@pytest.mark.one_database
def test_hailong_serve_adds_up_its_workers_metrics(backend: str, tmp_path: Path) -> None:
    url = fresh_database("sqlite", "metrics")
    load_demo(url)
    env = {**os.environ, "HAILONG_DATABASE_URL": url}
    port = free_port()
    env |= {"HAILONG_PORT": str(port), "HAILONG_LIMIT_ADDRESS": "100000 per minute"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--workers", "2"],
        cwd=CHECKOUT, env=env, stdout=log, stderr=log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answered(f"{base}/readyz")
        # One worker answered; the other may still be starting (its pool not counted yet, as in
        # one clean-clone run): the sums below are of both.
        pages = ("hailong_db_pool_size", (("pool", "pages"),))
        wait_for(
            lambda: samples(httpx.get(f"{base}/metrics").text).get(pages) == 20,
            what="the second worker did not start",
        )
        with httpx.Client(base_url=base, timeout=10) as http:
            for _ in range(40):
                sent = http.post(
                    "/api/v1/offices/16003.MC/responses", json={"answers": six_answers(4)}
                )
                assert sent.status_code == 201
            for _ in range(3):
                bad = http.post("/api/v1/offices/16003.MC/responses", json={"answers": {}})
                assert bad.status_code == 422
            assert http.post("/api/v1/offices/16003.MC/responses", content=b"{").status_code == 422
            # Whichever worker answers, it adds up both.
            text = http.get("/metrics").text
            found = samples(text)
        stored = ("hailong_ballots_stored_total", (("office_kind", "one-stop"), ("source", "open")))
        assert found[stored] == 40
        assert found[("hailong_writer_batch_ballots_sum", ())] == 40
        assert found[("hailong_writer_commit_seconds_count", ())] >= 1
        route = "/api/v1/offices/{code}/responses"
        timed = ("hailong_request_duration_seconds_count", (("method", "POST"), ("route", route)))
        assert found[timed] == 44
        assert found[("hailong_refusals_total", (("reason", "invalid_ballot"),))] == 3
        assert found[("hailong_refusals_total", (("reason", "validation"),))] == 1
        assert found[("hailong_db_pool_size", (("pool", "pages"),))] == 20  # 2 workers × 10
        assert found[("hailong_live_streams", ())] == 0
        assert "16003" not in text  # no office, device or address is ever a label
        assert "127.0.0.1" not in text
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
