"""`hailong backup` copies a running deployment while ballots arrive and `hailong restore` puts
the copy into an empty database: its chains verify, its figures equal a recount of its ballots,
and a copy taken at rest has the very figures of the database it came from."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.pool import NullPool

from app.models import Ballot
from tests.conftest import _postgres_database, fresh_database, reset_postgres
from tests.factories import six_answers
from tests.serving import CHECKOUT, launch, wait_for
from tests.stats.recount import recount, stored

OFFICE = "16003.MC"  # the demo's commune counter


def hailong(url: str, *args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HAILONG_DATABASE_URL": url}
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=CHECKOUT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def empty_database(backend: str, name: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        (tmp_path / "databases").mkdir(exist_ok=True)
        return f"sqlite:///{tmp_path / 'databases' / f'{name}.db'}"
    url = _postgres_database(name)
    reset_postgres(url)
    return url


def ballots(url: str) -> dict[int, Any]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        rows = {row.id: row for row in conn.execute(select(Ballot.__table__))}  # type: ignore[attr-defined]
    engine.dispose()
    return rows


def figures(url: str) -> tuple[Any, Any]:
    """The stored counts every figure is read from, and a recount of them from the ballots."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        counts = stored(conn), recount(conn)
    engine.dispose()
    return counts


def tables(url: str) -> list[str]:
    engine = create_engine(url, poolclass=NullPool)
    names = inspect(engine).get_table_names()
    engine.dispose()
    return names


class Stream:
    """Ballots sent one after another until stopped; the receipts of those acknowledged."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.acknowledged: list[tuple[float, str]] = []
        self.failures: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._send, daemon=True)

    def _send(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                sent = client.post(
                    f"{self.base}/api/v1/offices/{OFFICE}/responses",
                    json={"answers": six_answers(4)},
                )
                if sent.status_code == 201:
                    self.acknowledged.append((time.monotonic(), sent.json()["receipt"]))
                else:
                    self.failures.append(sent.status_code)

    def __enter__(self) -> Stream:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def test_a_backup_taken_while_ballots_arrive_restores_whole(backend: str, tmp_path: Path) -> None:
    source = fresh_database(backend, "backup_source")
    assert hailong(source, "demo", "--ballots", "100").returncode == 0
    file = tmp_path / ("hailong.db" if backend == "sqlite" else "hailong.dump")
    # Every rating is taken, however fast they come from this one address.
    proc, base = launch(source, env={"HAILONG_LIMIT_ADDRESS": "100000 per minute",
                                     "HAILONG_LIMIT_DEVICE": "100000 per minute"})  # fmt: skip
    try:
        with Stream(base) as stream:
            wait_for(lambda: len(stream.acknowledged) >= 20)
            started = time.monotonic()
            made = hailong(source, "backup", str(file))
            ended = time.monotonic()
            wait_for(lambda: sum(t > ended for t, _ in stream.acknowledged) >= 10)
        assert made.returncode == 0, made.stderr
        assert made.stdout.startswith(f"backup written: {file}")
        assert not stream.failures
        # The stream went on during the backup.
        assert any(started < t < ended for t, _ in stream.acknowledged)

        target = empty_database(backend, "backup_target", tmp_path)
        restored = hailong(target, "restore", str(file))
        assert restored.returncode == 0, restored.stderr
        assert "verified" in restored.stdout
        copy, original = ballots(target), ballots(source)
        # One moment of the source: every ballot acknowledged before the backup began, each
        # row as it is in the source, and the counts read from exactly those ballots.
        receipts = {row.receipt for row in copy.values()}
        assert {r for t, r in stream.acknowledged if t < started} <= receipts
        assert all(original[i] == row for i, row in copy.items())
        assert len(copy) < len(original)
        counted, recounted = figures(target)
        assert counted == recounted

        # At rest, the copy has the very figures of its source.
        assert hailong(source, "backup", str(file)).returncode == 0  # replaces the first
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    again = empty_database(backend, "backup_again", tmp_path)
    assert hailong(again, "restore", str(file)).returncode == 0
    assert ballots(again) == ballots(source)
    assert figures(again) == figures(source)
    checked = hailong(again, "verify", "--db")
    assert checked.returncode == 0
    assert checked.stdout.startswith(f"ok: {len(ballots(source))} ballots")


def test_what_cannot_be_backed_up_or_restored_says_why_and_writes_nothing(
    backend: str, tmp_path: Path
) -> None:
    kind = backend
    source = fresh_database(backend, "backup_refusals")
    unwritable = tmp_path / "locked"
    unwritable.mkdir(mode=0o500)
    cases = {
        ("backup", str(tmp_path / "missing" / "x")): "does not exist",
        ("backup", str(tmp_path)): "is a directory",
        ("backup", "/sys/hailong.db"): "cannot be written",  # even for root
        ("restore", "/etc/hostname"): "is not a hailong backup",
        ("restore", str(tmp_path / "nothing")): "cannot be read",
        # Restoring into a database that has a schema, even one without a ballot.
        ("restore", str(tmp_path / "good")): "not empty",
    }
    if os.geteuid() != 0:  # root writes anywhere
        cases[("backup", str(unwritable / "x"))] = "cannot be written"
    assert hailong(source, "backup", str(tmp_path / "good")).returncode == 0
    for command, said in cases.items():
        done = hailong(source, *command)
        assert done.returncode == 1, command
        assert said in done.stderr, (command, done.stderr)
    # A backup of the other kind of database, and a damaged one.
    other = tmp_path / "other"
    other.write_bytes(b"PGDMP" + b"\0" * 200 if kind == "sqlite" else b"SQLite format 3\0" * 20)
    target = empty_database(backend, "backup_refused", tmp_path)
    done = hailong(target, "restore", str(other))
    assert done.returncode == 1
    assert "backup and HAILONG_DATABASE_URL names a" in done.stderr
    damaged = tmp_path / "damaged"
    damaged.write_bytes((tmp_path / "good").read_bytes()[:4096])
    done = hailong(target, "restore", str(damaged))
    assert done.returncode == 1
    assert "not a" in done.stderr or "damaged" in done.stderr
    assert tables(target) == []  # the target is still empty
    written = {p.name for p in tmp_path.iterdir()}
    assert written == {"databases", "damaged", "good", "locked", "other"} - (
        set() if kind == "sqlite" else {"databases"}
    )  # no partial file left beside any of them
    if kind == "postgresql":
        done = hailong(source, "backup", str(tmp_path / "y"), path="/nonexistent")
        assert done.returncode == 1
        assert "pg_dump is not on the PATH" in done.stderr
        assert not (tmp_path / "y").exists()
