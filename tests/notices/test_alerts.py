"""Threshold alerts and overdue notices, queued in the outbox with the right receivers."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from app.auth.service import set_mail
from app.cases import notices
from app.models import Case, Office, OutboxMessage
from app.models.types import utcnow
from app.notices.alerts import raise_alerts
from app.offices.tree import load_tree
from app.outbox.webhooks import add
from app.surveys.catalog import SurveyCatalog
from tests.factories import make_office, make_user, rate, six_answers


def _unit_with_people(db: Session, catalog: SurveyCatalog) -> tuple[Office, Office]:
    province = make_office(db, catalog, kind="province")
    unit = make_office(db, catalog, parent=province.code)
    head = make_user(db, "officer", unit.code)
    head.is_head = True
    set_mail(db, head, "truong@xa.gov.vn", None, by="test")
    set_mail(db, make_user(db, "inspector", province.code), "tt@tinh.gov.vn", None, by="test")
    add(db, province, "http://127.0.0.1:9/hook", "alert,case.overdue")
    return province, unit


def _queued(db: Session, event: str) -> list[OutboxMessage]:
    return list(db.exec(select(OutboxMessage).where(OutboxMessage.event == event)))


def test_a_run_of_dissatisfied_ballots_alerts_once_per_window(
    db: Session, registered: SurveyCatalog
) -> None:
    _, unit = _unit_with_people(db, registered)
    now = utcnow()
    for minutes, value in ((50, 5), (40, 2), (30, 5), (20, 5)):
        rate(db, registered, unit.code, value, now - timedelta(minutes=minutes))
    conn, tree = db.connection(), load_tree(db)
    assert raise_alerts(conn, tree, now - timedelta(hours=1), now) == 0  # 1 of 4 is 25 %
    for minutes in (10, 5):
        rate(db, registered, unit.code, 1, now - timedelta(minutes=minutes))
    assert raise_alerts(conn, tree, now - timedelta(hours=1), now) == 1  # 3 of 6: the line
    assert raise_alerts(conn, tree, now - timedelta(hours=1), now + timedelta(minutes=1)) == 0
    queued = _queued(db, "alert")
    assert sorted(m.recipient for m in queued if m.channel == "mail") == [
        "truong@xa.gov.vn",
        "tt@tinh.gov.vn",
    ]
    assert [m.channel for m in queued].count("webhook") == 1
    [mail] = [m for m in queued if m.recipient == "truong@xa.gov.vn"]
    assert "nhận 6 phiếu, trong đó 3 phiếu (50,0\u00a0%) chưa hài lòng" in mail.body


def test_off_sends_no_alert(db: Session, registered: SurveyCatalog) -> None:
    province, unit = _unit_with_people(db, registered)
    province.alert_rule = "off"
    db.add(province)
    db.flush()
    now = utcnow()
    for minutes in (10, 9, 8, 7, 6):
        rate(db, registered, unit.code, 1, now - timedelta(minutes=minutes))
    assert raise_alerts(db.connection(), load_tree(db), now - timedelta(hours=1), now) == 0


def test_overdue_cases_are_told_once_to_the_head_and_the_parent_inspectors(
    db: Session, registered: SurveyCatalog
) -> None:
    _, unit = _unit_with_people(db, registered)
    long_ago = utcnow() - timedelta(days=30)
    rate(db, registered, unit.code, six_answers(4, complies=2), long_ago)
    rate(db, registered, unit.code, six_answers(4, complies=2), utcnow())  # not due yet
    conn, tree = db.connection(), load_tree(db)
    assert notices.overdue(conn, tree) == 1
    assert notices.overdue(conn, tree) == 0
    queued = _queued(db, "case.overdue")
    assert sorted(m.recipient for m in queued if m.channel == "mail") == [
        "truong@xa.gov.vn",
        "tt@tinh.gov.vn",
    ]
    [case] = [c for c in db.exec(select(Case)) if c.overdue_noticed_at is not None]
    assert case.opened_at == long_ago
