"""What a running app keeps for its requests, typed, in one place: ``create_app`` builds it as
``app.state.hailong``, and handlers and dependencies read it through ``state(request)``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from sqlalchemy import Connection
from starlette.requests import HTTPConnection

from app.ballots.intake import Intake
from app.core.config import Settings
from app.dashboards.ballot_watch import BallotWatch
from app.dashboards.cache import FiguresCache
from app.dashboards.push import Fragments
from app.signals.limiter import RatingLimits
from app.sources.links import Keys
from app.surveys.catalog import SurveyCatalog
from app.web.logs import Redactor


class Memo:
    """A value read at most once every ``seconds`` (per process), whoever asks meanwhile."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._at = -float("inf")
        self._value: int | None = None

    def peek(self) -> tuple[bool, int | None]:
        """Whether the value is current, and the value."""
        return time.monotonic() - self._at < self.seconds, self._value

    def get(self, read: Callable[[], int | None]) -> int | None:
        with self._lock:
            if time.monotonic() - self._at >= self.seconds:
                self._value, self._at = read(), time.monotonic()
            return self._value


@dataclass
class AppState:
    settings: Settings
    catalog: SurveyCatalog
    keys: Keys  # sign rating links and counter QRs
    rating_limits: RatingLimits
    figures_cache: FiguresCache
    fragments: Fragments  # the live screens' rendered blocks
    ballot_watch: BallotWatch
    live_stream_seconds: float
    # Exports stream after the request's session is closed: they read on a connection of
    # their own.
    export_connection: Callable[[], AbstractContextManager[Connection]]
    redactor: Redactor  # paths as the logs write them
    intake: Intake | None = None  # set when the app starts (tests bring their own)
    log_key: str | None = None  # the public log's verifier key, when it has one
    # Public pages and open data, rendered once per log size (app/web/routes/public_results.py).
    public_cache: FiguresCache = field(default_factory=lambda: FiguresCache(seconds=60.0))
    log_version: Memo = field(default_factory=lambda: Memo(1.0))  # the log's size, as they read it
    # Their whole responses, as they went out (app/web/public_replay.py).
    public_replay: FiguresCache = field(default_factory=lambda: FiguresCache(seconds=60.0))

    @property
    def stopping(self) -> bool:
        """A SIGTERM came (``app/web/stopping.py``): finish what was taken, take nothing new.
        The live streams' watcher keeps the one flag, which it reads for its own streams."""
        return self.ballot_watch.closing

    @property
    def log_origin(self) -> str | None:
        return self.log_key.split("+", 1)[0] if self.log_key else None

    def figures_changed(self, offices: Collection[int]) -> None:
        """A decision changed these offices' figures (an exclusion, a cluster): drop what this
        process keeps of them, the figures and the live screens' blocks alike."""
        self.figures_cache.invalidate(offices)
        self.fragments.invalidate(offices)


def state(request: HTTPConnection) -> AppState:
    found: AppState = request.app.state.hailong
    return found
