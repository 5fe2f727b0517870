"""The outbox page: admins see what was given up and send it again; nobody else sees it."""

from __future__ import annotations

from sqlmodel import Session
from starlette.testclient import TestClient

from app.models import OutboxMessage
from app.models.types import utcnow
from tests.factories import make_user, sign_in


def test_admins_see_given_up_messages_and_send_them_again(client: TestClient, db: Session) -> None:
    now = utcnow()
    message = OutboxMessage(
        channel="mail",
        event_id="case-7-opened",
        event="case.opened",
        recipient="truong@xa.gov.vn",
        body="x",
        next_at=now,
        attempts=8,
        gave_up_at=now,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )
    db.add(message)
    db.flush()
    csrf = sign_in(client, make_user(db, "admin"))
    page = client.get("/staff/outbox")
    assert page.status_code == 200
    assert "case-7-opened" in page.text
    assert "Connection refused" in page.text
    again = client.post(
        "/staff/outbox/retry",
        data={"csrf": csrf, "message": str(message.id)},
        follow_redirects=False,
    )
    assert again.status_code == 303
    db.refresh(message)
    assert (message.gave_up_at, message.attempts) == (None, 0)


def test_others_are_refused(client: TestClient, db: Session) -> None:
    sign_in(client, make_user(db, "inspector"))
    assert client.get("/staff/outbox").status_code == 403
