from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Answer, Ballot
from app.surveys.catalog import SurveyCatalog
from tests.factories import make_office, six_answers


def _post(client: TestClient, code: str, body: Any, key: str | None = None, **kw: Any) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"/api/v1/offices/{code}/responses", json=body, headers=headers, **kw)


def _count(db: Session, office_id: int | None) -> int:
    return len(db.exec(select(Ballot.id).where(Ballot.office_id == office_id)).all())


def test_create_and_replay(client: TestClient, db: Session, registered: SurveyCatalog) -> None:
    office = make_office(db, registered, counters=3)
    body = {"answers": six_answers(5), "comment": "Tốt", "counter": 2, "survey": "cong-chuc"}
    first = _post(client, office.code, body, key="kiosk-1-0001")
    assert first.status_code == 201
    data = first.json()
    assert data["office"] == office.code
    assert (data["survey"], data["survey_version"], data["counter"]) == ("cong-chuc", 1, 2)
    assert len(data["receipt"]) == 10
    replay = _post(client, office.code, body, key="kiosk-1-0001")
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == data
    assert _count(db, office.id) == 1
    ballot = db.exec(select(Ballot).where(Ballot.office_id == office.id)).one()
    assert ballot.channel == "api"
    assert len(db.exec(select(Answer).where(Answer.ballot_id == ballot.id)).all()) == 6


def test_same_key_for_other_answers_is_a_conflict(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    assert _post(client, office.code, {"answers": six_answers(5)}, key="k").status_code == 201
    conflict = _post(client, office.code, {"answers": six_answers(2)}, key="k")
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "conflict"
    assert _count(db, office.id) == 1


def test_without_a_key_each_post_is_a_ballot(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    assert _post(client, office.code, {"answers": six_answers(4)}).status_code == 201
    assert _post(client, office.code, {"answers": six_answers(4)}).status_code == 201
    assert _count(db, office.id) == 2


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"answers": six_answers(6)}, ["body", "answers", "polite"]),
        ({"answers": six_answers(5, extra=5)}, ["body", "answers", "extra"]),
        (
            {"answers": {k: v for k, v in six_answers(5).items() if k != "complies"}},
            ["body", "answers", "complies"],
        ),
        ({"answers": six_answers(5, polite="5")}, ["body", "answers", "polite"]),
        ({"answers": six_answers(5, polite=True)}, ["body", "answers", "polite"]),
        ({"answers": six_answers(5), "counter": 4}, ["body", "counter"]),
        ({"answers": six_answers(5), "survey": "sipas"}, ["body", "survey"]),
        ({"answers": six_answers(5), "comment": "x" * 1001}, ["body", "comment"]),
        ({"answers": six_answers(5), "colour": "red"}, ["body", "colour"]),
        ({"answers": [5, 5]}, ["body", "answers"]),
        ({}, ["body", "answers"]),
    ],
)
def test_invalid_ballots_are_422_with_a_location(
    client: TestClient, db: Session, registered: SurveyCatalog, body: Any, loc: list[str]
) -> None:
    office = make_office(db, registered)
    response = _post(client, office.code, body, key="x")
    assert response.status_code == 422
    assert loc in [error["loc"] for error in response.json()["detail"]]
    assert _count(db, office.id) == 0


def test_malformed_json_and_bad_key(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    response = client.post(
        f"/api/v1/offices/{office.code}/responses",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    bad_key = _post(client, office.code, {"answers": six_answers(5)}, key="k" * 129)
    assert bad_key.status_code == 422
    assert _count(db, office.id) == 0


def test_unknown_office_and_oversized_body(client: TestClient) -> None:
    missing = _post(client, "NOPE", {"answers": six_answers(5)})
    assert missing.status_code == 404
    assert missing.json()["code"] == "office_not_found"
    big = _post(client, "NOPE", {"answers": six_answers(5), "comment": "x" * 50_000})
    assert big.status_code == 413
    assert big.json()["code"] == "payload_too_large"


def test_sipas_optional_questions_may_be_left_out(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered, survey="sipas")
    survey = client.get(f"/api/v1/offices/{office.code}/survey").json()
    assert len(survey["questions"]) == 22
    answers = {q["key"]: 4 for q in survey["questions"] if q["required"]}
    answers["feedback_easy"] = None
    assert _post(client, office.code, {"answers": answers}).status_code == 201


def test_office_health_and_docs(client: TestClient, db: Session, registered: SurveyCatalog) -> None:
    office = make_office(db, registered, counters=1)
    assert client.get(f"/api/v1/offices/{office.code}").json()["counters"] == [1]
    health = client.get("/healthz").json()
    assert health == {"status": "ok", "surveys": 4, "database": "ok", "limits": "local"}
    spec = client.get("/openapi.json").json()
    assert "/api/v1/offices/{code}/responses" in spec["paths"]
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()
