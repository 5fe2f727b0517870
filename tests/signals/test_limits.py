"""Hard limits on the citizen channels: per device and per address, in this process or in a
real Redis shared by two workers; beyond them a clear 429 that loses nothing stored."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.core.config import Settings
from app.models import Ballot
from app.signals.limiter import Client, RatingLimits, TooManyRatings
from app.surveys.catalog import SurveyCatalog
from app.web.identity import client_address
from tests.conftest import fresh_database
from tests.factories import form_fields, make_office, six_answers
from tests.serving import inside_one_minute, serve

REDIS_URL = os.environ.get("HAILONG_TEST_REDIS_URL")
REQUIRE_REDIS = os.environ.get("HAILONG_REQUIRE_REDIS") == "1"


def run_async(coroutine: Any) -> Any:
    """In a thread of its own: the browser tests leave an event loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def redis_url() -> str:
    """The test Redis, or a skip (a failure when Redis is required, as in CI)."""
    if not REDIS_URL:
        if REQUIRE_REDIS:
            pytest.fail("HAILONG_REQUIRE_REDIS=1 but HAILONG_TEST_REDIS_URL is not set")
        pytest.skip("HAILONG_TEST_REDIS_URL not set: Redis tests skipped")
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        if REQUIRE_REDIS:
            pytest.fail(f"Redis is required but unreachable: {exc}")
        pytest.skip(f"Redis unreachable: {exc}")
    return REDIS_URL


def _settings(**values: str) -> Settings:
    inside_one_minute()  # the limits below are so many a minute
    return Settings(
        limit_device=values.pop("device", "3 per minute"),
        limit_address=values.pop("address", "5 per minute"),
        redis_prefix=f"test-{uuid.uuid4().hex}",
        **values,  # type: ignore[arg-type]
    )


def _count(db: Session, office_id: int | None) -> int:
    return db.exec(select(func.count()).where(Ballot.office_id == office_id)).one()


def _send(client: TestClient, code: str, n: int, **headers: str) -> httpx.Response:
    fields = form_fields(six_answers(5 - n % 3), idem=f"{n:032x}")
    return client.post(f"/s/{code}", data=fields, headers=headers, follow_redirects=False)


def test_one_device_is_refused_after_its_limit_and_nothing_stored_is_lost(
    limited: FastAPI, db: Session, registered: SurveyCatalog
) -> None:
    office, other = make_office(db, registered), make_office(db, registered)
    with TestClient(limited, raise_server_exceptions=False) as client:
        client.get(f"/s/{office.code}")  # the device cookie
        codes = [_send(client, office.code, n).status_code for n in range(3)]
        refused = _send(client, office.code, 3)
        assert codes == [303, 303, 303]
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "Các phiếu đã gửi trước đó vẫn được lưu đầy đủ" in refused.text
        assert '<html lang="vi">' in refused.text
        # htmx swaps the explanation over the whole page, not into the form.
        by_htmx = _send(client, office.code, 4, **{"HX-Request": "true"})
        assert by_htmx.status_code == 429
        assert by_htmx.headers["HX-Retarget"] == "body"
        assert _count(db, office.id) == 3
        # Limits are per office: the same phone may still rate another unit.
        assert _send(client, other.code, 5).status_code == 303


def test_an_address_is_refused_after_its_more_generous_limit_whatever_its_cookies(
    limited: FastAPI, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    with TestClient(limited, raise_server_exceptions=False) as client:
        codes = []
        for n in range(7):
            client.cookies.clear()  # a script clearing its cookie every time
            codes.append(_send(client, office.code, n).status_code)
    assert codes == [303] * 5 + [429] * 2
    assert _count(db, office.id) == 5


def test_the_anonymous_api_gets_json_and_a_kiosk_is_not_limited(
    limited: FastAPI, db: Session, registered: SurveyCatalog
) -> None:
    from app.sources.service import add_device

    office = make_office(db, registered)
    kiosk_token, _ = add_device(db, "Máy đánh giá sảnh", office.code, "kiosk", None, by="test")
    url = f"/api/v1/offices/{office.code}/responses"
    with TestClient(limited, raise_server_exceptions=False) as client:
        codes = [client.post(url, json={"answers": six_answers(5)}).status_code for _ in range(6)]
        assert codes == [201] * 5 + [429]
        body = client.post(url, json={"answers": six_answers(5)}).json()
        assert body["code"] == "too_many_ratings"
        kiosk = {"Authorization": f"Bearer {kiosk_token}"}
        assert all(
            client.post(url, json={"answers": six_answers(4)}, headers=kiosk).status_code == 201
            for _ in range(8)
        )


def test_x_forwarded_for_is_believed_only_from_trusted_proxies(
    app: FastAPI, db: Session, registered: SurveyCatalog
) -> None:
    from starlette.requests import Request

    def address(peer: str, forwarded: str, trusted: str) -> str:
        app.state.hailong.settings = Settings(trusted_proxies=trusted)
        scope = {
            "type": "http",
            "app": app,
            "client": (peer, 1),
            "headers": [(b"x-forwarded-for", forwarded.encode())],
        }
        return client_address(Request(scope))

    assert address("203.0.113.9", "1.2.3.4", "") == "203.0.113.9"
    assert address("127.0.0.1", "1.2.3.4", "") == "127.0.0.1"  # not even from localhost
    assert address("10.0.0.5", "1.2.3.4", "10.0.0.0/24") == "1.2.3.4"
    # What the client wrote itself, left of the last untrusted hop, is not believed.
    assert address("10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.0.7", "10.0.0.0/24") == "1.2.3.4"
    assert address("10.0.0.5", "not-an-address", "10.0.0.0/24") == "10.0.0.5"


def test_limits_in_redis_are_shared_between_processes() -> None:
    url = redis_url()
    settings = _settings(redis_url=url)
    first, second = RatingLimits(settings), RatingLimits(settings)  # two workers' limiters
    sender = Client(address="198.51.100.7", device=uuid.uuid4().hex)

    async def run() -> list[bool]:
        assert await first.check_storage()
        taken = []
        for n in range(5):
            try:
                await (first if n % 2 else second).check(42, sender)
                taken.append(True)
            except TooManyRatings:
                taken.append(False)
        return taken

    assert run_async(run()) == [True, True, True, False, False]


def test_an_unreachable_redis_falls_back_to_counting_in_process() -> None:
    limits = RatingLimits(_settings(redis_url="redis://127.0.0.1:1/0"))
    sender = Client(address="198.51.100.8", device=uuid.uuid4().hex)

    async def run() -> list[bool]:
        assert not await limits.check_storage()
        taken = []
        for _ in range(4):
            try:
                await limits.check(7, sender)
                taken.append(True)
            except TooManyRatings:
                taken.append(False)
        return taken

    assert run_async(run()) == [True, True, True, False]


@pytest.fixture
def two_workers(backend: str, catalog: SurveyCatalog) -> Iterator[str]:
    url = redis_url()
    database = fresh_database(backend, "limits")
    env = {
        "HAILONG_REDIS_URL": url,
        "HAILONG_REDIS_PREFIX": f"test-{uuid.uuid4().hex}",
        "HAILONG_LIMIT_ADDRESS": "6 per minute",
        "HAILONG_LIMIT_DEVICE": "100 per minute",
    }
    from app.core.db import build_engine
    from app.models import OfficeCreate
    from app.offices.service import create_office
    from app.surveys.service import register_catalog

    engine = build_engine(database)
    with Session(engine) as session:
        register_catalog(session, catalog)
        create_office(session, OfficeCreate(code="LIM.01", name="Bộ phận một cửa thử"), catalog)
        session.commit()
    engine.dispose()
    with serve(database, workers=2, env=env) as base:
        yield base


def test_two_workers_sharing_redis_refuse_a_flood_after_one_limit(two_workers: str) -> None:
    inside_one_minute()
    codes = []
    for n in range(20):
        # A new connection each time, so the two workers both take some.
        with httpx.Client(base_url=two_workers) as http:
            response = http.post(
                "/api/v1/offices/LIM.01/responses",
                json={"answers": six_answers(5)},
                headers={"Idempotency-Key": f"flood-{n}"},
            )
            codes.append(response.status_code)
    assert codes.count(201) == 6, codes
    assert codes.count(429) == 14


def test_one_device_from_many_addresses_meets_one_limit() -> None:
    """A device's count in this process is its own whatever address it sends from, so its
    limit holds."""
    limits = RatingLimits(_settings(device="3 per minute", address="100 per minute"))

    async def send() -> list[bool]:
        taken = []
        for n in range(6):
            try:
                await limits.check(1, Client(address=f"10.0.{n}.1", device="ab" * 16))
                taken.append(True)
            except TooManyRatings:
                taken.append(False)
        return taken

    assert run_async(send()) == [True, True, True, False, False, False]


@contextmanager
def hung_redis() -> Iterator[str]:
    """A Redis that accepts connections and never answers (a paused relay)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def test_a_hung_redis_costs_a_rating_a_fraction_of_a_second_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with hung_redis() as url:
        limits = RatingLimits(_settings(redis_url=url))
        sender = Client(address="198.51.100.9", device=uuid.uuid4().hex)

        async def run() -> list[float]:
            waits = []
            for _ in range(3):
                started = time.monotonic()
                await limits.check(7, sender)
                waits.append(time.monotonic() - started)
            return waits

        with caplog.at_level(logging.ERROR, logger="hailong.limits"):
            waits = run_async(run())
    assert waits[0] < 2 * limits.timeout + 0.5  # the first waits for the timeout, once
    assert max(waits[1:]) < 0.1  # then counted in this process at once
    assert limits.state == "degraded"
    assert len([r for r in caplog.records if "did not answer" in r.getMessage()]) == 1


def test_the_app_starts_and_takes_ballots_with_a_hung_redis(
    db: Session, registered: SurveyCatalog
) -> None:
    from app.ballots.intake import SessionIntake
    from app.main import create_app

    office = make_office(db, registered)
    with hung_redis() as url:
        app = create_app(Settings(redis_url=url), register_surveys=False)
        app.state.hailong.catalog = registered
        app.state.hailong.intake = SessionIntake(db, registered)
        started = time.monotonic()
        with TestClient(app, raise_server_exceptions=False) as client:
            assert time.monotonic() - started < 2  # start-up does not wait on Redis
            sent = client.post(
                f"/api/v1/offices/{office.code}/responses", json={"answers": six_answers(5)}
            )
            assert sent.status_code == 201
            health = client.get("/healthz")
    assert health.json()["limits"] == "degraded"
    assert health.json()["status"] == "degraded"
