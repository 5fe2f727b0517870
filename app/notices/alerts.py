"""Threshold alerts: a unit whose share of ballots not satisfied (those that open a case: any
answer below "satisfied") in a sliding window reaches its tree's line, on enough ballots, is
told at once to its heads and the parent unit's inspectors, and to the webhooks above it; at
most once per window."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Connection

from app.cases.notices import mail
from app.core.config import get_settings
from app.core.locale import format_local, format_percent
from app.core.thresholds import AlertRule, parse_alert_rule
from app.models import Ballot, Case, Office, OfficeAlert
from app.offices.tree import Tree
from app.outbox.queue import Event, enqueue, heads_of, inspectors_of

BALLOT = Ballot.__table__  # type: ignore[attr-defined]
CASE = Case.__table__  # type: ignore[attr-defined]
OFFICE = Office.__table__  # type: ignore[attr-defined]
ALERT = OfficeAlert.__table__  # type: ignore[attr-defined]


def rules(conn: Connection, tree: Tree, office_ids: list[int]) -> dict[int, AlertRule]:
    """Each office's rule: its own, else its nearest ancestor's, else ``HAILONG_ALERT_RULE``;
    offices whose rule is "off" are left out."""
    own: dict[int, str] = dict(
        conn.execute(
            sa.select(OFFICE.c.id, OFFICE.c.alert_rule).where(OFFICE.c.alert_rule.is_not(None))
        ).all()
    )
    default = get_settings().alert_rule
    found = {}
    for office in office_ids:
        text = next((own[i] for i in tree.path(office) if i in own), default)
        rule = parse_alert_rule(text)
        if rule is not None:
            found[office] = rule
    return found


def raise_alerts(conn: Connection, tree: Tree, since: datetime, now: datetime) -> int:
    """Check the offices that received ballots since ``since``; how many alerts were raised."""
    offices = list(
        conn.execute(
            sa.select(BALLOT.c.office_id)
            .where(BALLOT.c.submitted_at >= since, BALLOT.c.is_demo.is_(False))
            .distinct()
        ).scalars()
    )
    raised = 0
    for office_id, rule in rules(conn, tree, [o for o in offices if o in tree.offices]).items():
        start = now - timedelta(minutes=rule.minutes)
        ballots = conn.execute(
            sa.select(sa.func.count()).where(
                BALLOT.c.office_id == office_id,
                BALLOT.c.submitted_at > start,
                BALLOT.c.submitted_at <= now,
            )
        ).scalar_one()
        if ballots < rule.min_ballots:
            continue
        bad = conn.execute(
            sa.select(sa.func.count()).where(
                CASE.c.office_id == office_id,
                CASE.c.origin == "ballot",
                CASE.c.opened_at > start,
                CASE.c.opened_at <= now,
            )
        ).scalar_one()
        recent = conn.execute(
            sa.select(ALERT.c.id).where(ALERT.c.office_id == office_id, ALERT.c.raised_at > start)
        ).first()
        if bad / ballots < rule.share or recent is not None:
            continue
        _alert(conn, tree, office_id, rule, ballots, bad, now)
        raised += 1
    return raised


def _alert(
    conn: Connection, tree: Tree, office_id: int, rule: AlertRule, n: int, bad: int, now: datetime
) -> None:
    conn.execute(
        sa.insert(ALERT).values(
            office_id=office_id, raised_at=now, ballots=n, not_satisfied=bad, rule=str(rule)
        )
    )
    code, name, parent = tree.offices[office_id]
    base = get_settings().public_url
    notice = mail(
        f"Cảnh báo: nhiều phiếu chưa hài lòng – {name}",
        [
            f"Trong {rule.minutes} phút tới {format_local(now)}, {name} nhận {n} phiếu, "
            f"trong đó {bad} phiếu ({format_percent(bad / n)}) chưa hài lòng ở ít nhất một "
            f"tiêu chí. Ngưỡng cảnh báo: {rule.describe_vi()}.",
            "Các phiếu chưa hài lòng đều đã mở phản ánh để đơn vị trả lời.",
        ],
        f"{base}/staff/offices/{code}/cases",
        "Xem phản ánh của đơn vị",
    )
    data = {"office": code, "ballots": n, "not_satisfied": bad, "minutes": rule.minutes}
    event = Event("alert", f"alert-{office_id}-{int(now.timestamp())}", office_id, data, now)
    to = [*heads_of(conn, [office_id]).get(office_id, []), *inspectors_of(conn, parent)]
    enqueue(conn, event, mail=notice, to=to, path=tree.path(office_id))
