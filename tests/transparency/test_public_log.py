"""The log's verifier key at /log/key, from the signing key file HAILONG_LOG_KEY_FILE names;
a file that is not a key stops the app at start, naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.config import get_settings
from app.main import create_app
from tests.test_cli import run


def _app(key_file: Path | None):  # type: ignore[no-untyped-def]
    settings = get_settings().model_copy(update={"log_key_file": key_file})
    return create_app(settings, register_surveys=False)


def test_the_key_is_served_as_keygen_printed_it(tmp_path: Path) -> None:
    key_file = tmp_path / "log.key"
    printed = run("log", "keygen", "--origin", "hailong.example/log", "-o", str(key_file))[1]
    vkey = printed.strip().splitlines()[-1]
    served = TestClient(_app(key_file)).get("/log/key")
    assert served.status_code == 200
    assert served.text == vkey + "\n"
    assert served.headers["content-type"].startswith("text/plain")


def test_no_log_is_a_404_and_a_bad_key_file_stops_the_app(tmp_path: Path) -> None:
    missing = TestClient(_app(None)).get("/log/key")
    assert missing.status_code == 404
    assert "Hệ thống chưa có sổ công khai." in missing.text
    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n")
    with pytest.raises(RuntimeError, match="HAILONG_LOG_KEY_FILE"):
        _app(bad)
