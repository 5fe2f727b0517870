"""The stuffing the triage tests look at."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session

from app.core.locale import VN_TZ
from app.signals.scan import scan
from app.surveys.catalog import SurveyCatalog
from tests.factories import make_office, rate

DAY = datetime(2026, 10, 5, 8, 0, tzinfo=VN_TZ)  # a Monday


def _rate(
    db: Session, catalog: SurveyCatalog, code: str, value: int, at: datetime, device: str
) -> None:
    rate(db, catalog, code, value, at, address=f"addr-{device}", device=device)


@pytest.fixture
def flagged(db: Session, registered: SurveyCatalog) -> dict[str, str]:
    """A commune with two units: honest ratings in both, and one phone stuffing unit A."""
    make_office(db, registered, code="TRI", kind="commune")
    make_office(db, registered, code="TRI.A", parent="TRI")
    make_office(db, registered, code="TRI.B", parent="TRI")
    for n in range(40):
        at = DAY + timedelta(minutes=7 * n)
        _rate(db, registered, "TRI.A", 5 if n % 2 else 2, at, uuid.uuid4().hex)
        _rate(db, registered, "TRI.B", 4, at, uuid.uuid4().hex)
    for n in range(10):
        _rate(db, registered, "TRI.A", 5, DAY + timedelta(hours=3, minutes=11 * n), "phone")
    scan(db.connection(), since=DAY)
    return {"code": "TRI"}
