"""Restarts lose nothing: under a steady stream of ballots, a rolling restart of two workers
(SIGHUP to `hailong serve`, which restarts them one by one) and a `kill -TERM` of a lone worker
answer no request with a 5xx, store every acknowledged ballot once, and end live streams at
once with a hint to reconnect."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import NullPool

from app.models import Ballot
from tests.conftest import fresh_database
from tests.factories import six_answers
from tests.serving import CHECKOUT, free_port, load_demo, wait_for, wait_until_answered

OFFICE = "16003.MC"


class Ballots:
    """Four senders, each ballot under its own key, sent again with that key after a connection
    error (as the form and the kiosk do) until answered."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.answers: list[tuple[float, int]] = []
        self.acknowledged: dict[str, str] = {}  # key -> receipt
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._send, daemon=True) for _ in range(4)]

    def _send(self) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as http:
            while not self._stop.is_set():
                key = uuid.uuid4().hex
                for _ in range(400):
                    try:
                        sent = http.post(
                            f"/api/v1/offices/{OFFICE}/responses",
                            json={"answers": six_answers(4)},
                            headers={"Idempotency-Key": key},
                        )
                    except httpx.TransportError:
                        if self._stop.is_set():
                            break  # the test is over: this one was never acknowledged
                        time.sleep(0.05)  # the worker is gone or restarting: again, same key
                        continue
                    self.answers.append((time.monotonic(), sent.status_code))
                    if sent.status_code in (200, 201):
                        self.acknowledged[key] = sent.json()["receipt"]
                    break

    def __enter__(self) -> Ballots:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def wait_for(self, n: int) -> None:
        wait_for(lambda: len(self.acknowledged) >= n, what="the ballots stopped")


def _stored(url: str) -> tuple[set[str], int]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        receipts = set(conn.execute(select(Ballot.receipt)).scalars())
        keys = conn.execute(select(func.count(func.distinct(Ballot.idempotency_key)))).scalar_one()
    engine.dispose()
    return receipts, int(keys)


def _serve(url: str, tmp_path: Path, workers: int) -> tuple[subprocess.Popen[bytes], str, str]:
    demo = load_demo(url)
    env = {**os.environ, "HAILONG_DATABASE_URL": url}
    screen = re.search(r"/device/(hld_[A-Za-z0-9_-]+)", demo)
    assert screen
    port = free_port()
    env |= {
        "HAILONG_PORT": str(port),
        "HAILONG_LIMIT_ADDRESS": "1000000 per minute",
        "HAILONG_LIMIT_DEVICE": "1000000 per minute",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--workers", str(workers)],
        cwd=CHECKOUT, env=env, stdout=log, stderr=log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_until_answered(f"{base}/readyz")
    return proc, base, screen.group(1)


class Stream:
    """A counter screen's event stream, read until the server ends it."""

    def __init__(self, base: str, token: str) -> None:
        self.lines: list[str] = []
        self.ended_at: float | None = None
        self.opened = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(base, token), daemon=True)
        self._thread.start()
        assert self.opened.wait(10)

    def _read(self, base: str, token: str) -> None:
        try:
            with httpx.stream("GET", f"{base}/device/{token}/events", timeout=60) as answer:
                assert answer.status_code == 200
                self.opened.set()
                for line in answer.iter_lines():
                    self.lines.append(line)
        except httpx.TransportError:
            self.lines.append("<cut>")
        self.ended_at = time.monotonic()


def _children(pid: int) -> set[int]:
    """The worker processes of the server ``pid`` (not multiprocessing's resource tracker)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in command:
                found.add(int(entry.name))
    return found


def test_a_rolling_restart_of_two_workers_loses_nothing(backend: str, tmp_path: Path) -> None:
    url = fresh_database(backend, "rolling")
    proc, base, screen = _serve(url, tmp_path, workers=2)
    try:
        before = _children(proc.pid)
        assert len(before) == 2
        with Ballots(base) as ballots:
            ballots.wait_for(30)
            stream = Stream(base, screen)
            hup = time.monotonic()
            proc.send_signal(signal.SIGHUP)  # uvicorn restarts its workers one at a time
            deadline = time.monotonic() + 90
            exited: dict[int, float] = {}  # when each old worker was gone
            born: dict[int, float] = {}  # when each new one appeared
            while (alive := _children(proc.pid)) & before or len(alive) != 2:
                assert time.monotonic() < deadline, "the workers were not restarted"
                now = time.monotonic()
                for pid in before - alive:
                    exited.setdefault(pid, now)
                for pid in alive - before:
                    born.setdefault(pid, now)
                time.sleep(0.1)
            restarted = time.monotonic()
            ballots.wait_for(len(ballots.acknowledged) + 30)
        assert stream.ended_at is not None
        # uvicorn replaces the workers one after the other, stopping an old one once its
        # replacement is ready: a stream held by the second is asked to end only after the
        # first has exited and the second's replacement has started, however long those took
        # on a busy machine.
        first_out = min(exited.values(), default=restarted)
        second_born = min((t for t in born.values() if t >= first_out), default=first_out)
        asked = hup if stream.ended_at <= first_out else second_born
        assert stream.ended_at - asked < 10  # the stream did not hold its worker's stop
        hint = [line for line in stream.lines if line.startswith("retry: ")]
        assert 1000 <= int(hint[-1].split()[1]) <= 5000
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    statuses = [status for _, status in ballots.answers]
    assert not [s for s in statuses if s >= 500], statuses
    assert set(statuses) == {201}
    assert any(hup < t < restarted for t, _ in ballots.answers)  # taken during the restart
    receipts, keys = _stored(url)
    assert set(ballots.acknowledged.values()) <= receipts
    assert len(receipts) == keys  # no ballot stored twice


def test_a_terminated_lone_worker_answers_what_it_took(backend: str, tmp_path: Path) -> None:
    url = fresh_database(backend, "terminated")
    proc, base, screen = _serve(url, tmp_path, workers=1)
    try:
        with Ballots(base) as ballots:
            ballots.wait_for(40)
            stream = Stream(base, screen)
            term = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=40)
            stopped = time.monotonic()
            time.sleep(0.3)  # the senders now meet a closed port, and keep their ballots
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert stopped - term < 15
    assert stream.ended_at is not None
    assert any(line.startswith("retry: ") for line in stream.lines)
    statuses = [status for _, status in ballots.answers]
    assert set(statuses) == {201}, statuses
    receipts, keys = _stored(url)
    # Every ballot the worker took was answered: none stored without its acknowledgement.
    assert receipts == set(ballots.acknowledged.values())
    assert len(receipts) == keys
    log = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in log
