"""What a live screen's event stream pushes: the figures block of its page, rendered again in a
session of its own (the stream outlives the request's), and computed once for every screen
that shows the same (``app/dashboards/cache.py``)."""

from __future__ import annotations

from functools import partial

from sqlalchemy import Engine
from sqlmodel import Session

from app.core.db import get_engine
from app.dashboards.cache import FiguresCache
from app.dashboards.push import Watched
from app.dashboards.views import Query, lobby, office_page
from app.models import User
from app.surveys.catalog import SurveyCatalog
from app.web.rendering import render_string


def lobby_fragment(
    engine: Engine, catalog: SurveyCatalog, office_id: int, cache: FiguresCache | None
) -> str:
    """The lobby display's live block, as its stream pushes it (a session of its own)."""
    with Session(engine) as session:
        context = lobby(session, catalog, office_id, cache)
    return render_string("dashboards/lobby.html", {"lang": "vi", **context}, block="figures")


def office_fragment(
    engine: Engine,
    catalog: SurveyCatalog,
    user: User,
    code: str,
    query: Query,
    cache: FiguresCache | None,
) -> str:
    """The live part of a dashboard, as its event stream pushes it: the same figures block its
    page renders, read in a session of its own (the stream outlives the request's)."""
    with Session(engine) as session:
        context = office_page(session, catalog, user, code, query, cache=cache)
    return render_string("dashboards/office.html", {"lang": "vi", **context}, block="figures")


def lobby_watched(
    office_id: int, offices: frozenset[int], catalog: SurveyCatalog, cache: FiguresCache | None
) -> Watched:
    """What a lobby display's stream pushes: one block per office, whoever is watching (display
    devices and staff previews alike)."""
    return Watched(
        offices=offices,
        key=("lobby", office_id),
        render=partial(lobby_fragment, get_engine(), catalog, office_id, cache),
    )


def office_watched(
    offices: frozenset[int],
    key: tuple[object, ...],
    catalog: SurveyCatalog,
    user: User,
    code: str,
    query: Query,
    cache: FiguresCache | None,
) -> Watched:
    """What an office dashboard's stream pushes: its figures block as ``user`` may see it."""
    return Watched(
        offices=offices,
        key=key,
        render=partial(office_fragment, get_engine(), catalog, user, code, query, cache),
    )
