"""Ballot exports over HTTP at a million ballots: CSV and XLSX download rates, and the server
process's peak memory, against a plain loop that writes the same rows with the csv module.

    python bench/export.py [--ballots 1000000] [--offices 50] [--database-url URL]

One province with ``--offices`` one-stop units on the six-criteria survey gets ``--ballots``
ballots (a fifth with a comment, some of them starting with ``=``), chained as the app chains
them. A real server (uvicorn, one worker) is started on that database; an inspector downloads
``/api/v1/exports/ballots.csv`` and ``.xlsx`` for the province over HTTP, each timed from the
request to the last byte and checked for its row count. The baseline, in the same run on the
same database: one plain DBAPI loop that reads the ballots and their answers in id order and
writes the same rows with ``csv.writer``. Targets: CSV at least the plain loop's rate (ratio
>= 1.0), XLSX >= 40,000 rows/s, the server's peak resident memory (VmHWM) <= 250 MB.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import tempfile
import time
import zipfile
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.auth.service import create_token, create_user  # noqa: E402
from app.ballots import chain  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.core.db import build_engine  # noqa: E402
from app.core.locale import VN_TZ  # noqa: E402
from app.core.migrate import upgrade  # noqa: E402
from app.exports.columns import scale_legend  # noqa: E402
from app.models import Office, UserCreate  # noqa: E402
from app.models.sources import CHANNELS, SOURCES  # noqa: E402
from app.surveys.catalog import load_catalog  # noqa: E402
from app.surveys.service import register_catalog  # noqa: E402
from bench.serving import app_env, free_port, reset_schema, start  # noqa: E402

SURVEY = "cong-chuc"
FIRST_DAY = date.today() - timedelta(days=365)
PROVINCE = "BENCH-EXPORT"
COMMENTS = [
    "Cán bộ hướng dẫn tận tình, chu đáo.",
    "Thời gian chờ hơi lâu, đề nghị bố trí thêm quầy.",
    '=HYPERLINK("http://example.com")',
    "Phòng chờ nóng, cần thêm quạt; thủ tục nhanh gọn.",
    "Rất hài lòng với thái độ phục vụ.",
]


def prepare(url: str, offices: int) -> tuple[Any, Any, dict[int, str]]:
    reset_schema(url)
    upgrade(url)
    engine = build_engine(url, pool_size=2)
    catalog = load_catalog(Settings().surveys_dir, SURVEY)
    with Session(engine) as session:
        register_catalog(session, catalog)
        root = Office(code=PROVINCE, name="Tỉnh (đo xuất dữ liệu)", kind="province")
        session.add(root)
        session.flush()
        units = [
            Office(
                code=f"BX-{i:03d}",
                name=f"Bộ phận một cửa xã Thiệu Hóa {i}",
                parent_id=root.id,
                survey_key=SURVEY,
            )
            for i in range(offices)
        ]
        session.add_all(units)
        session.commit()
        codes = {u.id or 0: u.code for u in units}
    return engine, catalog, codes


def generate(engine: Any, catalog: Any, codes: dict[int, str], count: int, seed: int) -> None:
    """``count`` ballots of six answers, chained per office, inserted in chunks."""
    survey = catalog.get(SURVEY)
    keys = [q.key for q in survey.questions]
    rng = random.Random(seed)
    # The past year up to yesterday, in Vietnam time (as exported): every ballot is settled
    # for the export's snapshot, none lies in the future.
    start = datetime.combine(FIRST_DAY, clock.min, tzinfo=VN_TZ)
    step = 364 * 86400 / count
    ballot = sa.Table("ballot", sa.MetaData(), autoload_with=engine)
    answer = sa.Table("answer", sa.MetaData(), autoload_with=engine)
    tips: dict[int, chain.Head] = {}
    office_ids = list(codes)
    next_id, chunk = 1, 50_000
    while next_id <= count:
        ballots, answers = [], []
        items: list[tuple[int, str, dict[str, Any], Mapping[str, int]]] = []
        for ballot_id in range(next_id, min(count, next_id + chunk - 1) + 1):
            office = rng.choice(office_ids)
            mood = rng.choice((5, 5, 4, 4, 4, 3, 2))
            given = {k: min(5, max(1, mood + rng.choice((0, 0, -1, 1)))) for k in keys}
            row = {
                "id": ballot_id,
                "receipt": f"B{ballot_id:09d}",
                "office_id": office,
                "counter": rng.randint(1, 6),
                "survey_key": SURVEY,
                "survey_version": survey.version,
                "channel": rng.choice(("web", "web", "web", "api")),
                "idempotency_key": f"b{ballot_id}",
                "request_hash": "-",
                "comment": rng.choice(COMMENTS) if rng.random() < 0.2 else None,
                "submitted_at": start + timedelta(seconds=int(ballot_id * step)),
                "is_demo": False,
            }
            ballots.append(row)
            items.append((office, codes[office], row, given))
            answers += [
                {"ballot_id": ballot_id, "question_key": k, "value": v} for k, v in given.items()
            ]
        tips = chain.assign(items, tips)
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                _copy(conn, "ballot", ballots)
                _copy(conn, "answer", answers)
            else:
                conn.execute(ballot.insert(), ballots)
                conn.execute(answer.insert(), answers)
        next_id += chunk
        print(f"  {min(next_id - 1, count):,} ballots stored", end="\r", flush=True)
    with engine.begin() as conn:
        chain.save_heads(conn, tips, {})
        if engine.dialect.name == "postgresql":
            # As a real database would be by now; and the id sequence after the copied ids.
            conn.exec_driver_sql("ANALYZE")
            conn.exec_driver_sql("SELECT setval('ballot_id_seq', (SELECT max(id) FROM ballot))")
    print()


def _copy(conn: Any, table: str, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL's COPY: the only way to load millions of rows here in reasonable time."""
    columns = list(rows[0])
    cursor = conn.connection.dbapi_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


INSPECTOR, PASSWORD = "bench.thanhtra", "x" * 12


def inspector_token(engine: Any) -> str:
    with Session(engine) as session:
        create_user(
            session,
            UserCreate.model_construct(
                username=INSPECTOR, role="inspector", office=None, password=PASSWORD
            ),
        )
        token, _ = create_token(session, INSPECTOR)
        session.commit()
    return token


def baseline(engine: Any, catalog: Any, path: Path) -> tuple[int, float]:
    """The plain loop: two ordered cursors (ballots, answers) merged, csv.writer to a file,
    the codes a person reads (channel, survey, scale, source) in words, as the export has them."""
    survey = catalog.get(SURVEY)
    keys = [q.key for q in survey.questions]
    title, scale = survey.title_vi, scale_legend(survey.scale)
    channels = {code: words for code, (words, _) in CHANNELS.items()}
    sources = {code: words for code, (words, _) in SOURCES.items()}
    raw = engine.raw_connection()
    try:
        postgres = engine.dialect.name == "postgresql"
        ballots = raw.cursor(name="b") if postgres else raw.cursor()
        answers = raw.cursor(name="a") if postgres else raw.cursor()
        if postgres:
            ballots.itersize = answers.itersize = 5000
        started = time.perf_counter()
        ballots.execute(
            "SELECT b.id, o.code, o.name, b.counter, b.submitted_at, b.channel, b.survey_version,"
            " b.receipt, b.source, b.comment, b.is_demo, b.chain_hash"
            " FROM ballot b JOIN office o ON o.id = b.office_id ORDER BY b.id"
        )
        answers.execute("SELECT ballot_id, question_key, value FROM answer ORDER BY ballot_id")
        given_rows = iter(answers)
        pending = next(given_rows, None)
        rows = 0
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(
                [
                    "office",
                    "name",
                    "counter",
                    "time",
                    "channel",
                    "survey",
                    "version",
                    "scale",
                    "receipt",
                    *keys,
                    "source",
                    "comment",
                    "demo",
                    "chain_hash",
                ]
            )
            for b in ballots:
                given = {}
                while pending is not None and pending[0] == b[0]:
                    given[pending[1]] = pending[2]
                    pending = next(given_rows, None)
                writer.writerow(
                    [
                        *b[1:5],
                        channels.get(b[5], b[5]),
                        title,
                        b[6],
                        scale,
                        b[7],
                        *[given.get(k) for k in keys],
                        sources[b[8] or "open"],
                        *b[9:],
                    ]
                )
                rows += 1
        return rows, time.perf_counter() - started
    finally:
        raw.close()


def memory(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (the peak so far), in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) // 1024
    return found


def download(base: str, token: str, fmt: str, target: Path) -> float:
    url = (
        f"{base}/api/v1/exports/ballots.{fmt}?office={PROVINCE}"
        f"&from={FIRST_DAY}&to={FIRST_DAY + timedelta(days=364)}"
    )
    started = time.perf_counter()
    with httpx.stream("GET", url, headers={"Authorization": f"Bearer {token}"}, timeout=600) as r:
        r.raise_for_status()
        with target.open("wb") as out:
            for chunk in r.iter_bytes(1 << 16):
                out.write(chunk)
    return time.perf_counter() - started


def rows_in(path: Path, fmt: str) -> int:
    if fmt == "csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return sum(1 for _ in csv.reader(handle)) - 1
    count = 0
    with zipfile.ZipFile(path) as book:
        for name in book.namelist():
            if name.startswith("xl/worksheets/sheet"):
                with book.open(name) as sheet:
                    reader = io.BufferedReader(cast(io.RawIOBase, sheet), 1 << 20)
                    tail = b""
                    while chunk := reader.read(1 << 20):
                        data = tail + chunk
                        count += data.count(b"</row>")
                        tail = data[-5:]
                        count -= tail.count(b"</row>")
                count -= 1  # the header row
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--offices", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="hailong-bench-export-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    print(f"database: {url.split('@')[-1]}; {args.ballots:,} ballots, {args.offices} offices")
    started = time.perf_counter()
    engine, catalog, codes = prepare(url, args.offices)
    generate(engine, catalog, codes, args.ballots, args.seed)
    token = inspector_token(engine)
    print(f"generated in {time.perf_counter() - started:.0f} s")
    rows, seconds = baseline(engine, catalog, folder / "baseline.csv")
    base_rate = rows / seconds
    print(
        f"baseline (plain loop + csv.writer): {rows:,} rows in {seconds:.1f} s"
        f" = {base_rate:,.0f} rows/s"
    )
    engine.dispose()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = app_env(url, base)
    server = start(["--factory", "app.main:create_app", "--workers", "1"], port, env)
    failed = False
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        idle = memory(server.pid)
        print(f"server idle: {idle['VmRSS']} MB resident")
        for fmt, target in (("csv", base_rate), ("xlsx", 40_000)):
            path = folder / f"export.{fmt}"
            seconds = download(base, token, fmt, path)
            got = rows_in(path, fmt)
            rate = got / seconds
            peak = memory(server.pid)["VmHWM"]
            ok = got == args.ballots and rate >= target and peak <= 250
            failed |= not ok
            print(
                f"{fmt:>4}: {got:,} rows, {path.stat().st_size / 1e6:,.0f} MB in {seconds:.1f} s"
                f" = {rate:,.0f} rows/s (target {target:,.0f});"
                f" ratio to baseline {rate / base_rate:.2f};"
                f" server peak {peak} MB (target 250) {'OK' if ok else 'MISSED'}"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
        for leftover in folder.iterdir():
            leftover.unlink()
        folder.rmdir()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
