"""The logs never hold a device's credential or a rating link's token: `hailong serve` writes
their paths with the secret part replaced by its kind and a short keyed fingerprint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest

from app.web.logs import Redactor
from tests.conftest import fresh_database
from tests.factories import six_answers
from tests.serving import CHECKOUT, free_port, load_demo, wait_until_answered

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
def test_json_logs_carry_request_ids_and_nothing_personal(backend: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = fresh_database("sqlite", "access_log")
    load_demo(url)
    env = {**os.environ, "HAILONG_DATABASE_URL": url}
    token = subprocess.run(
        [sys.executable, "-m", "app", "token", "create", "demo.admin"],
        cwd=CHECKOUT, env=env, capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    assert token
    port = free_port()
    env |= {
        "HAILONG_PORT": str(port),
        "HAILONG_LOG_FORMAT": "json",
        "HAILONG_TRUSTED_PROXIES": "127.0.0.1",  # so that the citizen's address is another
    }
    log, banner = (tmp_path / "serve.log").open("w"), (tmp_path / "banner.txt").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve"], cwd=CHECKOUT, env=env, stdout=banner, stderr=log
    )
    citizen = "198.51.100.23"
    # An ASCII mark in the comment too: JSON may escape the Vietnamese, never this. (A bare
    # number was once found by chance in a process id or a time.)
    comment = "Cán bộ Nguyễn Văn Bình hướng dẫn rất tận tình HS4711X"
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_answered(f"{base}/healthz")
        with httpx.Client(base_url=base, headers={"X-Forwarded-For": citizen}) as http:
            http.cookies.set("hl_device", "d" * 32)
            for n in range(20):
                sent = http.post(
                    "/api/v1/offices/16003.MC/responses",
                    json={"answers": six_answers(2), "comment": f"{comment} {n}"},
                    headers={"X-Request-ID": f"burst-{n}"},
                )
                assert sent.status_code == 201
                assert sent.headers["x-request-id"] == f"burst-{n}"
            form = http.get("/s/16003.MC")
            assert form.status_code == 200
            api = http.get(
                "/api/v1/offices/16003.MC/summary", headers={"Authorization": f"Bearer {token}"}
            )
            assert api.status_code == 200
            made_up = http.get("/healthz", headers={"X-Request-ID": citizen})
            assert made_up.headers["x-request-id"] != citizen  # an address is not an id
            assert http.get(f"/device/{DEVICE}").status_code == 404
            assert http.get(f"/r/{LINK}").status_code in (400, 404)
        time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
        banner.close()
    written = (tmp_path / "serve.log").read_text()
    lines = [json.loads(line) for line in written.splitlines()]  # every one a JSON object
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    access = [line for line in lines if line["logger"] == "hailong.access"]
    assert len(access) >= 25
    burst = [line for line in access if line.get("request_id", "").startswith("burst-")]
    assert {line["request_id"] for line in burst} == {f"burst-{n}" for n in range(20)}
    assert all(
        line["route"] == "/api/v1/offices/{code}/responses" and line["status"] == 201
        and line["method"] == "POST" and line["duration_ms"] >= 0
        for line in burst
    )  # fmt: skip
    assert all(len(line["request_id"]) == 32 for line in access if line not in burst)
    secrets = (citizen, "Nguyễn Văn Bình", "HS4711X", "d" * 32, token, DEVICE, LINK, "hl_device")
    for secret in secrets:
        assert secret not in written + (tmp_path / "banner.txt").read_text(), secret
