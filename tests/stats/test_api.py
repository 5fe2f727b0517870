from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.surveys.catalog import SurveyCatalog
from tests.factories import add_ballots, bearer, make_office, make_user


def test_summary_json(client: TestClient, db: Session, registered: SurveyCatalog) -> None:
    make_office(db, registered, code="API-P", name="Tỉnh", kind="province")
    make_office(db, registered, code="API-A", name="Xã A", parent="API-P")
    make_office(db, registered, code="API-B", name="Xã B", parent="API-P")
    add_ballots(db, registered, "API-A", [4] * 150 + [5] * 40 + [2] * 10, date(2026, 5, 4))
    add_ballots(db, registered, "API-B", [5, 3], date(2026, 5, 5))
    headers = bearer(db, make_user(db, "inspector"))
    response = client.get(
        "/api/v1/offices/API-A/summary?from=2026-05-01&to=2026-05-31", headers=headers
    )
    assert response.status_code == 200
    body = response.json()
    assert body["office"] == {"code": "API-A", "name": "Xã A"}
    assert body["survey"]["key"] == "cong-chuc"
    assert body["period"] == {"from": "2026-05-01", "to": "2026-05-31"}
    assert (body["ballots"], body["excluded"], body["enough_responses"]) == (200, 0, True)
    assert body["ballot_levels"]["counts"]["satisfied"] == 150
    assert body["ballot_levels"]["shares"]["satisfied_or_better"] == pytest.approx(0.95)
    low, high = body["ballot_levels"]["ci95_shares"]["very_satisfied"]
    assert low < 0.20 < high
    assert len(body["criteria"]) == 6
    first = body["criteria"][0]
    assert first["key"] == "polite"
    assert first["label"] == "Công chức có thái độ giao tiếp lịch sự"
    assert first["answered"] == 200
    assert first["shares"]["satisfied"] == pytest.approx(0.75)
    assert first["shares"]["very_satisfied"] == pytest.approx(0.20)
    assert first["shares"]["satisfied_or_better"] == pytest.approx(0.95)
    low, high = first["ci95"]
    assert low < 0.95 < high
    assert body["index"] == pytest.approx(0.95)
    assert body["rank"] == {"position": 1, "of": 1, "close_to_above": False}
    assert body["ranked_among"] == "các đơn vị được xếp hạng của Tỉnh"
    assert body["unranked"] is None
    assert body["compared"]["criteria_set"] == "cong-chuc"
    assert body["previous"]["period"] == {"from": "2026-03-31", "to": "2026-04-30"}

    few = client.get(
        "/api/v1/offices/API-B/summary?from=2026-05-01&to=2026-05-31", headers=headers
    ).json()
    assert few["enough_responses"] is False
    assert few["rank"] is None
    assert few["unranked"] == {
        "reason": "too_few_ballots",
        "message": "chưa đủ phiếu để xếp hạng",
    }
    relaxed = client.get(
        "/api/v1/offices/API-B/summary?from=2026-05-01&to=2026-05-31&min_responses=2",
        headers=headers,
    ).json()
    assert relaxed["enough_responses"] is True
    assert relaxed["rank"] == {"position": 2, "of": 2, "close_to_above": True}  # 2 ballots

    children = client.get(
        "/api/v1/offices/API-P/children?from=2026-05-01&to=2026-05-31", headers=headers
    ).json()
    assert [
        (c["office"]["code"], c["ballots"], c["rank"], (c["unranked"] or {}).get("reason"))
        for c in children["children"]
    ] == [
        ("API-A", 200, {"position": 1, "of": 1, "close_to_above": False}, None),
        ("API-B", 2, None, "too_few_ballots"),
    ]
    # The wording once for every child; each child's shares as its summary's, headline alone.
    assert next((c["key"], c["label"]) for c in children["criteria"]) == (
        "polite",
        "Công chức có thái độ giao tiếp lịch sự",
    )
    unit = children["children"][0]
    assert unit["ballot_levels"]["counts"] == body["ballot_levels"]["counts"]
    assert unit["ballot_levels"]["shares"] == {
        "satisfied_or_better": body["ballot_levels"]["shares"]["satisfied_or_better"]
    }
    assert unit["ballot_levels"]["ci95"] == body["ballot_levels"]["ci95"]
    for mine, full in zip(unit["criteria"], body["criteria"], strict=True):
        assert mine == {
            "key": full["key"],
            "answered": full["answered"],
            "counts": full["counts"],
            "shares": {"satisfied_or_better": full["shares"]["satisfied_or_better"]},
            "ci95": full["ci95"],
        }


def test_bad_parameters_are_422(client: TestClient, db: Session, registered: SurveyCatalog) -> None:
    make_office(db, registered, code="API-Q")
    headers = bearer(db, make_user(db, "admin"))
    for query in (
        "from=2026-13-01",
        "from=2026-05-02&to=2026-05-01",
        "min_responses=0",
        "survey=nope",
    ):
        response = client.get(f"/api/v1/offices/API-Q/summary?{query}", headers=headers)
        assert response.status_code in (404, 422), (query, response.status_code)
        assert response.headers["content-type"].startswith("application/json")
