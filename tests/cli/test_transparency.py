"""The public record's commands on a real database: an office published and withdrawn, the log
sequenced and signed, and `hailong log sequence` refusing a key file that is not one."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from app.core.config import get_settings
from app.core.db import get_engine
from app.models import LogCheckpoint, Office
from tests.test_cli import cli_db, run

__all__ = ["cli_db"]


def _public(code: str) -> bool | None:
    with Session(get_engine()) as session:
        return session.exec(select(Office.public).where(Office.code == code)).one()


def test_an_office_publishes_and_the_log_is_signed(
    cli_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("office", "add", "38", "Tỉnh Thanh Hóa", "--kind", "province")[0] == 0
    assert run("office", "update", "38", "--public", "on")[0] == 0
    assert _public("38") is True
    assert run("office", "update", "38", "--public", "inherit")[0] == 0
    assert _public("38") is None
    code, out = run("office", "update", "38", "--public", "có")
    assert code == 1
    assert "on, off or inherit" in out
    key = tmp_path / "log.key"
    assert run("log", "keygen", "--origin", "tinh.example/log", "-o", str(key))[0] == 0
    monkeypatch.setattr(get_settings(), "log_key_file", key)
    code, out = run("log", "sequence")
    assert code == 0, out
    assert out.strip() == "0 entries appended; checkpoint of 0 signed"
    with Session(get_engine()) as session:
        assert session.exec(select(LogCheckpoint.size)).all() == [0]
    bad = tmp_path / "bad.key"
    bad.write_text("PRIVATE+KEY+nope\n")
    monkeypatch.setattr(get_settings(), "log_key_file", bad)
    code, out = run("log", "sequence")
    assert code == 2
    assert "HAILONG_LOG_KEY_FILE" in out
