"""The background scan: one worker at a time, the offices that received ratings since the
last scan, and the day keys deleted once their time is up."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from datetime import datetime, timedelta

from prometheus_client import REGISTRY
from sqlmodel import Session, select

from app.core.db import build_engine
from app.core.locale import VN_TZ
from app.models import SignalKey
from app.signals.background import run_scans, scan_due
from app.signals.record import DAY_KEYS
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import register_catalog
from tests.conftest import fresh_database
from tests.factories import make_office, rate


def test_one_scan_per_interval_and_old_keys_forgotten(backend: str, catalog: SurveyCatalog) -> None:
    engine = build_engine(fresh_database(backend, "scan"), pool_size=2)
    DAY_KEYS.clear()
    # A minute ago, or just after midnight if that was yesterday: one day, and in the past.
    now = datetime.now(VN_TZ)
    morning = max(now - timedelta(minutes=1), now.replace(hour=0, minute=0, second=0))
    try:
        with Session(engine) as session:
            register_catalog(session, catalog)
            office = make_office(session, catalog)
            for n in range(5):
                at = morning + timedelta(milliseconds=n)
                rate(session, catalog, office.code, 4, at, address=f"9.9.9.{n}", device="e" * 32)
            session.add(SignalKey(day="2020-01-01", key="00" * 32))
            session.commit()
        assert scan_due(engine, 300) == {"same-device": 5}
        assert scan_due(engine, 300) is None  # scanned moments ago (by this or another worker)
        with Session(engine) as session:
            days = [k.day for k in session.exec(select(SignalKey))]
        assert "2020-01-01" not in days
        assert days  # today's key stays
    finally:
        engine.dispose()


def test_the_worker_loop_times_each_scan_it_runs(backend: str) -> None:
    engine = build_engine(fresh_database(backend, "scan_timed"), pool_size=2)
    before = REGISTRY.get_sample_value("hailong_signals_scan_seconds_count") or 0

    async def a_few_rounds() -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(run_scans(engine, 0.1), timeout=0.55)

    # A thread of its own: the test's thread may already hold an event loop of another test's.
    rounds = threading.Thread(target=asyncio.run, args=(a_few_rounds(),))
    try:
        rounds.start()
        rounds.join(timeout=30)
    finally:
        engine.dispose()
    # Rounds come every 0.1 s but a scan only when none ran within 0.1 s: a few, all timed.
    ran = (REGISTRY.get_sample_value("hailong_signals_scan_seconds_count") or 0) - before
    assert 1 <= ran <= 5
