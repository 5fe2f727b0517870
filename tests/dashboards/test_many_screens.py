"""Hundreds of open screens on one worker (PostgreSQL, real server, real clients): they all
connect, and citizens' ballots still go through quickly while the screens refresh."""

from __future__ import annotations

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlmodel import Session

from app.auth.service import create_user
from app.core.db import build_engine
from app.models import UserCreate
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import register_catalog
from tests.conftest import fresh_database
from tests.factories import csrf_of, make_office, six_answers
from tests.serving import serve

SCREENS = 200


def _seed(url: str, catalog: SurveyCatalog, offices: int = 1) -> None:
    engine = build_engine(url, pool_size=1)
    with Session(engine) as session:
        register_catalog(session, catalog)
        make_office(session, catalog, code="MS", kind="province")
        for n in range(offices):
            make_office(session, catalog, code=f"MS.{n}", parent="MS")
        create_user(
            session,
            UserCreate.model_construct(
                username="xem", role="inspector", office="MS", password="mat-khau-dai-1"
            ),
        )
        session.commit()
    engine.dispose()


async def _signed_in(base: str) -> httpx.Cookies:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        page = await client.get("/login")
        form = {"username": "xem", "password": "mat-khau-dai-1", "csrf": csrf_of(page.text)}
        assert (await client.post("/login", data=form)).status_code == 303
        return client.cookies


def _in_thread(coroutine):  # type: ignore[no-untyped-def]
    """Run the clients' event loop on a thread of its own: the session's browser fixture keeps
    one running on the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _limits() -> httpx.Limits:
    return httpx.Limits(max_connections=SCREENS + 20, max_keepalive_connections=SCREENS + 20)


def test_two_hundred_streams_opened_at_once_all_connect(catalog: SurveyCatalog) -> None:
    url = fresh_database("postgresql", "screens")
    _seed(url, catalog)

    async def run(base: str) -> list[str]:
        cookies = await _signed_in(base)
        async with httpx.AsyncClient(
            base_url=base, cookies=cookies, timeout=60, limits=_limits()
        ) as client:

            async def screen() -> str:
                async with client.stream("GET", "/staff/offices/MS/events") as stream:
                    if stream.status_code != 200:
                        return f"status {stream.status_code}"
                    async for line in stream.aiter_lines():
                        return line  # the first line: "retry: 2000"
                return "closed"

            return await asyncio.gather(*(screen() for _ in range(SCREENS)))

    with serve(url, env={"HAILONG_LIVE_STREAM_SECONDS": "20"}) as base:
        started = time.monotonic()
        first_lines = _in_thread(run(base))
        took = time.monotonic() - started
    assert first_lines == ["retry: 2000"] * SCREENS, sorted(set(first_lines))
    assert took < 20, took


def _send_ballots(base: str) -> tuple[list[float], list[int]]:
    """20 ballots a second for 5 seconds, each timed."""
    latencies: list[float] = []
    codes: list[int] = []
    with httpx.Client(base_url=base, timeout=60) as client:
        start = time.monotonic()
        for n in range(100):
            time.sleep(max(0.0, start + n * 0.05 - time.monotonic()))
            sent = time.monotonic()
            response = client.post(
                "/api/v1/offices/MS.0/responses",
                json={"answers": six_answers(4)},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            latencies.append(time.monotonic() - sent)
            codes.append(response.status_code)
    return latencies, codes


def test_ballots_go_through_while_two_hundred_screens_refresh(catalog: SurveyCatalog) -> None:
    url = fresh_database("postgresql", "screens")
    _seed(url, catalog)

    async def run(base: str) -> tuple[list[float], list[int], int]:
        cookies = await _signed_in(base)
        stop = asyncio.Event()
        refreshes = 0
        async with (
            httpx.AsyncClient(
                base_url=base, cookies=cookies, timeout=60, limits=_limits()
            ) as staff,
        ):

            async def screen() -> None:
                nonlocal refreshes
                # What static/js/live.js does: take the figures the server pushes.
                async with staff.stream("GET", "/staff/offices/MS/events?period=month") as stream:
                    async for line in stream.aiter_lines():
                        if stop.is_set():
                            return
                        if line == "event: figures":
                            refreshes += 1

            screens = [asyncio.create_task(screen()) for _ in range(SCREENS)]
            await asyncio.sleep(2)
            # Ballots from a thread and a client of their own: what is measured is the
            # server's answer, not this process's event loop, busy with 200 screens.
            latencies, codes = await asyncio.to_thread(_send_ballots, base)
            stop.set()
            for task in screens:
                task.cancel()
            await asyncio.gather(*screens, return_exceptions=True)
            return latencies, codes, refreshes

    with serve(url, env={"HAILONG_LIVE_STREAM_SECONDS": "60"}) as base:
        latencies, codes, refreshes = _in_thread(run(base))
    # Every ballot taken, none refused or left waiting on a stream: that is what this tests.
    # How fast they go beside the screens is a timing, measured against the same ballots with
    # no screen open by bench/live.py (on a 2-core machine shared with the other tests' browsers
    # and servers, one slow answer in a hundred says nothing about the code).
    assert codes == [201] * 100, {c: codes.count(c) for c in set(codes)}
    assert max(latencies) < 30, max(latencies)  # answered, not timed out
    # Every screen got new figures, pushed at most once a second: about five each.
    assert SCREENS <= refreshes <= SCREENS * 8


def test_first_ballots_of_fifty_new_offices_at_once(catalog: SurveyCatalog) -> None:
    url = fresh_database("postgresql", "screens")
    _seed(url, catalog, offices=50)

    async def run(base: str) -> list[int]:
        # One connection a ballot, none reused: a connection the server closes after its
        # keep-alive timeout (5 s; a loaded machine gets there) just as the client reuses it
        # is a ReadError on a POST, which no client retries; that race is not this test's.
        limits = httpx.Limits(max_connections=300, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

            async def ballot(n: int) -> int:
                response = await client.post(
                    f"/api/v1/offices/MS.{n % 50}/responses",
                    json={"answers": six_answers(5)},
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                )
                return response.status_code

            return await asyncio.gather(*(ballot(n) for n in range(300)))

    with serve(url, env={"HAILONG_BALLOT_WRITERS": "2"}) as base:
        codes = _in_thread(run(base))
    assert codes == [201] * 300, {c: codes.count(c) for c in set(codes)}
    engine = build_engine(url, pool_size=1)
    with engine.connect() as conn:
        from app.integrity.verify import verify_db

        report = verify_db(conn)
    engine.dispose()
    assert report.ok, report.findings
    assert report.ballots == 300
