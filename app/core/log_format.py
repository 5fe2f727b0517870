"""How log lines are written: ``HAILONG_LOG_FORMAT=text`` for people, ``json`` (one object per
line) for the machines that collect logs (docs/operations.md).

Every line written while a request is handled carries its request id. No line carries a
client's address, a cookie, a token or a citizen's words: the access line names the route's
template, never the path, and nothing else in hailong logs them."""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# Set by the web layer for the request being handled ("" outside one).
request_id: ContextVar[str] = ContextVar("request_id", default="")
# What an access line adds to its record (``extra=``), in this order.
ACCESS_FIELDS = ("method", "route", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", "") or request_id.get()
        if rid:
            line["request_id"] = rid
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        rid = getattr(record, "request_id", "") or request_id.get()
        return f"{text} [{rid}]" if rid else text


FORMATTERS: dict[str, type[logging.Formatter]] = {"json": JsonFormatter, "text": TextFormatter}


def logging_config(fmt: str, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the app and uvicorn alike (``hailong serve`` hands
    it to uvicorn, which applies it in every worker)."""
    handler = {"class": "logging.StreamHandler", "formatter": fmt, "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {fmt: {"()": FORMATTERS[fmt]}},
        "handlers": {"default": handler},
        "loggers": {
            "": {"handlers": ["default"], "level": level},
            "uvicorn": {"level": level},
            "uvicorn.error": {"level": level},
            # Its lines name the client's address and the raw path; hailong's own access line
            # (hailong.access) replaces them.
            "uvicorn.access": {"level": "CRITICAL", "propagate": False},
            "sqlalchemy.engine": {"level": "WARNING"},
            "alembic": {"level": "WARNING"},
        },
    }
