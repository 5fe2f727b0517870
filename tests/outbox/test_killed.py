"""kill -9 between the commit and the send: the server acknowledged a dissatisfied ballot (so
its case, mail and webhook call are committed), died before telling anyone, and a fresh
process delivers them."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
from sqlalchemy import Engine

from app.core.smtp import SmtpTarget
from app.surveys.catalog import SurveyCatalog
from tests.factories import six_answers
from tests.outbox.conftest import Inbox, Receiver
from tests.outbox.test_delivery import _setup, _states
from tests.serving import CHECKOUT, launch


def test_what_a_killed_server_acknowledged_is_delivered_by_the_next(
    outbox_url: str,
    outbox_engine: Engine,
    catalog: SurveyCatalog,
    smtp: tuple[Inbox, SmtpTarget],
    receiver: Receiver,
) -> None:
    inbox, target = smtp
    unit = _setup(outbox_engine, catalog, receiver, ballots=0)
    smtp_url = f"smtp://{target.host}:{target.port}"
    # The server's sender would first run in an hour: it dies long before.
    proc, base = launch(
        outbox_url, env={"HAILONG_NOTICES_SECONDS": "3600", "HAILONG_SMTP_URL": smtp_url}
    )
    try:
        sent = httpx.post(
            f"{base}/api/v1/offices/{unit}/responses",
            json={"answers": six_answers(4, complies=1), "comment": "Chờ quá lâu"},
            timeout=10,
        )
        assert sent.status_code == 201, sent.text
    finally:
        proc.kill()  # SIGKILL: no shutdown, nothing flushed
        proc.wait(timeout=15)
    assert _states(outbox_engine) == {"all": 2, "delivered": 0, "gave_up": 0}
    env = {**os.environ, "HAILONG_DATABASE_URL": outbox_url, "HAILONG_SMTP_URL": smtp_url}
    done = subprocess.run(
        [sys.executable, "-m", "app", "notices", "run"],
        cwd=CHECKOUT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "delivered: 2" in done.stdout
    [mail] = inbox.messages
    assert "Chờ quá lâu" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert sum(receiver.accepted.values()) == 1
