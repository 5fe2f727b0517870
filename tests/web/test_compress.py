"""Pages and large JSON are gzipped, large bodies in a worker thread; streams and small answers
are left alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio.to_thread
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from app.web import compress

BIG = {"children": [{"code": f"P{i:03d}", "headline": i / 1000} for i in range(10_000)]}


def _app() -> Starlette:
    def chunks() -> Iterator[bytes]:
        yield from (b"x" * 1000 for _ in range(100))

    routes = [
        Route("/big", lambda _: JSONResponse(BIG)),
        Route("/small", lambda _: PlainTextResponse("ok")),
        Route("/stream", lambda _: StreamingResponse(chunks(), media_type="text/plain")),
        Route("/events", lambda _: StreamingResponse(chunks(), media_type="text/event-stream")),
    ]
    return Starlette(routes=routes, middleware=[])


@pytest.fixture
def client() -> TestClient:
    return TestClient(compress.Gzip(_app(), minimum_size=800))


def test_large_json_is_gzipped_in_a_thread(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    threaded: list[Any] = []
    original = anyio.to_thread.run_sync

    async def spy(work: Any, *args: Any, **kwargs: Any) -> Any:
        threaded.append(work)
        return await original(work, *args, **kwargs)

    monkeypatch.setattr(compress.anyio.to_thread, "run_sync", spy)
    response = client.get("/big", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["vary"]
    assert int(response.headers["content-length"]) == response.num_bytes_downloaded
    assert response.json() == BIG
    # The loop stayed free while it was compressed.
    assert [w for w in threaded if getattr(w, "__qualname__", "") == "_squeeze.<locals>.work"]


def test_small_streamed_and_unasked_for(client: TestClient) -> None:
    small = client.get("/small", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers
    assert small.text == "ok"
    stream = client.get("/stream", headers={"Accept-Encoding": "gzip"})
    assert stream.headers["content-encoding"] == "gzip"
    assert stream.text == "x" * 100_000
    events = client.get("/events", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in events.headers  # a live stream is never buffered
    plain = client.get("/big", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert json.loads(plain.content) == BIG
