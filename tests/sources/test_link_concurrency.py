"""One rating per dossier under concurrency, on a real server with its group-commit writer."""

from __future__ import annotations

import random
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import httpx
from sqlalchemy import text
from sqlmodel import Session

from app.core.db import build_engine
from app.sources.service import add_integration
from app.stats import dossier_rollup
from app.stats.periods import period_of
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import register_catalog
from tests.conftest import fresh_database
from tests.factories import form_fields, make_office, six_answers
from tests.serving import serve


def test_one_link_sent_many_times_at_once_stores_one_ballot(
    backend: str, catalog: SurveyCatalog
) -> None:
    url = fresh_database(backend, "links")
    engine = build_engine(url, pool_size=1)
    with Session(engine) as session:
        register_catalog(session, catalog)
        make_office(session, catalog, code="L1", kind="province")
        make_office(session, catalog, code="L1.A", parent="L1")
        token, _ = add_integration(session, "Một cửa", "L1", public_key=None, by="test")
        session.commit()
    with serve(url) as base, httpx.Client(base_url=base, timeout=60) as client:
        link = client.put(
            "/api/v1/offices/L1.A/dossiers/HS-0001",
            json={"received_at": "2026-11-20T08:00:00+07:00"},
            headers={"Authorization": f"Bearer {token}"},
        ).json()["rating_url"]

        def send(i: int) -> httpx.Response:
            with httpx.Client(timeout=60) as c:
                fields = form_fields(six_answers(1 + i % 5), idem=f"visit-{i}")
                return c.post(link, data=fields, follow_redirects=False)

        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(send, range(12)))
        assert {r.status_code for r in answers} == {303}, [r.text[:200] for r in answers]
        receipts = {re.search(r"/r/([0-9A-Z]+)", r.headers["location"]).group(1) for r in answers}  # type: ignore[union-attr]
        assert len(receipts) == 1
        assert sum("again=1" not in r.headers["location"] for r in answers) == 1
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT count(*), min(source), count(dossier_hash) FROM ballot")
        ).one()
    engine.dispose()
    assert tuple(stored) == (1, "dossier", 1)


def test_reports_and_ratings_of_one_dossier_at_once_count_it_once(
    backend: str, catalog: SurveyCatalog
) -> None:
    """The one-stop software reports a dossier returned while its citizen rates it, on two
    workers: each dossier is counted once, rated, whichever transaction commits first."""
    url = fresh_database(backend, "dossier_race")
    engine = build_engine(url, pool_size=1)
    with Session(engine) as session:
        register_catalog(session, catalog)
        make_office(session, catalog, code="DR", kind="province")
        unit = make_office(session, catalog, code="DR.A", parent="DR")
        token, _ = add_integration(session, "Một cửa", "DR", public_key=None, by="test")
        session.commit()
        unit_id = unit.id or 0
    auth = {"Authorization": f"Bearer {token}"}
    codes = [f"HS-{n:03d}" for n in range(24)]
    with serve(url, workers=2) as base, httpx.Client(base_url=base, timeout=60) as client:
        links = {
            code: client.put(
                f"/api/v1/offices/DR.A/dossiers/{code}",
                json={"received_at": "2026-11-20T08:00:00+07:00"},
                headers=auth,
            ).json()["rating_url"]
            for code in codes
        }

        def report(code: str, hour: int) -> int:
            with httpx.Client(base_url=base, timeout=60) as c:
                body = {"returned_at": f"2026-11-2{hour % 3 + 1}T1{hour}:00:00+07:00"}
                url = f"/api/v1/offices/DR.A/dossiers/{code}"
                return c.put(url, json=body, headers=auth).status_code

        def rate(code: str) -> int:
            with httpx.Client(timeout=60) as c:
                fields = form_fields(six_answers(2 + len(code) % 4), idem=f"visit-{code}")
                return c.post(links[code], data=fields, follow_redirects=False).status_code

        work = [(report, (c, 1)) for c in codes] + [(rate, (c,)) for c in codes]
        work += [(report, (c, 5)) for c in codes[::2]]
        random.Random(3).shuffle(work)
        with ThreadPoolExecutor(16) as pool:
            done = list(pool.map(lambda w: w[0](*w[1]), work))
        assert set(done) <= {200, 303}, done
    month = period_of("month", date(2026, 11, 1))
    with engine.connect() as conn:
        kept = dossier_rollup.read(conn, [unit_id], month)
        assert kept == dossier_rollup.from_raw(conn, [unit_id], month)
    engine.dispose()
    rows = kept[unit_id]
    assert [sum(r[i] for r in rows.values()) for i in range(3)] == [24, 24, 0]
    assert rows[dossier_rollup.UNRATED][1] == 0  # every returned dossier counted as rated
