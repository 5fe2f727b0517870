"""Days and ids out of range, or in the wrong order, are a 422 (API) or a page with a Vietnamese
message: never a 500, and a streamed download is refused before its first byte."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.surveys.catalog import SurveyCatalog
from tests.factories import bearer, make_office, make_user, sign_in

API = [
    "/api/v1/offices/PR.1/summary",
    "/api/v1/offices/PR.1/children",
    "/api/v1/exports/summary.csv?office=PR.1",
    "/api/v1/exports/summary.xlsx?office=PR.1",
    "/api/v1/exports/ballots.csv?office=PR.1",
    "/api/v1/exports/ballots.jsonl?office=PR.1",
    "/api/v1/exports/ballots.xlsx.manifest.json?office=PR.1",
    "/api/v1/exports/audit.csv",
    "/api/v1/exports/audit.xlsx",
]
PAGES = [
    "/staff/offices/PR.1",
    "/staff/offices/PR/children",
    "/staff/offices/PR.1/report",
    "/staff/offices/PR/units",
    "/staff/offices/PR.1/ballots",
    "/staff/audit",
]
BAD_DAYS = [
    "from=0001-01-01",
    "to=9999-12-31",
    "from=0001-01-01&to=0001-01-02",
    "from=2026-05-02&to=2026-05-01",
    "from=2001-01-01&to=2026-01-01",
    "from=2026-01-01T00:00",  # a day, not a moment
    "to=2026-01-31T00:00:00Z",
]


def _add(path: str, query: str) -> str:
    return path + ("&" if "?" in path else "?") + query


@pytest.fixture
def offices(db: Session, registered: SurveyCatalog) -> None:
    make_office(db, registered, code="PR", kind="province")
    make_office(db, registered, code="PR.1", parent="PR")


@pytest.mark.usefixtures("offices")
@pytest.mark.parametrize("query", BAD_DAYS)
def test_api_answers_422_with_a_body(client: TestClient, db: Session, query: str) -> None:
    token = bearer(db, make_user(db, "admin"))
    for path in API:
        response = client.get(_add(path, query), headers=token)
        assert response.status_code == 422, (path, response.status_code, response.text[:200])
        assert response.headers["content-type"].startswith("application/json"), path
        assert response.json()["code"] in ("invalid_request", "invalid"), path


@pytest.mark.usefixtures("offices")
def test_pages_say_what_is_wrong_in_vietnamese(client: TestClient, db: Session) -> None:
    sign_in(client, make_user(db, "admin"))
    for path in PAGES:
        for query in BAD_DAYS:
            response = client.get(_add(path, query))
            assert response.status_code in (400, 422), (path, query, response.status_code)
            assert "Ngày" in response.text or "ngày" in response.text, (path, query)


@pytest.mark.usefixtures("offices")
def test_ids_beyond_any_integer_are_refused(client: TestClient, db: Session) -> None:
    sign_in(client, make_user(db, "admin"))
    huge = "99999999999999999999999"
    assert client.get(f"/staff/offices/PR.1/ballots?before={huge}").status_code == 400
    assert client.get(f"/staff/audit?before={huge}").status_code == 400
    assert client.get(f"/staff/offices/PR.1/ballots?before={2**62}").status_code == 200
    token = bearer(db, make_user(db, "admin"))
    manifest = client.get(
        f"/api/v1/exports/ballots.csv.manifest.json?office=PR.1&snapshot={huge}", headers=token
    )
    assert manifest.status_code == 422


def test_staff_pages_read_days_as_vietnamese_write_them(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    """Date fields are text fields in dd/mm/yyyy (a browser's date picker would show
    mm/dd/yyyy, and needs nothing else to work); the API keeps YYYY-MM-DD."""

    make_office(db, registered, code="DAYS")
    sign_in(client, make_user(db, "inspector"))
    page = client.get("/staff/offices/DAYS?from=1/11/2026&to=30/11/2026")
    assert page.status_code == 200
    assert "Từ 01/11/2026 đến 30/11/2026" in page.text
    assert 'name="from" value="01/11/2026"' in page.text
    assert 'type="date"' not in page.text
    assert client.get("/staff/offices/DAYS?from=&to=").status_code == 200  # fields left empty
    wrong = client.get("/staff/offices/DAYS?from=31/02/2026")
    assert wrong.status_code == 400
    assert "ngày/tháng/năm" in wrong.text
    for page_path in ("/staff/audit", "/staff/offices/DAYS/ballots"):
        assert client.get(f"{page_path}?from=01/11/2026").status_code == 200
    api = client.get("/api/v1/offices/DAYS/summary?from=01/11/2026")
    assert api.status_code == 422
