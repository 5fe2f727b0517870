"""What watching a request costs: ``RequestLog`` (its id, its timing for the metrics, its access
line; ``app/web/logs.py``) around an ASGI app that answers at once, against that app alone, in
the same run; and a ``/metrics`` scrape adding up several workers' files.

    python bench/observability.py [--requests 50000] [--workers 4]

The requests are awaited one after another in one event loop, as uvicorn awaits each. The
access line is measured both as a server runs by default (INFO, to a handler writing JSON to
/dev/null) and with the access logger off. Target: at most 20 µs a request, under 3 % of a
ballot's ~700 µs of server time (bench/submit.py at ~1,400 ballots a second on one worker).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCOPE = {
    "type": "http",
    "method": "POST",
    "path": "/api/v1/offices/16003.MC/responses",
    "headers": [(b"content-type", b"application/json"), (b"x-request-id", b"abc-123")],
}


async def answer(scope: object, receive: object, send) -> None:
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def per_request(app, n: int) -> float:
    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    async def send(message: object) -> None:
        return None

    started = time.perf_counter()
    for _ in range(n):
        await app(dict(SCOPE), receive, send)
    return (time.perf_counter() - started) / n * 1e6


def scrape_ms(workers: int) -> float:
    """A scrape of ``workers`` processes' files, each having counted a national spread of
    routes, sources and office kinds."""
    folder = tempfile.mkdtemp(prefix="hailong-bench-metrics-")
    code = """
import os, sys
os.environ["PROMETHEUS_MULTIPROC_DIR"] = sys.argv[1]
from app.core import metrics as m
for i in range(80):
    m.request_duration.labels(route=f"/r{i}", method="GET").observe(0.01)
for source in ("open", "counter", "kiosk", "link"):
    for kind in ("one-stop", "department", "commune"):
        m.ballots_stored.labels(source=source, office_kind=kind).inc()
m.writer_batch.observe(5)
m.writer_commit.observe(0.002)
"""
    import subprocess

    for _ in range(workers):
        subprocess.run([sys.executable, "-c", code, folder], cwd=ROOT, check=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    from prometheus_client import CollectorRegistry, generate_latest, multiprocess

    started = time.perf_counter()
    for _ in range(20):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        size = len(generate_latest(registry))
    took = (time.perf_counter() - started) / 20 * 1000
    print(f"  /metrics over {workers} workers' files: {took:.1f} ms a scrape ({size} bytes)")
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    from app.core.log_format import JsonFormatter
    from app.web.logs import RequestLog

    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115
    handler.setFormatter(JsonFormatter())
    access = logging.getLogger("hailong.access")
    access.addHandler(handler)
    access.propagate = False
    watched = RequestLog(answer)

    async def run() -> None:
        bare = await per_request(answer, args.requests)
        access.setLevel(logging.INFO)
        logged = await per_request(watched, args.requests)
        access.setLevel(logging.WARNING)
        quiet = await per_request(watched, args.requests)
        print(f"{args.requests} requests, one after another:")
        rows = [
            ("the app alone", bare, ""),
            ("with RequestLog, access line written", logged, f"(+{logged - bare:.2f})"),
            ("with RequestLog, access logger off", quiet, f"(+{quiet - bare:.2f})"),
        ]
        for name, value, extra in rows:
            print(f"  {name:<40}{value:6.2f} µs a request {extra}")
        target = "ok" if logged - bare <= 20 else "MISSED"
        print(f"  cost of watching a request: {logged - bare:.2f} µs (target <= 20: {target})")

    asyncio.run(run())
    scrape_ms(args.workers)


if __name__ == "__main__":
    main()
