"""Compute once, serve to every screen: a hundred screens asking for an office's figures cost
one computation; a ballot in the sub-tree makes the next ask compute again; scope still holds."""

from __future__ import annotations

import threading
import time
from datetime import date

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.dashboards.cache import FiguresCache
from app.surveys.catalog import SurveyCatalog
from tests.factories import add_ballots, make_office, make_user, sign_in


def test_screens_asking_at_once_share_one_computation() -> None:
    cache = FiguresCache()
    calls = []

    def compute() -> str:
        calls.append(1)
        time.sleep(0.2)  # long enough for every screen to arrive meanwhile
        return "figures"

    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get("k", [1, 2], compute)))
        for _ in range(100)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["figures"] * 100
    assert len(calls) == 1
    assert cache.computed == 1


def test_a_ballot_in_the_sub_tree_drops_the_entry_others_stay() -> None:
    cache = FiguresCache()
    cache.get("province", [1, 2, 3], lambda: "p")
    cache.get("unit", [3], lambda: "u")
    cache.get("other", [4], lambda: "o")
    cache.invalidate({3})
    assert cache.get("province", [1, 2, 3], lambda: "p2") == "p2"
    assert cache.get("unit", [3], lambda: "u2") == "u2"
    assert cache.get("other", [4], lambda: "o2") == "o"
    expired = FiguresCache(seconds=0.01)
    expired.get("k", [1], lambda: 1)
    time.sleep(0.02)
    assert expired.get("k", [1], lambda: 2) == 2


def test_a_hundred_dashboards_cost_one_computation(
    app: FastAPI, client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered, code="CACHE.A")
    make_office(db, registered, code="CACHE.B")
    today = date.today()
    add_ballots(db, registered, office.code, [5, 4], today)
    sign_in(client, make_user(db, "officer", office.code))
    cache: FiguresCache = app.state.hailong.figures_cache
    cache.seconds = 60  # a hundred fetches on a busy machine may take longer than the 2 s
    url = f"/staff/offices/{office.code}?period=year"
    headers = {"HX-Request": "true"}
    before = cache.computed  # signing in landed on the unit's dashboard (this month)
    pages = [client.get(url, headers=headers) for _ in range(100)]
    assert {p.status_code for p in pages} == {200}
    assert all("data-ballots>2<" in p.text for p in pages)
    assert cache.computed == before + 1
    # A ballot arrives: the watcher tells the cache before the screens hear of it.
    add_ballots(db, registered, office.code, [3], today)
    cache.invalidate({office.id or 0})
    assert "data-ballots>3<" in client.get(url, headers=headers).text
    assert cache.computed == before + 2
    # The cached figures are handed only to those who may see the office.
    other = client.get("/staff/offices/CACHE.B?period=year", headers=headers)
    assert other.status_code == 403
    assert "data-ballots" not in other.text


def test_an_exclusion_shows_on_the_next_ask(
    app: FastAPI, client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    from sqlmodel import select

    from app.models import Ballot

    office = make_office(db, registered, code="CACHE.X")
    add_ballots(db, registered, office.code, [5, 2], date.today())
    csrf = sign_in(client, make_user(db, "inspector"))
    url = f"/staff/offices/{office.code}?period=year"
    assert "data-ballots>2<" in client.get(url, headers={"HX-Request": "true"}).text
    receipt = db.exec(select(Ballot.receipt).where(Ballot.office_id == office.id)).first()
    response = client.post(
        f"/staff/ballots/{receipt}/exclusion",
        data={"csrf": csrf, "reason": "Phiếu thử của cán bộ", "next": url},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "data-ballots>1<" in client.get(url, headers={"HX-Request": "true"}).text


def test_figures_computed_while_a_ballot_came_in_are_not_kept() -> None:
    cache = FiguresCache(seconds=60)
    computed: list[int] = []

    def slow() -> int:
        computed.append(1)
        if len(computed) == 1:
            cache.invalidate({7})  # a ballot for the office arrives mid-computation
        return len(computed)

    assert cache.get("k", {7}, slow) == 1  # handed out: as new as when it began
    assert cache.get("k", {7}, slow) == 2  # but not kept: it may lack that ballot
    assert cache.get("k", {7}, slow) == 2
    cache.get("other", {8}, lambda: 0)
    cache.invalidate({9})  # elsewhere: nothing to do with them
    assert cache.get("k", {7}, slow) == 2
