"""Every message is delivered at least once and never lost: through a real SMTP server and a
real HTTP receiver, across an hour's outage, two racing senders and a sender that dies."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from app.auth.service import set_mail
from app.ballots.service import submit
from app.ballots.validation import Submission
from app.core.smtp import SmtpTarget
from app.models import OutboxMessage
from app.models.types import utcnow
from app.outbox import admin, webhooks
from app.outbox.delivery import _claim, deliver_due
from app.outbox.schedule import ATTEMPTS
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import register_catalog
from tests.factories import make_office, make_user, six_answers
from tests.outbox.conftest import Inbox, Receiver, sending

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


def _setup(engine: Engine, catalog: SurveyCatalog, receiver: Receiver, ballots: int = 1) -> str:
    """A province, a unit with a head, a province inspector and a webhook on the province;
    ``ballots`` dissatisfied ballots at the unit, committed. The unit's code."""
    tag = uuid.uuid4().hex[:6].upper()
    with Session(engine) as session:
        register_catalog(session, catalog)
        province = make_office(session, catalog, code=f"P{tag}", kind="province")
        unit = make_office(session, catalog, code=f"U{tag}", parent=province.code)
        head = make_user(session, "officer", unit.code)
        head.is_head = True
        set_mail(session, head, f"truong.{tag.lower()}@xa.gov.vn", None, by="test")
        inspector = make_user(session, "inspector", province.code)
        set_mail(session, inspector, f"thanh.tra.{tag.lower()}@tinh.gov.vn", None, by="test")
        _, receiver.secret = webhooks.add(session, province, receiver.url, "case.opened,alert")
        for _ in range(ballots):
            submit(
                session,
                catalog,
                unit.code,
                Submission(answers=six_answers(4, complies=1), comment="Máy lấy số bị hỏng"),
                channel="api",
                idempotency_key=uuid.uuid4().hex,
                strict_replay=True,
            )
        code = unit.code
        session.commit()
    return code


def _states(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.count(OUTBOX.c.delivered_at),
                sa.func.count(OUTBOX.c.gave_up_at),
            )
        ).one()
    return {"all": rows[0], "delivered": rows[1], "gave_up": rows[2]}


def test_a_new_case_reaches_the_head_by_mail_and_the_province_by_webhook(
    outbox_engine: Engine,
    catalog: SurveyCatalog,
    smtp: tuple[Inbox, SmtpTarget],
    receiver: Receiver,
) -> None:
    inbox, target = smtp
    unit = _setup(outbox_engine, catalog, receiver)
    assert _states(outbox_engine) == {"all": 2, "delivered": 0, "gave_up": 0}
    done = deliver_due(outbox_engine, sending(target))
    assert done == {"delivered": 2}
    [mail] = inbox.messages
    assert mail["Subject"].startswith("[Hài lòng] Phản ánh mới số ")
    assert mail["To"].startswith("truong.")
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Máy lấy số bị hỏng" in text
    assert "Máy lấy số bị hỏng" in html
    assert f"/staff/offices/{unit}/cases#case-" in text
    [body] = receiver.bodies
    assert body["type"] == "case.opened"
    assert body["data"]["office"] == unit
    assert "receipt" not in body["data"]
    assert "contact" not in body["data"]
    assert deliver_due(outbox_engine, sending(target)) == {}  # nothing twice


def test_an_hour_down_then_everything_arrives_once(
    outbox_engine: Engine,
    catalog: SurveyCatalog,
    smtp: tuple[Inbox, SmtpTarget],
    receiver: Receiver,
) -> None:
    inbox, target = smtp
    _setup(outbox_engine, catalog, receiver, ballots=3)
    dead = SmtpTarget("127.0.0.1", 1)  # nothing listens there: connection refused
    receiver.down = True
    start = utcnow()
    moments = [start + timedelta(seconds=s) for s in (0, 7, 7 + 6 * 60, 7 + 6 * 60 + 36 * 60)]
    for moment in moments:  # four tries, the schedule's first waits, all within the hour
        assert deliver_due(outbox_engine, sending(dead), now=moment) == {"failed": 6}
    assert deliver_due(outbox_engine, sending(dead), now=moments[-1] + timedelta(minutes=1)) == {}
    receiver.down = False
    later = start + timedelta(hours=4)  # past the 2 h wait after the fourth try, jittered
    assert deliver_due(outbox_engine, sending(target), now=later) == {"delivered": 6}
    assert len(inbox.messages) == 3
    assert set(inbox.ids().values()) == {1}
    assert len(receiver.accepted) == 3
    assert set(receiver.accepted.values()) == {1}
    with outbox_engine.connect() as conn:
        tries = conn.execute(sa.text("SELECT count(*) FROM outbox_attempt")).scalar_one()
    assert tries == 6 * 5


def test_two_senders_racing_deliver_each_message_once(
    outbox_engine: Engine,
    catalog: SurveyCatalog,
    smtp: tuple[Inbox, SmtpTarget],
    receiver: Receiver,
) -> None:
    inbox, target = smtp
    _setup(outbox_engine, catalog, receiver, ballots=20)
    results: list[Any] = []

    def send() -> None:
        results.append(deliver_due(outbox_engine, sending(target)))

    racers = [threading.Thread(target=send) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert sum(r["delivered"] for r in results) == 40
    assert len(inbox.messages) == 20
    assert set(inbox.ids().values()) == {1}
    assert sum(receiver.accepted.values()) == 20
    assert _states(outbox_engine)["delivered"] == 40


def test_a_sender_that_dies_mid_send_lets_the_message_go_again(
    outbox_engine: Engine,
    catalog: SurveyCatalog,
    smtp: tuple[Inbox, SmtpTarget],
    receiver: Receiver,
) -> None:
    inbox, target = smtp
    _setup(outbox_engine, catalog, receiver)
    now = utcnow()
    with outbox_engine.connect() as conn:
        ids = list(conn.execute(sa.select(OUTBOX.c.id)).scalars())
    for message_id in ids:  # claimed, then the sender is gone before it records anything
        assert _claim(outbox_engine, message_id, now) is not None
    assert deliver_due(outbox_engine, sending(target), now=now + timedelta(seconds=30)) == {}
    after = now + timedelta(minutes=3)  # the lease ran out
    assert deliver_due(outbox_engine, sending(target), now=after) == {"delivered": 2}
    assert len(inbox.messages) == 1
    assert sum(receiver.accepted.values()) == 1


def test_given_up_visibly_then_sent_again_by_hand(
    outbox_engine: Engine,
    catalog: SurveyCatalog,
    smtp: tuple[Inbox, SmtpTarget],
    receiver: Receiver,
) -> None:
    inbox, target = smtp
    _setup(outbox_engine, catalog, receiver)
    dead = SmtpTarget("127.0.0.1", 1)
    receiver.down = True
    moment: datetime = utcnow()
    outcomes: list[Any] = []
    for _ in range(ATTEMPTS):
        outcomes.append(deliver_due(outbox_engine, sending(dead), now=moment))
        moment += timedelta(hours=13)  # past any wait of the schedule
    assert outcomes[-1] == {"gave_up": 2}
    assert sum(o["failed"] for o in outcomes) == 2 * 7
    with Session(outbox_engine) as session:
        given_up = admin.lines(session, "gave_up")
        assert len(given_up) == 2
        assert given_up[0].attempts == ATTEMPTS
        assert given_up[0].last_error
        assert admin.counts(session)["gave_up"] == 2
        assert admin.retry(session, None, "test") == 2
        session.commit()
    receiver.down = False
    assert deliver_due(outbox_engine, sending(target)) == {"delivered": 2}
    assert len(inbox.messages) == 1


def test_mail_waits_untried_without_an_smtp_server(
    outbox_engine: Engine, catalog: SurveyCatalog, receiver: Receiver
) -> None:
    _setup(outbox_engine, catalog, receiver)
    assert deliver_due(outbox_engine, sending(None)) == {"delivered": 1}  # the webhook only
    assert _states(outbox_engine) == {"all": 2, "delivered": 1, "gave_up": 0}


def test_the_standard_webhooks_vector() -> None:
    # The signature the Standard Webhooks spec's reference libraries are tested with.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    at = datetime.fromtimestamp(1614265330).astimezone()
    sent = webhooks.headers(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", at, '{"test": 2432232314}')
    assert sent["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sent["webhook-timestamp"] == "1614265330"


def test_the_timed_round_runs_once_per_turn_and_the_digest_once_a_week(
    outbox_engine: Engine,
    catalog: SurveyCatalog,
    smtp: tuple[Inbox, SmtpTarget],
    receiver: Receiver,
) -> None:
    from app.core.config import get_settings
    from app.core.locale import VN_TZ
    from app.notices.background import run_timed

    inbox, target = smtp
    _setup(outbox_engine, catalog, receiver)
    with Session(outbox_engine) as session:
        reader = make_user(session, "admin")
        set_mail(session, reader, "lanh.dao@tinh.gov.vn", True, by="test")
        session.commit()
    settings = get_settings()
    monday = datetime(2027, 1, 4, 7, 30, tzinfo=VN_TZ)
    first = run_timed(outbox_engine, catalog, settings, now=monday, every=60)
    assert first is not None
    assert first["digests"] >= 1
    assert run_timed(outbox_engine, catalog, settings, now=monday, every=60) is None  # a turn
    later = run_timed(outbox_engine, catalog, settings, now=monday + timedelta(hours=1))
    assert later is not None
    assert "digests" not in later  # once a week
    deliver_due(outbox_engine, sending(target), now=monday + timedelta(hours=1))
    digests = [m for m in inbox.messages if m["To"] == "lanh.dao@tinh.gov.vn"]
    assert len(digests) == 1
    assert str(digests[0]["Subject"]) == "[Hài lòng] Bản tin tuần 28/12/2026 – 03/01/2027"
