"""Small factories for tests."""

from __future__ import annotations

import itertools
from typing import Any

from sqlmodel import Session

from app.models import Office, OfficeCreate
from app.offices.service import create_office, set_counters
from app.surveys.catalog import SurveyCatalog

_seq = itertools.count(1)

SIX = [
    "polite",
    "attentive",
    "answers_fully",
    "guides_thoroughly",
    "easy_to_understand",
    "complies",
]


def make_office(
    db: Session,
    catalog: SurveyCatalog,
    *,
    code: str | None = None,
    name: str = "Bộ phận một cửa xã Thiệu Hóa",
    parent: str | None = None,
    kind: str = "one-stop",
    survey: str | None = None,
    counters: int = 0,
) -> Office:
    office = create_office(
        db,
        OfficeCreate(
            code=code or f"T{next(_seq):04d}.H56",
            name=name,
            parent=parent,
            kind=kind,
            survey_key=survey,
        ),
        catalog,
    )
    if counters:
        set_counters(db, office, counters)
    return office


def make_tree(db: Session, catalog: SurveyCatalog, south_unit_survey: str | None = None):  # type: ignore[no-untyped-def]
    """A country, two provinces, units and a sub-unit: "a" and "b" under "north" (b on the
    three-level survey, its sub-unit "b1" on the default one), "c" under "south"."""
    nation = make_office(db, catalog, kind="other")
    north = make_office(db, catalog, parent=nation.code, kind="province")
    south = make_office(db, catalog, parent=nation.code, kind="province")
    a = make_office(db, catalog, parent=north.code)
    b = make_office(db, catalog, parent=north.code, survey="cong-chuc-3-muc")
    b1 = make_office(db, catalog, parent=b.code, survey="cong-chuc")
    c = make_office(db, catalog, parent=south.code, survey=south_unit_survey)
    return {"nation": nation, "north": north, "south": south, "a": a, "b": b, "b1": b1, "c": c}


def six_answers(value: int = 5, **overrides: Any) -> dict[str, Any]:
    answers: dict[str, Any] = dict.fromkeys(SIX, value)
    answers.update(overrides)
    return answers


def form_key(html: str) -> str:
    """The idempotency key a rendered form carries (its hidden ``idem`` field)."""
    import re

    match = re.search(r'name="idem" value="([0-9a-f]{32})"', html)
    assert match, "the page has no form key"
    return match.group(1)


def form_fields(answers: dict[str, Any], **extra: str) -> dict[str, str]:
    fields = {f"q.{key}": str(value) for key, value in answers.items()}
    fields.update(extra)
    return fields


def make_user(
    db: Session, role: str = "officer", office: str | None = None, password: str = "mat-khau-dai-1"
):  # type: ignore[no-untyped-def]
    from app.auth.service import create_user
    from app.models import UserCreate

    return create_user(
        db,
        UserCreate.model_construct(
            username=f"u{next(_seq):04d}", role=role, office=office, password=password
        ),
    )


def bearer(db: Session, user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from app.auth.service import create_token

    token, _ = create_token(db, user.username)
    return {"Authorization": f"Bearer {token}"}


def csrf_of(page: str) -> str:
    """The CSRF token a page's forms carry."""
    import re

    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def login_form(client, username: str, password: str = "mat-khau-dai-1") -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The login form as a browser fills it, with the token from ``client``'s login page."""
    return {"username": username, "password": password, "csrf": csrf_of(client.get("/login").text)}


def sign_in(client, user, password: str = "mat-khau-dai-1"):  # type: ignore[no-untyped-def]
    """Sign in through the real login form (``user`` a user or a username); returns the
    session's CSRF token."""
    username = user if isinstance(user, str) else user.username
    response = client.post(
        "/login", data=login_form(client, username, password), follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/staff").text)


def add_ballots(db: Session, catalog: SurveyCatalog, code: str, values: list[int], day) -> None:  # type: ignore[no-untyped-def]
    """Ballots answering every criterion with each value, stored at 10:00 that day in Vietnam."""
    from datetime import datetime

    from app.core.locale import VN_TZ

    for value in values:
        rate(db, catalog, code, value, datetime(day.year, day.month, day.day, 10, tzinfo=VN_TZ))


def rate(
    db: Session, catalog: SurveyCatalog, code: str, value: int | dict[str, int], at, **client: str
) -> int:  # type: ignore[no-untyped-def]
    """One ballot through the API answering every criterion with ``value`` (or each as the
    dict says), stored at ``at``; with ``address`` (and ``device``) its signals are kept as the
    intake keeps them. Its id."""
    import uuid

    from app.ballots.service import submit
    from app.ballots.validation import Submission
    from app.integrity.exclusions import find
    from app.signals.limiter import Client
    from app.signals.record import Observed

    ballot, _ = submit(
        db,
        catalog,
        code,
        Submission(answers=value if isinstance(value, dict) else six_answers(value)),
        channel="api",
        idempotency_key=uuid.uuid4().hex,
        strict_replay=True,
        submitted_at=at,
        observed=Observed(client=Client(**client)) if client else None,
    )
    return find(db, ballot.receipt).id or 0
