"""A real SMTP server (aiosmtpd) and a real HTTP receiver that checks Standard Webhooks
signatures and dedupes by ``webhook-id``, on 127.0.0.1; a database of their own, since the
sender works in transactions of its own, not in a test's rolled-back one."""

from __future__ import annotations

import email
import threading
from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy import Engine
from standardwebhooks.webhooks import Webhook as Signer

from app.core.db import build_engine
from app.core.smtp import SmtpTarget
from app.outbox.delivery import Sending
from tests.conftest import fresh_database
from tests.serving import free_port

CLEARED = ("outbox_attempt", "outbox_message", "webhook")


class Inbox:
    """What the SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))  # type: ignore[arg-type]
        return "250 OK"

    def ids(self) -> Counter[str]:
        return Counter(str(m["Message-ID"]) for m in self.messages)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, SmtpTarget]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, SmtpTarget("127.0.0.1", controller.port)
    finally:
        controller.stop()


class Receiver:
    """An HTTP endpoint as a province's system would run it: it verifies each call's
    signature, answers 503 while ``down``, and counts each ``webhook-id`` it accepted."""

    def __init__(self) -> None:
        self.secret = ""
        self.down = False
        self.accepted: Counter[str] = Counter()
        self.bodies: list[dict[str, Any]] = []
        self.refused = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                with receiver.lock:
                    if receiver.down:
                        self.send_response(503)
                    else:
                        try:
                            data = Signer(receiver.secret).verify(body, dict(self.headers))
                        except Exception:
                            receiver.refused += 1
                            self.send_response(400)
                        else:
                            receiver.accepted[self.headers["webhook-id"]] += 1
                            receiver.bodies.append(data)
                            self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hailong"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        found.server.shutdown()
        found.server.server_close()


@pytest.fixture(scope="module")
def outbox_url(backend: str) -> str:
    return fresh_database(backend, "outbox")


@pytest.fixture
def outbox_engine(outbox_url: str) -> Iterator[Engine]:
    engine = build_engine(outbox_url, pool_size=4)
    with engine.begin() as conn:
        for table in CLEARED:
            conn.execute(sa.text(f"DELETE FROM {table}"))
    yield engine
    engine.dispose()


def sending(target: SmtpTarget | None) -> Sending:
    return Sending(smtp=target, mail_from="hailong@tinh.gov.vn")
