"""What the benchmarks share: a clean database and the app (or a baseline) in its own uvicorn
process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def reset_schema(url: str) -> None:
    """PostgreSQL: an empty public schema (SQLite benchmarks start from a new file)."""
    if not url.startswith("postgresql"):
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


# What the benchmarks' servers run with besides the database: limits out of the way (one load
# generator is one address; the limits' cost is still measured) and open at any hour.
UNLIMITED = {
    "HAILONG_LIMIT_DEVICE": "1000000 per minute",
    "HAILONG_LIMIT_ADDRESS": "1000000 per minute",
    "HAILONG_OPENING_HOURS": "T2-CN 00:00-24:00",
}


def app_env(url: str, base: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of the app under benchmark: this one's, with its database and URL."""
    env = {**os.environ, "HAILONG_DATABASE_URL": url, "HAILONG_ENV": "development", **extra}
    if base is not None:
        env["HAILONG_PUBLIC_URL"] = base
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(
    target: list[str], port: int, env: dict[str, str], *, nice: int = 0
) -> subprocess.Popen[bytes]:
    """One uvicorn worker serving ``target`` (at ``nice``); returns once it accepts connections."""
    cmd = [
        *(["nice", "-n", str(nice)] if nice else []),
        sys.executable,
        "-m",
        "uvicorn",
        *target,
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"server {target} did not start")


def cli(env: dict[str, str], *args: str) -> str:
    """``hailong ARGS`` in that environment; what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=ROOT, env=env, check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout


def public_province(url: str, env: dict[str, str]) -> None:
    """A clean database with a province that publishes (BENCH-P) and its four units
    (BENCH.0 … BENCH.3), as the public log's benchmarks use."""
    reset_schema(url)
    cli(env, "migrate")
    cli(env, "office", "add", "BENCH-P", "Tỉnh (benchmark)", "--kind", "province")
    cli(env, "office", "update", "BENCH-P", "--public", "on")
    for n in range(4):
        cli(env, "office", "add", f"BENCH.{n}", f"Bộ phận một cửa số {n}", "--parent", "BENCH-P")


def log_key(env: dict[str, str], folder: str) -> str:
    """A new log key in ``folder``, named in ``env`` for the server; its verifier key."""
    key = Path(folder) / "log.key"
    vkey = cli(env, "log", "keygen", "--origin", "bench.example/log", "-o", str(key)).split()[-1]
    env["HAILONG_LOG_KEY_FILE"] = str(key)
    return vkey
