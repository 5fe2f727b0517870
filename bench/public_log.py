"""The public record's figures, each against a baseline or its target in the same run.

    python bench/public_log.py proof [--leaves 10000000]
    python bench/public_log.py serve [--ballots 100000] [--database-url URL]

``proof``: a tree of ``--leaves`` leaves stored as the log stores it (leaf hashes and subtree
heads, in a SQLite file); a receipt's proof made from it, its size, and the time to verify it
offline (``hailong proof verify``'s checks), against the same at 1,000 leaves. Targets: at
most 2 KB, at most 50 ms.

``serve``: ``--ballots`` stored through the ballot writer's code, then given their place in
the log (the sequencer's rate); a real server in front of it, whose log the monitor audits
over HTTP (its rate, and the minutes a 10-million-entry log would take at it); how long a new
ballot waits for the checkpoint that covers it, with the default HAILONG_LOG_SECONDS (target:
60 s); and the public page of the province served by one worker while ballots keep coming,
with the ballots' latency against the same ballots without the page load (target: 1,000 pages
a second, ballots' median within 10 %).

The monitor over ten million entries: bench/log_audit.py.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench import loadgen  # noqa: E402
from bench.serving import UNLIMITED, app_env, cli, free_port, log_key, public_province, start  # noqa: E402


def _timed(action, repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def proof(leaves: int) -> None:
    from app.models import LogEntry, LogNode
    from app.transparency import merkle, tree
    from app.transparency.checkpoint import Checkpoint
    from app.transparency.note import Signer, Verifier, generate
    from app.transparency.proof import TlogProof, verify_proof

    path = Path(tempfile.mkdtemp(prefix="hailong-bench-")) / "log.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    LogEntry.__table__.create(engine)  # type: ignore[attr-defined]
    LogNode.__table__.create(engine)  # type: ignore[attr-defined]
    entry = (
        b'{"answers":{"complies":4,"easy_to_understand":5,"guides_thoroughly":4,'
        b'"listens_fully":5,"manner":4,"received_result":5},"day":"2026-12-06","kind":"ballot",'
        b'"office":"000.06.01.H56","receipt":"' + hashlib.sha256(b"r").hexdigest().encode()
        + b'","source":"open","survey":"cong-chuc","v":1,"version":1}'
    )  # fmt: skip
    started = time.perf_counter()
    step = 200_000
    with engine.begin() as conn:
        for first in range(0, leaves, step):
            last = min(leaves, first + step)
            rows = [
                {"idx": i, "hash": merkle.leaf_hash(entry if i == 0 else i.to_bytes(8, "big"))}
                for i in range(first, last)
            ]
            conn.execute(tree.ENTRY.insert(), rows)
            tree.add_nodes(conn, first, last)
    print(f"built a stored tree of {leaves:,} leaves in {time.perf_counter() - started:.0f} s")
    signer = Signer.parse(generate("bench.example/log")[0])
    verifier = Verifier.parse(signer.verifier_key())
    results = {}
    with engine.connect() as conn:
        for size in (1_000, leaves):
            heads = tree.Heads(conn)
            note = Checkpoint(signer.name, size, heads.root(size)).signed(signer)
            made = _timed(lambda s=size: tree.Heads(conn).inclusion(0, s), 10)
            text = TlogProof(0, tuple(heads.inclusion(0, size)), note, entry).text()

            def check(text: str = text) -> None:
                found = TlogProof.parse(text)
                verify_proof(found, merkle.leaf_hash(found.extra), verifier, verifier.name)

            results[size] = (len(text.encode()), made, _timed(check, 200))
    small, big = results[1_000], results[leaves]
    print(f"\n{'leaves':>12} {'proof bytes':>12} {'made (ms)':>10} {'verified (ms)':>14}")
    for size, (length, made, verified) in results.items():
        print(f"{size:>12,} {length:>12,} {made * 1000:>10.2f} {verified * 1000:>14.3f}")
    ratio = big[2] / small[2]
    print(f"\nproof at {leaves:,}: {big[0]:,} bytes (target <= 2,048); verified in "
          f"{big[2] * 1000:.2f} ms (target <= 50), {ratio:.2f} times that at 1,000")  # fmt: skip


def _seed(url: str, ballots: int) -> None:
    """``ballots`` ballots through the writer's own code, in batches, as the group-commit
    writer stores them."""
    from datetime import UTC, datetime, timedelta

    from sqlmodel import Session

    from app.ballots.office_info import load_office_info
    from app.ballots.service import prepare, store_ballots
    from app.ballots.validation import Submission
    from app.core.config import Settings
    from app.core.db import WRITE, build_engine
    from app.surveys.catalog import load_catalog

    settings = Settings()
    catalog = load_catalog(settings.surveys_dir, settings.default_survey)
    engine = build_engine(url, pool_size=1)
    keys = [q.key for q in catalog.default().questions]
    now = datetime.now(UTC)
    with Session(engine) as session:
        offices = [load_office_info(session, catalog, f"BENCH.{n}") for n in range(4)]
    for first in range(0, ballots, 1000):
        batch = [
            prepare(
                offices[i % 4],
                Submission(answers={k: 4 + (i + j) % 2 for j, k in enumerate(keys)}),
                channel="web",
                idempotency_key=uuid.uuid4().hex,
                strict_replay=True,
                submitted_at=now - timedelta(minutes=i % 40_000),
            )
            for i in range(first, min(ballots, first + 1000))
        ]
        with engine.connect().execution_options(**WRITE) as conn, conn.begin():
            store_ballots(conn, batch)
    engine.dispose()


def serve(ballots: int, url: str | None) -> None:
    from bench.submit import device_cookie, make_body

    tmp = tempfile.mkdtemp(prefix="hailong-bench-")
    url = url or f"sqlite:///{tmp}/bench.db"
    env = app_env(url, **UNLIMITED)
    public_province(url, env)
    vkey = log_key(env, tmp)

    started = time.perf_counter()
    _seed(url, ballots)
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    cli(env, "log", "sequence")
    sequenced = time.perf_counter() - started
    print(f"{ballots:,} ballots stored in {seeded:.0f} s; sequenced and signed in "
          f"{sequenced:.1f} s ({ballots / sequenced:,.0f} entries/s)")  # fmt: skip

    port = free_port()
    server = start(["--factory", "app.main:create_app"], port, env)  # default HAILONG_LOG_SECONDS
    base = f"http://127.0.0.1:{port}"
    try:
        state = Path(tmp) / "audit.json"
        started = time.perf_counter()
        audit = subprocess.run(
            [sys.executable, "-m", "app", "log", "audit", f"{base}/log", "--key", vkey,
             "--state", str(state)],
            cwd=ROOT, env=env, capture_output=True, text=True,
        )  # fmt: skip
        audited = time.perf_counter() - started
        if audit.returncode != 0:
            raise SystemExit(f"the audit failed: {audit.stderr}")
        rate, last = ballots / audited, audit.stdout.strip().splitlines()[-1]
        minutes = 10_000_000 / rate / 60
        print(f"monitor: {last} in {audited:.1f} s "
              f"({rate:,.0f} entries/s: 10,000,000 in {minutes:.0f} min)")  # fmt: skip

        delays = []
        with httpx.Client(base_url=base) as client:
            for _ in range(3):
                form = client.post(
                    "/s/BENCH.0", content=make_body(_office_id(url)),
                    headers={"Content-Type": "application/x-www-form-urlencoded",
                             "Cookie": device_cookie()},
                )  # fmt: skip
                receipt = form.headers["location"].split("/r/")[1].split("?")[0]
                sent = time.perf_counter()
                while client.get(f"/s/BENCH.0/r/{receipt}/proof").status_code != 200:
                    time.sleep(0.5)
                delays.append(time.perf_counter() - sent)
        print(f"checkpoint covering a new ballot: after {max(delays):.1f} s at most "
              f"(of {len(delays)}; target <= 60 s)")  # fmt: skip
        _pages(port, url)
    finally:
        server.terminate()
        server.wait(10)


def _office_id(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT id FROM office WHERE code = 'BENCH.0'")).scalar_one()
    engine.dispose()
    return int(found)


def _pages(port: int, url: str) -> None:
    from bench.submit import device_cookie, make_body

    office = _office_id(url)
    page = b"GET /cong-khai/BENCH-P HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    ctype = "application/x-www-form-urlencoded"

    def ballot() -> bytes:
        return loadgen.post_request(
            "127.0.0.1", "/s/BENCH.0", make_body(office), ctype, device_cookie()
        )

    static = b"GET /static/css/hailong.css HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    loadgen.run("127.0.0.1", port, lambda: page, seconds=1, concurrency=8)  # warm-up
    alone = loadgen.run("127.0.0.1", port, ballot, seconds=6, concurrency=4)

    def beside(request: bytes) -> tuple[loadgen.Result, loadgen.Result]:
        """The ballots while ``request`` is offered 1,000 times a second."""
        found: list[loadgen.Result] = []

        def read() -> None:
            offered = loadgen.run(
                "127.0.0.1", port, lambda: request, seconds=6, concurrency=32, rate=1000
            )
            found.append(offered)

        reader = threading.Thread(target=read)
        reader.start()
        ballots = loadgen.run("127.0.0.1", port, ballot, seconds=6, concurrency=4)
        reader.join()
        return found[0], ballots

    served, together = beside(page)
    _, with_static = beside(static)
    if set(served.statuses) != {200}:
        raise SystemExit(f"public page statuses {dict(served.statuses)}")
    most = loadgen.run("127.0.0.1", port, lambda: page, seconds=4, concurrency=32)
    print(f"public page of the province, one worker: {most.rate:,.0f} req/s at most; offered "
          f"1,000 a second beside the ballots, {served.rate:,.0f} answered, p99 "
          f"{served.percentile(0.99) * 1000:.1f} ms")  # fmt: skip
    loads = (
        ("alone", alone),
        ("with the page load", together),
        ("with a static file", with_static),
    )
    for name, result in loads:
        p50, p99 = result.percentile(0.5) * 1000, result.percentile(0.99) * 1000
        print(
            f"  ballots {name:<20} {result.rate:6.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
        )
    median = together.percentile(0.5)
    print(f"  ballots' median with the page load to alone: {median / alone.percentile(0.5):.2f}; "
          f"to beside a static file: {median / with_static.percentile(0.5):.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    proof_cmd = commands.add_parser("proof")
    proof_cmd.add_argument("--leaves", type=int, default=10_000_000)
    serve_cmd = commands.add_parser("serve")
    serve_cmd.add_argument("--ballots", type=int, default=100_000)
    serve_cmd.add_argument("--database-url", default=None)
    args = parser.parse_args()
    os.environ.setdefault("HAILONG_ENV", "development")
    if args.command == "proof":
        proof(args.leaves)
    else:
        serve(args.ballots, args.database_url)


if __name__ == "__main__":
    main()
