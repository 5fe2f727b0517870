"""The command line of cases and notices: addresses, webhooks, the outbox, the timed round, and
a mail server address refused at start-up."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlmodel import Session, select

from app.cli import cli
from app.core.db import get_engine
from app.models import User
from tests.serving import CHECKOUT
from tests.test_cli import cli_db, run, runner

__all__ = ["cli_db"]


def test_addresses_webhooks_and_the_outbox(cli_db: str) -> None:
    assert run("office", "add", "38", "Tỉnh Thanh Hóa", "--kind", "province")[0] == 0
    added = runner.invoke(
        cli,
        ["user", "add", "tt", "--role", "inspector", "--office", "38", "--email",
         "tt@tinh.gov.vn", "--digest", "--password-stdin"],
        input="mat-khau-dai-1\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    with Session(get_engine()) as session:
        user = session.exec(select(User).where(User.username == "tt")).one()
        assert (user.email, user.digest) == ("tt@tinh.gov.vn", True)
    code, out = run("user", "update", "tt", "--email", "không phải địa chỉ")
    assert code == 1
    assert "not an e-mail address" in out
    code, out = run("user", "update", "tt", "--email", "")
    assert code == 1
    assert "digest needs an e-mail address" in out
    assert run("user", "update", "tt", "--no-digest", "--email", "")[0] == 0
    code, out = run("user", "update", "nobody", "--email", "a@b.vn")
    assert code == 1
    assert "error:" in out
    assert run("office", "update", "38", "--case-days", "5", "--alert", "30% 2h 10")[0] == 0
    code, out = run("office", "update", "38", "--alert", "nửa số phiếu")
    assert code == 1
    assert "50% 60m 4" in out
    code, out = run("webhook", "add", "http://127.0.0.1:9/hook", "--office", "38")
    assert code == 0, out
    assert out.strip().splitlines()[-1].startswith("whsec_")
    assert "http://127.0.0.1:9/hook" in run("webhook", "list")[1]
    code, out = run("webhook", "add", "ftp://x", "--office", "38")
    assert code == 1
    code, out = run("webhook", "add", "http://x.vn/h", "--office", "38", "--events", "ballot")
    assert code == 1
    assert run("outbox", "list", "--state", "waiting")[0] == 0
    assert run("outbox", "list", "--state", "lost")[0] == 2
    code, out = run("notices", "run")
    assert code == 0, out


def test_a_malformed_smtp_url_stops_start_up_naming_it() -> None:
    env = {**os.environ, "HAILONG_SMTP_URL": "mail.tinh.gov.vn:25"}
    done = subprocess.run(
        [sys.executable, "-m", "app", "outbox", "list"],
        cwd=CHECKOUT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "HAILONG_SMTP_URL" in done.stderr


def test_a_sender_that_is_not_an_address_stops_start_up() -> None:
    env = {**os.environ, "HAILONG_MAIL_FROM": "hailong"}
    done = subprocess.run(
        [sys.executable, "-m", "app", "outbox", "list"],
        cwd=CHECKOUT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "HAILONG_MAIL_FROM" in done.stderr
