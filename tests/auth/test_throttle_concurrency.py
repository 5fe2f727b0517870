"""Parallel guesses at one account, each from its own address, are checked no more often than
guesses one after another would be: the throttle's count is held before the password is
checked, on both databases."""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlmodel import Session

from app.auth import service
from app.core.db import build_engine
from app.surveys.catalog import SurveyCatalog
from tests.conftest import fresh_database
from tests.factories import login_form
from tests.serving import serve


def test_twenty_parallel_guesses_check_at_most_the_free_ones(
    backend: str, catalog: SurveyCatalog
) -> None:
    from app.models import UserCreate
    from app.surveys.service import register_catalog

    url = fresh_database(backend, "throttle")
    engine = build_engine(url, pool_size=1)
    with Session(engine) as session:
        register_catalog(session, catalog)
        service.create_user(
            session,
            UserCreate(username="tra", role="admin", password="mat-khau-dai-1"),
        )
        session.commit()
    engine.dispose()

    def guess(n: int) -> int:
        with httpx.Client(base_url=base, timeout=60) as client:
            form = login_form(client, "tra", "sai-mat-khau-roi")
            forwarded = {"X-Forwarded-For": f"10.9.{n // 250}.{n % 250 + 1}"}
            return client.post("/login", data=form, headers=forwarded).status_code

    with (
        serve(url, env={"HAILONG_TRUSTED_PROXIES": "127.0.0.1"}) as base,
        ThreadPoolExecutor(20) as pool,
    ):
        started = time.monotonic()
        answers = list(pool.map(guess, range(20)))
        elapsed = time.monotonic() - started
    # One guesser after another is checked FREE_FAILURES times, then once more after each wait
    # (1 s, 2 s, 4 s …): in ``elapsed`` seconds, at most this many times. On a loaded machine a
    # burst can outlast the first wait, and a sixth check is then what a lone guesser gets too.
    waits = math.floor(math.log2(elapsed + 1))
    assert set(answers) <= {401, 429}, answers
    assert answers.count(401) <= service.FREE_FAILURES + waits, (answers, elapsed)
    assert answers.count(429) >= 20 - service.FREE_FAILURES - waits, (answers, elapsed)
