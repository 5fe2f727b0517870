"""Every route in the route table either is on the public list below or refuses strangers and
keeps each officer inside their own sub-tree. A new route that forgets its checks fails here."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.routing import Route

from app.surveys.catalog import SurveyCatalog
from tests.factories import bearer, make_office, make_user, sign_in

PUBLIC = {
    ("GET", "/s/{office_code}"),
    ("POST", "/s/{office_code}"),
    ("GET", "/s/{office_code}/r/{receipt}"),
    # The receipt is the citizen's credential: feedback and a handling rating from its page.
    ("POST", "/s/{office_code}/r/{receipt}/feedback"),
    ("POST", "/s/{office_code}/r/{receipt}/cases/{case_id}/rating"),
    ("POST", "/api/v1/offices/{code}/responses"),
    ("GET", "/api/v1/offices/{code}"),
    ("GET", "/api/v1/offices/{code}/survey"),
    ("GET", "/healthz"),
    # Readiness for load balancers; /metrics checks its networks or an admin's token itself
    # (tests/web/test_monitoring.py), and holds no office's figures.
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    # The public log, read by anyone: its key, checkpoint and tiles; the page that checks a
    # proof; a receipt's proof (the receipt is the credential, as for its page).
    ("GET", "/log/key"),
    ("GET", "/log/checkpoint"),
    ("GET", "/log/tile/{path:path}"),
    ("GET", "/kiem-tra"),
    # Public results and open data: offices that publish, for anyone.
    ("GET", "/cong-khai"),
    ("GET", "/cong-khai/du-lieu"),
    ("GET", "/cong-khai/du-lieu.json"),
    ("GET", "/cong-khai/{office_code}"),
    ("GET", "/cong-khai/{office_code}/du-lieu/{month}.{fmt}"),
    ("GET", "/s/{office_code}/r/{receipt}/proof"),
    ("GET", "/docs"),
    ("GET", "/openapi.json"),
    ("GET", "/login"),
    ("POST", "/login"),
    # A rating link or a counter QR: the token in the URL is what binds the rating.
    ("GET", "/r/{token}"),
    ("POST", "/r/{token}"),
    ("GET", "/r/{token}/qr.{fmt}"),
    # The kiosks' service worker: the same file for every kiosk, nothing of any device in it.
    ("GET", "/device/sw.js"),
}
# A device's pages: its token in the URL is its credential, and a wrong one is not found.
DEVICE = {
    ("GET", "/device/{token}"),
    ("GET", "/device/{token}/events"),
    ("POST", "/device/{token}"),  # a kiosk casting a ballot
    ("POST", "/device/{token}/clock"),  # a counter screen telling the time its clock reads
    ("GET", "/device/{token}/manifest.webmanifest"),  # a kiosk installed as an app
}
# What to put in each path parameter; a route with a parameter missing here fails the test.
OFFICE_PARAMS = {"code", "office_code"}
OTHER_PARAMS = {
    "receipt": "KHONGCOPHIEU",
    "token": "hld_not-a-device",
    "dossier_code": "HS-0001",
    "counter": "1",
    "decision": "review",
    "case_id": "1",
    "action": "answer",
}
FORMATS = {"/staff/": "png", "/api/v1/exports/": "csv", "/r/": "png"}
# No office in the request: the role decides (inspectors and admins), and the rows are scoped.
ROLE_ONLY = {
    "/api/v1/exports/audit.{fmt}",
    "/staff/audit",
    "/staff/offices/{code}/flags",
    "/staff/outbox",
}


def _api_routes(routes: list[Any], prefix: str = "") -> list[tuple[str, Route]]:
    """Every route with its full path, whether FastAPI lists included routers' routes directly
    or keeps them inside the included router (static files, a Mount, are not routes here)."""
    found: list[tuple[str, Route]] = []
    for route in routes:
        if isinstance(route, Route):
            found.append((prefix + route.path, route))
        elif hasattr(route, "original_router"):
            extra = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            found += _api_routes(route.original_router.routes, prefix + extra)
    return found


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    return sorted(
        (method, path)
        for path, route in _api_routes(app.routes)
        for method in route.methods
        if method != "HEAD"
    )


def _url(path: str, office: str) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in OFFICE_PARAMS:
            return office
        if name in OTHER_PARAMS:
            return OTHER_PARAMS[name]
        if name == "fmt":
            return next(fmt for prefix, fmt in FORMATS.items() if path.startswith(prefix))
        raise AssertionError(f"add a value for {{{name}}} (in {path}) to the scope test")

    url = re.sub(r"\{(\w+)\}", fill, path)
    return f"{url}?office={office}" if path.startswith("/api/v1/exports/") else url


def _request(client: TestClient, method: str, url: str, **kw):  # type: ignore[no-untyped-def]
    return client.request(method, url, follow_redirects=False, **kw)


def test_the_public_list_is_current(app: FastAPI) -> None:
    assert set(_routes(app)) >= PUBLIC


def test_strangers_are_refused_everywhere_else(
    app: FastAPI, client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    staff_routes = [r for r in _routes(app) if r not in PUBLIC]
    assert staff_routes, "no staff routes found"
    for method, path in staff_routes:
        response = _request(client, method, _url(path, office.code))
        if (method, path) in DEVICE:
            assert response.status_code == 404, (method, path, response.status_code)
        elif path.startswith("/api/"):
            assert response.status_code == 401, (method, path, response.status_code)
        else:
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/login"), (method, path)


@pytest.mark.parametrize("how", ["session", "token"])
def test_officers_stay_in_their_sub_tree(
    app: FastAPI, client: TestClient, db: Session, registered: SurveyCatalog, how: str
) -> None:
    make_office(db, registered, code="SCOPE-P", kind="province")
    mine = make_office(db, registered, code="SCOPE-A", parent="SCOPE-P")
    child = make_office(db, registered, code="SCOPE-A1", parent="SCOPE-A")
    theirs = make_office(db, registered, code="SCOPE-B", parent="SCOPE-P")
    officer = make_user(db, "officer", mine.code)
    officer.is_head = True  # so the per-officer figures are in reach too, scoped like the rest
    db.add(officer)
    db.flush()
    headers: dict[str, str] = {}
    if how == "session":
        sign_in(client, officer)
    else:
        headers = bearer(db, officer)
    checked = 0
    for method, path in _routes(app):
        if (method, path) in PUBLIC | DEVICE or method != "GET":
            continue
        if how == "token" and not path.startswith("/api/"):
            continue
        names = set(re.findall(r"\{(\w+)\}", path))
        if path in ROLE_ONLY:
            if how == "session" or path.startswith("/api/"):
                refused = _request(client, method, _url(path, mine.code), headers=headers)
                assert refused.status_code == 403, (method, path, refused.status_code)
            continue
        if not names & OFFICE_PARAMS and not path.startswith("/api/v1/exports/"):
            continue
        for allowed in (mine, child):
            ok = _request(client, method, _url(path, allowed.code), headers=headers)
            assert ok.status_code < 400, (method, path, allowed.code, ok.status_code)
        other = _request(client, method, _url(path, theirs.code), headers=headers)
        if path.startswith("/api/"):  # as for an office that does not exist: nothing leaks
            assert other.status_code == 404, (method, path, other.status_code)
        else:  # a page says the account cannot see it, for an unknown code alike
            assert other.status_code == 403, (method, path, other.status_code)
            assert "không xem được đơn vị này" in other.text
            unknown = _request(client, method, _url(path, "KHONG-CO"), headers=headers)
            assert (unknown.status_code, unknown.text) == (other.status_code, other.text)
        assert theirs.name not in other.text
        checked += 1
    assert checked >= (4 if how == "token" else 6)


def test_inspectors_bound_or_national(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    make_office(db, registered, code="INS-P", kind="province")
    make_office(db, registered, code="INS-A", parent="INS-P")
    outside = make_office(db, registered, code="INS-X")
    bound = bearer(db, make_user(db, "inspector", "INS-P"))
    national = bearer(db, make_user(db, "inspector"))
    assert client.get("/api/v1/offices/INS-A/summary", headers=bound).status_code == 200
    assert client.get(f"/api/v1/offices/{outside.code}/summary", headers=bound).status_code == 404
    assert (
        client.get(f"/api/v1/offices/{outside.code}/summary", headers=national).status_code == 200
    )


def test_an_office_named_by_its_code_is_checked_in_the_tree(
    db: Session, registered: SurveyCatalog
) -> None:
    from app.auth.scope import require_code
    from app.core.errors import OfficeNotFound, OutOfScope

    make_office(db, registered, code="RC-P", kind="province")
    mine = make_office(db, registered, code="RC-A", parent="RC-P")
    child = make_office(db, registered, code="RC-A1", parent="RC-A")
    other = make_office(db, registered, code="RC-X")
    officer = make_user(db, "officer", mine.code)
    assert require_code(db, officer, mine.code) == mine.id
    assert require_code(db, officer, child.code) == child.id
    with pytest.raises(OutOfScope):
        require_code(db, officer, other.code)
    with pytest.raises(OfficeNotFound):
        require_code(db, officer, "KHONG-CO")
    assert require_code(db, make_user(db, "admin"), other.code) == other.id
