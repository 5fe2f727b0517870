"""Log lines as people and log collectors read them, each with its request's id."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

from app.core.log_format import JsonFormatter, TextFormatter, request_id


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord("hailong.access", logging.INFO, __file__, 1, "GET %s", ("/x",), None)
    record.__dict__.update(extra)
    return record


def test_a_json_line_is_one_object_with_the_request_id() -> None:
    token = request_id.set("req-1")
    try:
        line = JsonFormatter().format(_record(route="/x", status=200, duration_ms=1.5))
    finally:
        request_id.reset(token)
    assert "\n" not in line
    found = json.loads(line)
    assert found["level"] == "info"
    assert found["logger"] == "hailong.access"
    assert found["message"] == "GET /x"
    assert found["request_id"] == "req-1"
    assert (found["route"], found["status"], found["duration_ms"]) == ("/x", 200, 1.5)
    assert found["time"].endswith("+00:00")
    assert "request_id" not in json.loads(JsonFormatter().format(_record()))  # outside a request


def test_a_text_line_ends_with_the_request_id() -> None:
    token = request_id.set("req-2")
    try:
        assert TextFormatter().format(_record()).endswith("hailong.access: GET /x [req-2]")
    finally:
        request_id.reset(token)


def test_an_unknown_log_format_is_refused_at_start() -> None:
    env = {**os.environ, "HAILONG_LOG_FORMAT": "xml"}
    done = subprocess.run(
        [sys.executable, "-m", "app", "serve"], capture_output=True, text=True, env=env,
        check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "HAILONG_LOG_FORMAT: Input should be 'text' or 'json'" in done.stderr
