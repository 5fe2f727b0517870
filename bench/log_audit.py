"""The monitor over a month of ten million ballots.

    python bench/log_audit.py --database-url POSTGRESQL-URL [--ballots 10000000]

PostgreSQL only: the ballots, each with its six answers, are written by SQL (ten million in
minutes), then given their place in the log by ``hailong log sequence``, and served by one
worker. ``hailong log audit`` then fetches and rehashes every entry and recounts the month's
open data; the minutes it takes are the figure (target: minutes, not hours), beside the
sequencer's rate.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.serving import UNLIMITED, app_env, cli, free_port, log_key, public_province, start  # noqa: E402


def _sql_seed(url: str, ballots: int) -> None:
    """A month of ballots, each with its six answers, waiting for the log: by SQL."""
    from app.core.config import Settings
    from app.surveys.catalog import load_catalog

    settings = Settings()
    keys = [
        q.key
        for q in load_catalog(settings.surveys_dir, settings.default_survey).default().questions
    ]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        offices = [
            conn.execute(
                sa.text("SELECT id FROM office WHERE code = :c"), {"c": f"BENCH.{n}"}
            ).scalar_one()
            for n in range(4)
        ]
        conn.execute(
            sa.text(
                "INSERT INTO ballot (receipt, office_id, survey_key, survey_version, channel, "
                "idempotency_key, request_hash, submitted_at, is_demo, source, level) "
                "SELECT 'B' || lpad(g::text, 9, '0'), (:offices)[g % 4 + 1], 'cong-chuc', 1, "
                "'web', 'k' || g, 'x', timestamptz '2026-11-01 00:00+07' "
                "+ (g % 2592000) * interval '1 second', false, 'open', 4 "
                "FROM generate_series(1, :n) g"
            ),
            {"offices": offices, "n": ballots},
        )
        conn.execute(
            sa.text(
                "INSERT INTO answer (ballot_id, question_key, value) "
                "SELECT b.id, q, 4 + (b.id % 2)::int FROM ballot b, unnest(CAST(:keys AS text[])) q"
            ),
            {"keys": keys},
        )
        conn.execute(
            sa.text("INSERT INTO log_pending (ballot_id) SELECT id FROM ballot ORDER BY id")
        )
    engine.dispose()


def audit(ballots: int, url: str, keep: bool) -> None:
    if not url.startswith("postgresql"):
        raise SystemExit("give a PostgreSQL --database-url")
    tmp = tempfile.mkdtemp(prefix="hailong-bench-")
    env = app_env(url, **UNLIMITED)
    if not keep:
        public_province(url, env)
        started = time.perf_counter()
        _sql_seed(url, ballots)
        took = time.perf_counter() - started
        print(f"{ballots:,} ballots of November 2026 written in {took:.0f} s")
    if keep:  # this run's key signs the log anew
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM log_checkpoint"))
        engine.dispose()
    vkey = log_key(env, tmp)
    started = time.perf_counter()
    said = cli(env, "log", "sequence").strip()
    took = time.perf_counter() - started
    appended = int(said.split()[0])
    print(f"{said} in {took:.0f} s ({appended / took:,.0f} entries/s)")
    port = free_port()
    server = start(["--factory", "app.main:create_app"], port, env)
    try:
        command = [sys.executable, "-m", "app", "log", "audit", f"http://127.0.0.1:{port}/log"]
        command += ["--key", vkey, "--state", str(Path(tmp) / "audit.json")]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        took = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(30)
    if done.returncode != 0:
        raise SystemExit(f"the audit failed: {done.stderr[-2000:]}")
    lines = done.stdout.strip().splitlines()
    print("\n".join(lines[-6:]))
    rate = ballots / took
    print(f"monitor: {ballots:,} entries audited in {took / 60:.1f} min ({rate:,.0f} entries/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=10_000_000)
    parser.add_argument("--database-url", required=True)
    parser.add_argument(
        "--keep", action="store_true", help="the ballots an earlier run wrote (and ANALYZEd)"
    )
    args = parser.parse_args()
    os.environ.setdefault("HAILONG_ENV", "development")
    audit(args.ballots, args.database_url, args.keep)


if __name__ == "__main__":
    main()
