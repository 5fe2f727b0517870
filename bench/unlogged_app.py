"""The app exactly as served, except that ballots skip the public log: the baseline that
bench/submit.py measures the log's cost against, in the same run. Never served for real."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from app import main
from app.transparency import sequencer


def _no_log(*_args: Any, **_kwargs: Any) -> None:
    return None


def create_app() -> FastAPI:
    sequencer.wait = _no_log
    return main.create_app()
