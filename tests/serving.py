"""Running the real app in its own process for tests that need a live server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

# Where the test servers run: a checkout keeps its own var/ (the default database's folder).
CHECKOUT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(
    database_url: str,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    port: int | None = None,
) -> Iterator[str]:
    """Serve the app on a free port (or ``port``) with ``database_url`` (and ``env``); yields
    the base URL."""
    proc, base = launch(database_url, workers=workers, env=env, port=port)
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def launch(
    database_url: str,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    port: int | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the app in its own process and wait until it answers; the process (the caller
    ends it, with a kill -9 if it likes) and the base URL."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "HAILONG_DATABASE_URL": database_url,
        "HAILONG_PUBLIC_URL": base,
        **(env or {}),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "app.main:create_app",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            # Live streams left open by a failed test must not hold the shutdown.
            "--timeout-graceful-shutdown",
            "3",
        ],
        cwd=CHECKOUT,
        env=env,
    )
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("the test server did not start")
        # Listening is not ready: wait until the app has started (surveys registered, writer up).
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    except BaseException:
        proc.terminate()
        proc.wait(timeout=15)
        raise
    return proc, base


def wait_until_answered(url: str, seconds: float = 60) -> None:
    """Wait until ``url`` (a server's /healthz or /readyz) answers 200."""

    def answered() -> bool:
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(answered, seconds, f"{url} did not answer in {seconds:.0f} s")


def wait_for(
    condition: Callable[[], bool], seconds: float = 30, what: str = "waited too long"
) -> None:
    """Wait until ``condition()`` holds; fail with ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def inside_one_minute(room: float = 20) -> None:
    """Wait, if need be, until the minute has ``room`` seconds left. A limit of so many a minute
    is a sliding-window counter (the library's in Redis, the app's in one process): just past a
    minute's end the one before counts only for what is left of it, so a test counting up to
    a limit across that moment sees one rating more let through."""
    left = 60 - time.time() % 60
    if left < room:
        time.sleep(left + 0.05)


def load_demo(database_url: str, ballots: int = 0) -> str:
    """``hailong demo`` into ``database_url`` (empty, migrated); what it printed (the staff's
    passwords, the demo screen's address)."""
    env = {**os.environ, "HAILONG_DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "app", "demo", "--ballots", str(ballots)],
        cwd=CHECKOUT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout
