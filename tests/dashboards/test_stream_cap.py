"""A worker keeps at most ``HAILONG_MAX_STREAMS`` live streams; beyond, a clean 503 with
Retry-After that the browser's reconnect logic retries, for dashboards and counter screens."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.sources.service import add_device
from app.surveys.catalog import SurveyCatalog
from tests.factories import make_office, make_user, sign_in


def test_streams_beyond_the_cap_are_refused_cleanly(
    app: FastAPI, client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered, counters=1)
    token, _ = add_device(db, "Quầy 1", office.code, "counter-screen", 1, by="test")
    sign_in(client, make_user(db, "officer", office.code))
    urls = [f"/staff/offices/{office.code}/events", f"/device/{token}/events"]
    watch = app.state.hailong.ballot_watch
    assert watch.max_streams == 5000  # the default
    for url in urls:
        assert client.get(url).status_code == 200
    watch.max_streams = 1
    watch._listeners.add(object())  # type: ignore[arg-type]  # a screen holds the one stream allowed
    for url in urls:
        refused = client.get(url)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "5"
        assert "tự kết nối lại" in refused.text
    watch._listeners.clear()
    for url in urls:
        assert client.get(url).status_code == 200
