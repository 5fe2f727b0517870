"""The timed notices and the outbox's sender, in every worker.

Every ``HAILONG_NOTICES_SECONDS`` one worker (a row lock on ``signal_scan``, as the signals scan
takes) tells of cases gone overdue, raises threshold alerts, erases contacts kept past their
time and, once a week from Monday 07:00, queues the digests; then every worker delivers what is
due in the outbox, each message claimed by one of them at a time."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import datetime, timedelta

import anyio
import sqlalchemy as sa
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from app.audit import service as audit
from app.cases import notices
from app.cases.citizen import erase_contacts
from app.core.bulk import bulk
from app.core.config import Settings
from app.core.db import begin_write
from app.core.smtp import parse_smtp_url
from app.models import SignalScan
from app.models.types import utcnow
from app.notices.alerts import raise_alerts
from app.notices.digest import send_digests, week_start
from app.offices.tree import load_tree
from app.outbox.delivery import Sending, deliver_due
from app.surveys.catalog import SurveyCatalog

log = logging.getLogger("hailong.notices")
SCAN = SignalScan.__table__  # type: ignore[attr-defined]
TIMED, DIGEST = "notices", "digest"
SYSTEM = "hệ thống"  # who the audit log says erased contacts


def sending(settings: Settings) -> Sending:
    smtp = parse_smtp_url(settings.smtp_url) if settings.smtp_url else None
    return Sending(smtp=smtp, mail_from=settings.mail_from)


def _last(conn: Connection, name: str, first: datetime) -> datetime:
    """The job's last run, its row locked until the transaction ends."""
    sql = bulk(conn)
    columns = ("name", "last_at")
    row = sql.row(SCAN, columns, {"name": name, "last_at": first})
    sql.insert(conn, SCAN, columns, [row], " ON CONFLICT (name) DO NOTHING")
    last: datetime = conn.execute(
        sa.select(SCAN.c.last_at).where(SCAN.c.name == name).with_for_update()
    ).scalar_one()
    return last


def _done(conn: Connection, name: str, at: datetime) -> None:
    conn.execute(sa.update(SCAN).where(SCAN.c.name == name).values(last_at=at))


def run_timed(
    engine: Engine,
    catalog: SurveyCatalog,
    settings: Settings,
    now: datetime | None = None,
    every: float = 0.0,
) -> Counter[str] | None:
    """The timed notices, unless a worker ran them in the last ``every`` seconds (None)."""
    moment = now or utcnow()
    with Session(engine) as session:
        begin_write(session)
        conn = session.connection()
        last = _last(conn, TIMED, moment - timedelta(days=1))
        if every and last > moment - timedelta(seconds=every * 0.9):
            return None
        tree = load_tree(session)
        done: Counter[str] = Counter()
        done["overdue"] = notices.overdue(conn, tree, moment)
        done["alerts"] = raise_alerts(conn, tree, last, moment)
        done["contacts_erased"] = erase_contacts(session, moment)
        if done["contacts_erased"]:
            reason = f"{done['contacts_erased']} phản ánh đóng quá 90 ngày"
            audit.record(session, SYSTEM, "contacts_erased", "", reason)
        monday = week_start(moment)
        if _last(conn, DIGEST, monday - timedelta(days=7)) < monday:
            done["digests"] = send_digests(
                session, catalog, monday.date(), moment, settings.min_responses
            )
            _done(conn, DIGEST, monday)
        _done(conn, TIMED, moment)
        session.commit()
    return done


def tick(
    engine: Engine, catalog: SurveyCatalog, settings: Settings, every: float = 0.0
) -> Counter[str]:
    """One round: the timed notices (if it is this worker's turn), then the outbox."""
    done = run_timed(engine, catalog, settings, every=every) or Counter()
    done.update(deliver_due(engine, sending(settings)))
    return done


async def run_notices(
    engine: Engine, catalog: SurveyCatalog, settings: Settings, every: float
) -> None:
    """Until cancelled (the app's shutdown)."""
    while True:
        await asyncio.sleep(every)
        try:
            done = await anyio.to_thread.run_sync(tick, engine, catalog, settings, every)
            if +done:
                log.info("notices: %s", dict(+done))
        except Exception:  # tried again next time; the app goes on
            log.exception("notices failed")
