"""One rating per dossier under concurrency, on a real server with its group-commit writer."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import text
from sqlmodel import Session

from app.core.db import build_engine
from app.intake.service import add_integration
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
