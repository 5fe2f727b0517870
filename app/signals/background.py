"""The windowed rules in the background: every ``HAILONG_SIGNALS_SCAN_SECONDS`` one worker
(whichever gets there first: a row lock on ``signal_scan`` makes the others skip) scans the
offices that received ratings since the last scan, and deletes the day keys past their time."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

import anyio
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from app.core import metrics
from app.core.bulk import bulk
from app.core.db import begin_write
from app.models import BallotSignal, SignalScan
from app.models.types import utcnow
from app.signals.keys import forget_old_keys
from app.signals.scan import scan

log = logging.getLogger("hailong.signals")
NAME = "windowed"
SCAN = SignalScan.__table__  # type: ignore[attr-defined]
SIGNAL = BallotSignal.__table__  # type: ignore[attr-defined]


def scan_due(engine: Engine, every: float) -> dict[str, int] | None:
    """Scan if no worker did in the last ``every`` seconds; the new flags by rule, or None."""
    with Session(engine) as session:
        begin_write(session)
        conn = session.connection()
        now = utcnow()
        sql = bulk(conn)
        first = now - timedelta(days=1)
        sql.insert(
            conn,
            SCAN,
            ("name", "last_at"),
            [sql.row(SCAN, ("name", "last_at"), {"name": NAME, "last_at": first})],
            " ON CONFLICT (name) DO NOTHING",
        )
        last = conn.execute(
            sa.select(SCAN.c.last_at).where(SCAN.c.name == NAME).with_for_update()
        ).scalar_one()
        if last > now - timedelta(seconds=every * 0.9):
            return None
        offices = list(
            conn.execute(sa.select(SIGNAL.c.office_id).where(SIGNAL.c.at >= last).distinct())
            .scalars()
            .all()
        )
        raised = scan(conn, since=last, until=now, office_ids=offices) if offices else {}
        conn.execute(sa.update(SCAN).where(SCAN.c.name == NAME).values(last_at=now))
        forget_old_keys(conn, now)
        session.commit()
        if raised:
            log.info("signals scan: new flags %s", raised)
        return raised


async def run_scans(engine: Engine, every: float) -> None:
    """Until cancelled (the app's shutdown)."""
    while True:
        await asyncio.sleep(every)
        try:
            started = time.perf_counter()
            if await anyio.to_thread.run_sync(scan_due, engine, every) is not None:
                metrics.signals_scan.observe(time.perf_counter() - started)
        except Exception:  # a scan that failed is tried again next time; the app goes on
            log.exception("signals scan failed")
