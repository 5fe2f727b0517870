"""What a running app keeps for its requests, typed, in one place: ``create_app`` builds it as
``app.state.hailong``, and handlers and dependencies read it through ``state(request)``."""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass

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

    def figures_changed(self, offices: Collection[int]) -> None:
        """A decision changed these offices' figures (an exclusion, a cluster): drop what this
        process keeps of them, the figures and the live screens' blocks alike."""
        self.figures_cache.invalidate(offices)
        self.fragments.invalidate(offices)


def state(request: HTTPConnection) -> AppState:
    found: AppState = request.app.state.hailong
    return found
