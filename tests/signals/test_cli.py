"""The command line: staff networks and opening hours of an office, and a scan on demand."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from app.core.config import get_settings
from app.core.db import get_engine
from app.core.locale import VN_TZ
from app.models import AuditEvent, BallotFlag, Office
from app.surveys.catalog import load_catalog
from tests.factories import rate
from tests.test_cli import cli_db, run

assert cli_db


def test_staff_networks_and_hours_are_set_checked_and_audited(cli_db: str) -> None:
    run("office", "add", "38", "Tỉnh Thanh Hóa", "--kind", "province")
    code, out = run(
        "office", "update", "38", "--staff-network", "10.1.2.0/24, 192.168.5.7",
        "--hours", "T2-T6 07:30-11:30,13:30-17:00; T7 07:30-11:30",
    )  # fmt: skip
    assert code == 0, out
    with Session(get_engine()) as session:
        office = session.exec(select(Office).where(Office.code == "38")).one()
        assert office.staff_networks == "10.1.2.0/24,192.168.5.7/32"
        assert office.opening_hours == "T2-T6 07:30-11:30,13:30-17:00; T7 07:30-11:30"
        actions = {e.action for e in session.exec(select(AuditEvent))}
        assert {"staff_networks", "opening_hours"} <= actions
    code, out = run("office", "update", "38", "--hours", "T2-T8 07:00-11:00")
    assert code == 1
    assert "T2 … T7 and CN" in out
    code, out = run("office", "update", "38", "--staff-network", "10.1.2.0/33")
    assert code == 1
    assert "not a network" in out
    assert run("office", "update", "38", "--hours", "inherit")[0] == 0
    with Session(get_engine()) as session:
        assert session.exec(select(Office).where(Office.code == "38")).one().opening_hours is None


def test_signals_scan_on_demand(cli_db: str) -> None:
    run("office", "add", "38", "Tỉnh Thanh Hóa", "--kind", "province")
    run("office", "add", "38.MC", "Một cửa", "--parent", "38")
    settings = get_settings()
    catalog = load_catalog(settings.surveys_dir, settings.default_survey)
    # Yesterday at ten in Vietnam: one day whatever the hour the test runs.
    yesterday = (datetime.now(VN_TZ) - timedelta(days=1)).replace(hour=10, minute=0)
    with Session(get_engine()) as session:
        from app.surveys.service import register_catalog

        register_catalog(session, catalog)
        for n in range(5):
            at = yesterday + timedelta(minutes=n)
            rate(session, catalog, "38.MC", 5, at, address=f"1.2.3.{n}", device="f" * 32)
        session.commit()
    code, out = run("signals", "scan", "--office", "38")
    assert code == 0, out
    assert "same-device: 5 new flags" in out
    assert run("signals", "scan")[1].strip().endswith("0 new flags in all")
    code, out = run("signals", "scan", "--since", "26-11-2026")
    assert code == 2
    assert "YYYY-MM-DD" in out
    with Session(get_engine()) as session:
        assert len(session.exec(select(BallotFlag)).all()) == 5


def test_bad_settings_are_settings_errors() -> None:
    import pytest
    from pydantic import ValidationError

    from app.core.config import Settings

    for field, value in (
        ("opening_hours", "T2-T9 07:00-08:00"),
        ("trusted_proxies", "10.0.0.0/33"),
    ):
        with pytest.raises(ValidationError, match=field):
            Settings(**{field: value})  # type: ignore[arg-type]
