"""Timing what a reader gets over HTTP: signing in as a member of staff, and the median time to
the last byte of a GET (gzip accepted, as a browser asks), beside what the service took."""

from __future__ import annotations

import re
import statistics
import time
import zlib
from collections.abc import Callable

import httpx


def signed_in(base: str, username: str, password: str) -> httpx.Client:
    """A client holding a staff session, as a browser after the login form."""
    client = httpx.Client(base_url=base, timeout=120, headers={"Accept-Encoding": "gzip"})
    page = client.get("/login").text
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    if found is None:
        raise SystemExit("the login page has no CSRF field")
    data = {"username": username, "password": password, "csrf": found.group(1)}
    answer = client.post("/login", data=data)
    if answer.status_code != 303:
        raise SystemExit(f"signing in as {username} failed ({answer.status_code})")
    return client


def timed_get(client: httpx.Client, url: str) -> tuple[float, int, int]:
    """The seconds of one GET to its last byte; the bytes sent and their size decompressed."""
    started = time.perf_counter()
    answer = client.get(url)
    elapsed = time.perf_counter() - started
    answer.raise_for_status()
    return elapsed, answer.num_bytes_downloaded, len(answer.content)


def interleaved(
    local: Callable[[], float], client: httpx.Client, url: str, runs: int
) -> tuple[float, float, int, int]:
    """The median seconds of ``local()`` and of a GET of ``url``, taking turns ``runs`` times
    after one turn to warm up, so that a drift of the machine hits both alike; the GET's bytes
    sent and their size decompressed."""
    here, there, sent, size = [], [], 0, 0
    for _ in range(runs + 1):
        here.append(local())
        elapsed, sent, size = timed_get(client, url)
        there.append(elapsed)
    return statistics.median(here[1:]), statistics.median(there[1:]), sent, size


def gzip_levels(body: bytes, links: tuple[float, ...] = (1000e6, 100e6, 20e6)) -> list[str]:
    """Each gzip level on ``body``: time to compress, size, and compressing plus sending over
    links of ``links`` bits a second (the decompression is the reader's at every level alike)."""
    lines = []
    for level in range(1, 10):
        times = []
        for _ in range(9):
            started = time.perf_counter()
            squeezer = zlib.compressobj(level, zlib.DEFLATED, 31)
            size = len(squeezer.compress(body) + squeezer.flush())
            times.append(time.perf_counter() - started)
        spent = statistics.median(times)
        sent = "  ".join(f"{(spent + size * 8 / bits) * 1000:6.1f}" for bits in links)
        lines.append(f"  level {level}: {spent * 1000:5.1f} ms  {size:9,} B   {sent}")
    return lines
