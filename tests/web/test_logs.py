"""The logs never hold a device's credential or a rating link's token: `hailong serve` writes
their paths with the secret part replaced by its kind and a short keyed fingerprint."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from app.web.logs import Redactor
from tests.conftest import fresh_database
from tests.serving import CHECKOUT, free_port

DEVICE = "hld_" + "k" * 40
LINK = "AQ" + "x" * 100


def test_secret_parts_become_a_kind_and_a_fingerprint() -> None:
    redactor = Redactor("a-secret-of-at-least-thirty-two-characters")
    device = redactor.path(f"/device/{DEVICE}/events")
    assert DEVICE not in device
    assert device.startswith("/device/hld_…")
    assert device.endswith("/events")
    link = redactor.path(f"/r/{LINK}?lang=en")
    assert LINK not in link
    assert link.startswith("/r/…")
    assert link.endswith("?lang=en")
    assert redactor.path(f"/device/{DEVICE}") == redactor.path(f"/device/{DEVICE}")  # stable
    assert redactor.path("/s/16003.MC") == "/s/16003.MC"
    other = Redactor("another-secret-of-at-least-thirty-two-chars")
    assert other.path(f"/device/{DEVICE}") != redactor.path(f"/device/{DEVICE}")


@pytest.mark.one_database
def test_hailong_serve_keeps_tokens_out_of_its_access_log(backend: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = fresh_database("sqlite", "access_log")
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    env = {**os.environ, "HAILONG_DATABASE_URL": url, "HAILONG_PORT": str(port)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve"], cwd=CHECKOUT, env=env, stdout=log, stderr=log
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        assert httpx.get(f"{base}/device/{DEVICE}").status_code == 404
        assert httpx.get(f"{base}/r/{LINK}").status_code in (400, 404)
        time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    written = (tmp_path / "serve.log").read_text()
    assert "GET /device/hld_…" in written
    assert "GET /r/…" in written
    assert DEVICE not in written
    assert LINK not in written
