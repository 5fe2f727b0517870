"""Thousands of open live screens: what they cost the server, and whether ballots still go
through as fast as with none open.

    python bench/live.py [--screens 200,1000,2000] [--rates 5,20] [--workers 1,2]
                         [--layouts split,shared] [--seconds 15] [--min-ballots 0]
                         [--database-url URL] [--durable]

Each screen behaves as a browser's dashboard does (static/js/live.js): it holds the office's
event stream open and takes the figures the server pushes; half watch a unit, half its
province. Screens run in load-generator processes of their own (raw sockets, 1,000 each, under
SCHED_IDLE: they stand for browsers on other machines, and take only CPU nothing else wants),
the ballots come from another thread at a steady rate to the unit, through the JSON API.
Layouts: ``split``, the streams on a live pool of their own (as the README deploys it),
``shared``, on the workers that take the ballots.
Measured per phase: the event latency (from a ballot's acknowledgement to each screen's next
pushed figures), the servers' CPU (every server process's user + system time, in % of one
core), and the ballots' latency against the same ballots with no screen open (the phases
without screens, one before each phase with them, pooled). On PostgreSQL commits do not wait
for the disk unless ``--durable``: a virtual disk's flush times otherwise swamp both p99s.
Targets: event p99 <= 2 s at 2,000 screens, ballot p99 with 2,000 screens within 1.5x of the
ballot p99 with none, server CPU at 2,000 screens <= 2x that at 200.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

PER_PROCESS = 1000
LIVE_NICE = 10  # the live pool yields the CPU to the ballots, as the README deploys it

MARK = b"event: figures"


# --- the screens' processes ------------------------------------------------------------------


async def _screen(port: int, path: str, cookie: str, times: list[float], ready: Any) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise SystemExit(f"stream refused: {status!r}")
    ready()
    tail = b""
    while chunk := await reader.read(65536):
        data = tail + chunk
        now = time.monotonic()
        times.extend(now for _ in range(data.count(MARK)))
        tail = data[-len(MARK) + 1 :]  # a mark split across reads is counted once, later


async def _screens(port: int, paths: list[str], cookie: str) -> None:
    times: list[list[float]] = [[] for _ in paths]
    connected = 0

    def ready() -> None:
        nonlocal connected
        connected += 1
        if connected == len(paths):
            print("ready", flush=True)

    tasks = []
    for i, path in enumerate(paths):
        tasks.append(asyncio.create_task(_screen(port, path, cookie, times[i], ready)))
        if i % 50 == 49:
            await asyncio.sleep(0.05)  # as screens come on over a morning, not all at once
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for task in tasks:
        task.cancel()
    print(json.dumps(times), flush=True)


# --- the conductor ---------------------------------------------------------------------------


def _prepare(url: str) -> None:
    from sqlmodel import Session

    from app.auth.service import create_user
    from app.core.config import Settings
    from app.core.db import build_engine
    from app.core.migrate import upgrade
    from app.models import OfficeCreate, UserCreate
    from app.offices.service import create_office
    from app.surveys.catalog import load_catalog
    from app.surveys.service import register_catalog
    from bench.serving import reset_schema

    reset_schema(url)
    upgrade(url)
    engine = build_engine(url, pool_size=1)
    catalog = load_catalog(Settings().surveys_dir, "cong-chuc")
    with Session(engine) as session:
        register_catalog(session, catalog)
        create_office(session, OfficeCreate(code="LV", name="Tỉnh", kind="province"), catalog)
        for n in range(20):
            office = OfficeCreate(code=f"LV.{n}", name=f"Bộ phận một cửa {n}", parent="LV")
            create_office(session, office, catalog)
        create_user(
            session,
            UserCreate.model_construct(
                username="bench.xem", role="inspector", office="LV", password="mat-khau-dai-1"
            ),
        )
        session.commit()
    engine.dispose()


def _cookie(base: str) -> str:
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        form = {"username": "bench.xem", "password": "mat-khau-dai-1", "csrf": csrf}
        assert client.post("/login", data=form).status_code == 303
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def _cpu_seconds(pids: list[int]) -> float:
    """User + system time of the servers and every process below them (workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    roots, total = set(pids), 0.0
    for pid, (parent, seconds) in stats.items():
        while pid not in roots and parent in stats:
            pid, parent = parent, stats[parent][0]
        total += seconds if pid in roots else 0.0
    return total


def _disk_sync_ms(seconds: float = 4.0) -> tuple[float, float, float]:
    """How long this machine's disk takes to make a small write durable (p50, p99, max in ms):
    the floor under every durable commit, screens or not."""
    latencies = []
    with tempfile.NamedTemporaryFile(dir=ROOT) as file:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            file.write(b"x" * 8192)
            file.flush()
            started = time.perf_counter()
            os.fdatasync(file.fileno())
            latencies.append(time.perf_counter() - started)
            time.sleep(0.005)
    return _p(latencies, 50) * 1000, _p(latencies, 99) * 1000, max(latencies) * 1000


def _ballots(base: str, rate: float, seconds: float) -> tuple[list[float], list[float]]:
    """Ballots to the unit at ``rate`` a second: their latencies and acknowledgement times."""
    from app.core.config import Settings
    from app.surveys.catalog import load_catalog

    survey = load_catalog(Settings().surveys_dir, "cong-chuc").get("cong-chuc")
    assert survey is not None
    keys = [q.key for q in survey.questions]
    latencies, acknowledged = [], []
    with httpx.Client(base_url=base, timeout=60) as client:
        start = time.monotonic()
        for n in range(int(rate * seconds)):
            time.sleep(max(0.0, start + n / rate - time.monotonic()))
            sent = time.monotonic()
            response = client.post(
                "/api/v1/offices/LV.0/responses",
                json={"answers": dict.fromkeys(keys, 4 + n % 2)},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            done = time.monotonic()
            if response.status_code != 201:
                raise SystemExit(f"ballot refused: {response.status_code} {response.text[:200]}")
            latencies.append(done - sent)
            acknowledged.append(done)
    return latencies, acknowledged


def _event_latencies(screens: list[list[float]], acknowledged: list[float]) -> list[float]:
    out = []
    for times in screens:
        i = 0
        for at in acknowledged:
            while i < len(times) and times[i] < at:
                i += 1
            if i < len(times):
                out.append(times[i] - at)
    return out


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else 0.0


def _phase(base: str, pids: list[int], rate: float, seconds: float) -> dict[str, Any]:
    before, started = _cpu_seconds(pids), time.monotonic()
    latencies, acknowledged = _ballots(base, rate, seconds)
    time.sleep(2.5)  # the last ballots' pushes
    cpu = (_cpu_seconds(pids) - before) / (time.monotonic() - started) * 100
    return {"latencies": latencies, "acknowledged": acknowledged, "cpu": cpu}


def _open_screens(port: int, cookie: str, count: int, query: str) -> list[subprocess.Popen[str]]:
    paths = [f"/staff/offices/{'LV.0' if i % 2 else 'LV'}/events?{query}" for i in range(count)]
    procs = []
    for at in range(0, count, PER_PROCESS):
        proc = subprocess.Popen(
            [sys.executable, __file__, "--screens-of", str(port), cookie],
            # They stand for browsers on other machines: here they take only the CPU left over,
            # and give it back at once to whatever wakes (nice 19 alone runs out its slice).
            preexec_fn=lambda: os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0)),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(paths[at : at + PER_PROCESS]) + "\n")
        proc.stdin.flush()
        procs.append(proc)
    for proc in procs:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit("the screens did not connect")
    return procs


def _close_screens(procs: list[subprocess.Popen[str]]) -> list[list[float]]:
    times: list[list[float]] = []
    for proc in procs:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write("\n")
        proc.stdin.flush()
        times += json.loads(proc.stdout.readline())
        proc.wait()
    return times


@dataclass
class Row:
    layout: str
    workers: int
    screens: int
    rate: float
    events: list[float]
    phase: dict[str, Any]
    none: list[float] = field(default_factory=list)  # ballot latencies with no screen open


def _server_url(url: str, durable: bool) -> str:
    """The servers' database URL. Unless ``durable``, PostgreSQL commits without waiting for the
    disk (for the benchmark's servers only): a small virtual disk's flush times (see
    ``_disk_sync_ms``) would otherwise be most of both p99s, screens or none, and hide what the
    screens themselves cost a ballot."""
    if durable or not url.startswith("postgresql"):
        return url
    return f"{url}{'&' if '?' in url else '?'}options=-c%20synchronous_commit%3Doff"


def run(
    url: str,
    layout: str,
    workers: int,
    screens: list[int],
    rates: list[float],
    seconds: float,
    durable: bool,
    min_ballots: int = 0,
) -> list[Row]:
    """One layout: ``shared``, the screens' streams on the workers that take the ballots, or
    ``split``, the streams on a live pool of their own (the proxy sends ``/events`` there)."""
    from bench.serving import UNLIMITED, app_env, free_port, start

    def length(rate: float) -> float:
        """A phase's seconds: a p99 of 200 ballots is their second slowest, mostly noise."""
        return max(seconds, min_ballots / rate)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = app_env(
        _server_url(url, durable),
        base,
        **UNLIMITED,
        HAILONG_LIVE_STREAM_SECONDS="3600",
        HAILONG_MAX_STREAMS="10000",
    )
    target = ["--factory", "app.main:create_app", "--workers", str(workers)]
    servers = [start(target, port, env)]
    live_port = port
    if layout == "split":
        live_port = free_port()
        servers.append(start(target, live_port, env, nice=LIVE_NICE))
    pids = [server.pid for server in servers]
    rows: list[Row] = []
    try:
        for _ in range(100):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        cookie = _cookie(base)
        for rate in rates:
            _ballots(base, rate, 2)  # warm up
        nones: dict[float, list[list[float]]] = {rate: [] for rate in rates}  # per phase
        for count in screens:
            # Each phase with screens follows one without, so that both see the same machine.
            for rate in rates:
                nones[rate].append(_phase(base, pids, rate, length(rate))["latencies"])
            procs = _open_screens(live_port, cookie, count, "period=month")
            time.sleep(3)
            phases = [(rate, _phase(base, pids, rate, length(rate))) for rate in rates]
            times = _close_screens(procs)
            for rate, phase in phases:
                rows.append(
                    Row(
                        layout,
                        workers,
                        count,
                        rate,
                        _event_latencies(times, phase["acknowledged"]),
                        phase,
                    )
                )
                print(
                    f"  ({layout}, {workers} worker(s), {count} screens, {rate:.0f}/s done)",
                    flush=True,
                )
    finally:
        for server in servers:
            server.terminate()
            server.wait()
    for rate, phases_without in nones.items():
        print(
            f"  ({layout}, {workers} worker(s), {rate:.0f}/s: ballot p99 of each phase without"
            f" screens {', '.join(f'{_p(p, 99) * 1000:.1f}' for p in phases_without)} ms)",
            flush=True,
        )
    for row in rows:
        row.none = [latency for phase in nones[row.rate] for latency in phase]
    return rows


def _line(row: Row) -> str:
    ballots = row.phase["latencies"]
    return (
        f"  {row.layout:>6} {row.workers:>7} {row.screens:>7} {row.rate:>6.0f}/s "
        f"{_p(row.events, 50) * 1000:>8.0f} {_p(row.events, 99) * 1000:>8.0f} "
        f"{row.phase['cpu']:>6.0f}% {_p(row.none, 99) * 1000:>8.1f} "
        f"{_p(ballots, 50) * 1000:>8.1f} {_p(ballots, 99) * 1000:>8.1f} "
        f"{_p(ballots, 99) / max(_p(row.none, 99), 1e-9):>7.2f}x"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--screens-of":
        paths = json.loads(sys.stdin.readline())
        asyncio.run(_screens(int(sys.argv[2]), paths, sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screens", default="200,1000,2000")
    parser.add_argument("--rates", default="5,20")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--layouts", default="split,shared")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument(
        "--min-ballots", type=int, default=0, help="each phase runs until it has sent this many"
    )
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument(
        "--durable", action="store_true", help="PostgreSQL: commits wait for the disk, as served"
    )
    args = parser.parse_args()
    screens = [int(s) for s in args.screens.split(",")]
    rates = [float(r) for r in args.rates.split(",")]
    header = (
        f"  {'layout':>6} {'workers':>7} {'screens':>7} {'ballots':>8} {'ev p50':>8} "
        f"{'ev p99':>8} {'CPU':>7} {'none p99':>8} {'bal p50':>8} {'bal p99':>8} {'vs none':>8}"
    )
    print(header, flush=True)
    rows: list[Row] = []
    for layout in args.layouts.split(","):
        for workers in (int(w) for w in args.workers.split(",")):
            # SQLite: a new file each time (a PostgreSQL database is emptied by _prepare).
            url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='hailong-live-')}/l.db"
            _prepare(url)
            rows += run(
                url, layout, workers, screens, rates, args.seconds, args.durable, args.min_ballots
            )
    backend = (args.database_url or "sqlite").split(":", 1)[0].split("+")[0]
    commits = "durable" if args.durable or backend == "sqlite" else "not waiting for the disk"
    sync = _disk_sync_ms()
    print(
        f"\nlive screens, {backend} (commits {commits}), {args.seconds:.0f} s per phase "
        f"(and at least {args.min_ballots} ballots) "
        f"(ms; CPU in % of one core, every server process):"
    )
    print(header)
    for row in rows:
        print(_line(row))
    print(
        f"  this disk makes an 8 KB write durable in p50 {sync[0]:.1f}, p99 {sync[1]:.1f}, "
        f"max {sync[2]:.1f} ms"
    )
    print("  targets: event p99 <= 2000 ms at 2,000 screens; ballot p99 within 1.5x of none;")
    for layout, workers, rate in dict.fromkeys((r.layout, r.workers, r.rate) for r in rows):
        cpu = {
            r.screens: r.phase["cpu"]
            for r in rows
            if (r.layout, r.workers, r.rate) == (layout, workers, rate)
        }
        if min(screens) in cpu and max(screens) in cpu and cpu[min(screens)]:
            print(
                f"  {layout}, {workers} worker(s), {rate:.0f} ballots/s: CPU at {max(screens)} "
                f"screens / at {min(screens)} = {cpu[max(screens)] / cpu[min(screens)]:.2f}"
                " (target <= 2)"
            )


if __name__ == "__main__":
    main()
