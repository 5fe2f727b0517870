"""The edge: NUL bytes, oversized headers, caching of private pages, honest 405s."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Ballot, User
from app.surveys.catalog import SurveyCatalog
from tests.factories import bearer, form_fields, make_office, make_user, six_answers

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(
    "path",
    [
        "/s/A%00B",
        "/api/v1/offices/A%00B",
        "/api/v1/offices/A%00B/summary",
        "/staff/offices/A%00B",
        "/staff/offices/X/ballots?receipt=%00",
        "/api/v1/exports/audit.csv?username=a%00b",
        "/login?next=%00",
    ],
)
def test_nul_in_the_path_or_query_is_400(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    if path.startswith("/api/"):
        assert response.json()["code"] == "invalid_bytes"
    else:
        assert "ký tự không hợp lệ" in response.text


def test_nul_in_a_body_is_400_and_stores_nothing(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    form = client.post(
        f"/s/{office.code}",
        data=form_fields(six_answers(5), idem="f" * 32, comment="a\x00b"),
    )
    assert form.status_code == 400
    api = client.post(
        f"/api/v1/offices/{office.code}/responses",
        content=b'{"answers": {"polite": 5}, "comment": "a\\u0000b"}',
        headers={"Content-Type": "application/json"},
    )
    assert api.status_code == 400
    assert api.json()["code"] == "invalid_bytes"
    login = client.post("/login", content=b"username=a%00b&password=x&csrf=y", headers=FORM)
    assert login.status_code == 400
    assert db.exec(select(Ballot).where(Ballot.office_id == office.id)).all() == []
    assert db.exec(select(User).where(User.username.startswith("a"))).all() == []  # type: ignore[attr-defined]


def test_too_many_or_too_large_headers_are_431(client: TestClient) -> None:
    many = {f"x-h{i}": "1" for i in range(80)}
    assert client.get("/healthz", headers=many).status_code == 431
    large = client.get("/api/v1/offices/X", headers={"x-big": "a" * 20_000})
    assert large.status_code == 431
    assert large.json()["code"] == "headers_too_large"


def test_staff_answers_are_not_kept_in_caches(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    make_office(db, registered, code="NS.1")
    token = bearer(db, make_user(db, "officer", "NS.1"))
    summary = client.get("/api/v1/offices/NS.1/summary", headers=token)
    assert summary.status_code == 200
    assert summary.headers["cache-control"] == "no-store"
    page = client.get("/staff/offices/NS.1", follow_redirects=False)
    assert page.headers["cache-control"] == "no-store"
    # The citizen's form keeps its own policy (Back must bring the same form back).
    assert client.get("/s/NS.1").headers["cache-control"] == "private, max-age=0"


def test_405_names_the_allowed_methods(client: TestClient) -> None:
    api = client.delete("/api/v1/offices/X/responses")
    assert api.status_code == 405
    assert api.headers["allow"] == "POST"
    page = client.put("/login")
    assert page.status_code == 405
    assert "GET" in page.headers["allow"]


def test_a_json_field_sent_twice_is_refused_as_a_form_field_is(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    first = '{"polite": 1, "attentive": 1, "answers_fully": 1, "guides_thoroughly": 1, '
    first += '"easy_to_understand": 1, "complies": 1}'
    second = first.replace("1", "5")
    twice = client.post(
        f"/api/v1/offices/{office.code}/responses",
        content=f'{{"answers": {first}, "answers": {second}}}'.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert twice.status_code == 422
    assert twice.json()["code"] == "duplicate_field"
    nested = client.post(
        f"/api/v1/offices/{office.code}/responses",
        content=f'{{"answers": {first[:-1]}, "polite": 5}}}}'.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert nested.status_code == 422
    assert db.exec(select(Ballot).where(Ballot.office_id == office.id)).all() == []
    once = client.post(
        f"/api/v1/offices/{office.code}/responses",
        content=f'{{"answers": {second}}}'.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert once.status_code == 201
