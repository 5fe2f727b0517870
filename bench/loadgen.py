"""A small HTTP/1.1 keep-alive load generator (asyncio, raw sockets) for the benchmarks.

Bounded in time and count, loopback only. Each request body comes from a callback so every
ballot can carry its own idempotency key.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Result:
    requests: int = 0
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


class _Pace:
    """Requests offered at ``rate`` a second in all, whatever the server answers: an open load,
    so what it costs others is measured at that rate, not at the server's limit."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.start = time.perf_counter()
        self.slots = 0

    async def wait(self) -> None:
        if self.rate is None:
            return
        slot, self.slots = self.slots, self.slots + 1
        delay = self.start + slot / self.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)


async def _worker(
    host: str,
    port: int,
    make: Callable[[], bytes],
    deadline: float,
    limit: int,
    out: Result,
    pace: _Pace,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline and out.requests < limit:
            await pace.wait()
            started = time.perf_counter()
            writer.write(make())
            await writer.drain()
            status_line = await reader.readline()
            if not status_line:
                return
            status = int(status_line.split()[1])
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length:
                await reader.readexactly(length)
            out.requests += 1
            out.statuses[status] += 1
            out.latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


def post_request(
    host: str, path: str, body: bytes, content_type: str, cookie: str | None = None
) -> bytes:
    extra = f"Cookie: {cookie}\r\n" if cookie else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n"
        f"{extra}Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def run(
    host: str,
    port: int,
    make: Callable[[], bytes],
    *,
    seconds: float,
    concurrency: int,
    limit: int = 1_000_000,
    rate: float | None = None,
) -> Result:
    """Requests on ``concurrency`` connections for ``seconds``, as fast as answered or, with
    ``rate``, offered at that many a second in all."""
    out = Result()

    async def main() -> None:
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()
        pace = _Pace(rate)
        await asyncio.gather(
            *(_worker(host, port, make, deadline, limit, out, pace) for _ in range(concurrency))
        )
        out.seconds = time.perf_counter() - started

    asyncio.run(main())
    return out
