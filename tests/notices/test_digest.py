"""The weekly digest: what it says, to whom, when."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from app.auth.service import set_mail
from app.core.locale import VN_TZ
from app.models import BallotFlag, OutboxMessage
from app.notices.digest import send_digests, week_start
from app.surveys.catalog import SurveyCatalog
from tests.factories import make_office, make_user, rate, six_answers


def test_the_week_starts_on_monday_at_seven_in_vietnam() -> None:
    sunday_night = datetime(2026, 12, 6, 23, 0, tzinfo=VN_TZ)
    assert week_start(sunday_night) == datetime(2026, 11, 30, 7, 0, tzinfo=VN_TZ)
    monday_early = datetime(2026, 12, 7, 6, 59, tzinfo=VN_TZ)
    assert week_start(monday_early) == datetime(2026, 11, 30, 7, 0, tzinfo=VN_TZ)
    monday = datetime(2026, 12, 7, 7, 0, tzinfo=VN_TZ)
    assert week_start(monday) == monday


def test_subscribers_get_their_subtree_s_week(db: Session, registered: SurveyCatalog) -> None:
    unit = make_office(db, registered, name="Bộ phận một cửa phường Ba Đình")
    subscriber = make_user(db, "inspector", unit.code)
    set_mail(db, subscriber, "tt@tinh.gov.vn", True, by="test")
    quiet = make_user(db, "officer", unit.code)
    set_mail(db, quiet, "cb@xa.gov.vn", None, by="test")  # an address, no digest
    ids = []
    for day, value in ((24, 5), (25, 4), (26, 2)):  # last week: Mon 23 – Sun 29 Nov 2026
        at = datetime(2026, 11, day, 9, tzinfo=VN_TZ)
        ids.append(rate(db, registered, unit.code, six_answers(value), at))
    for ballot_id, day in ((ids[0], 24), (ids[1], 25)):  # one rule, two days: two clusters
        flag = BallotFlag(
            ballot_id=ballot_id,
            office_id=unit.id or 0,
            rule="burst",
            version=1,
            evidence="{}",
            ballot_at=datetime(2026, 11, day, 9, tzinfo=VN_TZ),
        )
        db.add(flag)
    db.flush()
    now = datetime(2026, 11, 30, 7, 5, tzinfo=VN_TZ)
    assert send_digests(db, registered, date(2026, 11, 30), now, 30) == 1
    [mail] = db.exec(select(OutboxMessage).where(OutboxMessage.event == "digest")).all()
    assert mail.recipient == "tt@tinh.gov.vn"
    assert mail.subject == "[Hài lòng] Bản tin tuần 23/11/2026 – 29/11/2026"
    assert "Bộ phận một cửa phường Ba Đình: 3 phiếu; tỷ lệ hài lòng 66,7" in mail.body
    assert "Phản ánh chờ trả lời: 1, trong đó quá hạn: 0." in mail.body
    assert "Phiếu nghi vấn chờ xem xét: 2, trong 2 nhóm." in mail.body
    # Queued again for the same week (a retry of the job): stored once.
    send_digests(db, registered, date(2026, 11, 30), now, 30)
    assert len(db.exec(select(OutboxMessage).where(OutboxMessage.event == "digest")).all()) == 1
