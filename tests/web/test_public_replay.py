"""Public pages are answered from their kept response, headers and encoding included, until the
log's size changes; then made anew."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.locale import VN_TZ
from app.offices.service import update_office
from app.stats.periods import today
from app.surveys.catalog import SurveyCatalog
from app.transparency import sequencer
from tests.factories import make_office, rate


def _rate(db: Session, catalog: SurveyCatalog) -> None:
    day = today()
    rate(db, catalog, "RP.A", 4, datetime(day.year, day.month, 1, 8, tzinfo=VN_TZ))


def test_a_kept_page_is_replayed_until_the_log_grows(
    app: FastAPI, client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    make_office(db, registered, code="RP.A", name="Xã Phát Lại")
    update_office(db, "RP.A", registered, public="on")
    _rate(db, registered)
    memo = app.state.hailong.log_version
    memo.seconds = 3600
    first = client.get("/cong-khai/RP.A")
    assert "1 phiếu" in first.text
    assert first.headers["content-security-policy"]
    _rate(db, registered)  # not yet in the log: the log's size is the same
    again = client.get("/cong-khai/RP.A")
    assert again.content == first.content
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
    zipped = client.get("/cong-khai/RP.A", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert (
        client.get("/cong-khai/RP.A", headers={"Accept-Encoding": "gzip"}).content == zipped.content
    )
    sequencer.append(db.connection())  # the log grows, and its size is read again
    memo.seconds = 0
    assert "2 phiếu" in client.get("/cong-khai/RP.A").text
