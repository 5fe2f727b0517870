"""The national ranking and a province of 300 units, at national scale: ~10,000 one-stop units
under 34 provinces, ~10 million answers, against the same figures by a plain GROUP BY.

    python bench/dashboard.py --national [--provinces 34] [--units 300] [--answers 10000000]
                              [--bound 0.4] [--unrated 0.3] [--runs 15] [--database-url URL]

Ballots are spread from 1 January of this year to now, so "the month to date" is a real one.
The data is loaded straight into the tables: ballots and answers, and the rollup the rankings
read (``criteria_rollup``, counted into each unit, its province and the nation, as the writer
counts). Timed in this process (the service) and over HTTP (``/api/v1/offices/{code}/children``
from the app in its own uvicorn process, gzip accepted, as a browser asks). The figures from the
rollups and from the raw answers are compared and must be identical. Four in ten ballots come
through a dossier's link, and three in ten have a dossier beside them that was never rated
(``--bound``, ``--unrated``; 0 and 0 load answers alone, as the first versions did): the
ranking's response rate and dossier indicator read the dossier counts (``dossier_rollup``), timed
and compared with the same figures from the raw dossier_rollup.
Targets: national ranking <= 100 ms, province <= 20 ms (service), the month to date within
1.2x of the year.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from app.cases import figures as case_figures  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.core.db import build_engine  # noqa: E402
from app.core.memory import settle_heap  # noqa: E402
from app.core.migrate import upgrade  # noqa: E402
from app.dashboards import views  # noqa: E402
from app.integrity.cluster_decisions import awaiting  # noqa: E402
from app.models import Office, User  # noqa: E402
from app.stats import dossier_rollup, rollups  # noqa: E402
from app.stats.maths import figures  # noqa: E402
from app.stats.periods import Period, date_range, period_of, today  # noqa: E402
from app.stats.rollups import add_counts  # noqa: E402
from app.stats.service import children_figures  # noqa: E402
from app.surveys.catalog import load_catalog  # noqa: E402
from app.surveys.service import register_catalog  # noqa: E402
from bench.dashboard import SURVEY, THREE_LEVELS, _digest, _params, synthetic  # noqa: E402
from bench.export import INSPECTOR, PASSWORD, _copy, inspector_token  # noqa: E402
from bench.over_http import gzip_levels, interleaved, signed_in  # noqa: E402
from bench.serving import app_env, free_port, reset_schema, start  # noqa: E402

NATION = "VN"


def prepare(url: str, provinces: int, units: int) -> tuple[Any, Any, dict[int, int]]:
    """The tree; returns each unit's province."""
    reset_schema(url)
    upgrade(url)
    engine = build_engine(url, pool_size=2)
    catalog = load_catalog(Settings().surveys_dir, SURVEY)
    parent: dict[int, int] = {}
    with Session(engine) as session:
        register_catalog(session, catalog)
        nation = Office(code=NATION, name="Cả nước", kind="other")
        session.add(nation)
        session.flush()
        tops = [
            Office(code=f"P{p:02d}", name=f"Tỉnh {p}", kind="province", parent_id=nation.id)
            for p in range(provinces)
        ]
        session.add_all(tops)
        session.flush()
        for p, top in enumerate(tops):
            found = [
                Office(
                    code=f"P{p:02d}-{u:03d}",
                    name=f"Bộ phận một cửa {p}.{u}",
                    parent_id=top.id,
                    kind="commune",
                    survey_key=THREE_LEVELS if u % 5 == 4 else None,
                )
                for u in range(units)
            ]
            session.add_all(found)
            session.flush()
            parent.update({u.id or 0: top.id or 0 for u in found})
        session.commit()
    return engine, catalog, parent


def reuse(url: str) -> tuple[Any, Any, dict[int, int]]:
    upgrade(url)  # data left by an earlier version of the schema is migrated first
    engine = build_engine(url, pool_size=2)
    _settle(engine)
    catalog = load_catalog(Settings().surveys_dir, SURVEY)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM api_token"))
        conn.execute(sa.text("DELETE FROM login_session"))
        conn.execute(sa.text("DELETE FROM app_user WHERE username = :u"), {"u": INSPECTOR})
        rows = conn.execute(
            sa.text(
                "SELECT u.id, u.parent_id FROM office u JOIN office p ON p.id = u.parent_id "
                "WHERE p.parent_id IS NOT NULL"
            )
        ).all()
    return engine, catalog, {int(unit): int(province) for unit, province in rows}


def generate(
    engine: Any,
    catalog: Any,
    parent: dict[int, int],
    answers: int,
    seed: int,
    bound: float = 0.4,
    unrated: float = 0.3,
) -> None:
    """``bound``: the share of ballots rated through a dossier's link; ``unrated``: for each
    ballot, the chance of a dossier beside it whose citizen did not rate."""
    keys = [q.key for q in catalog.get(SURVEY).questions]
    with Session(engine) as session:
        chosen = select(Office.id).where(col(Office.survey_key) == THREE_LEVELS)
        three = set(session.exec(chosen))
    rng = random.Random(seed)
    units = list(parent)
    quality = {office: rng.uniform(0.6, 0.97) for office in units}
    start = datetime(today().year, 1, 1, tzinfo=UTC)
    span = int((datetime.now(UTC) - timedelta(minutes=5) - start).total_seconds())
    postgres = engine.dialect.name == "postgresql"
    next_id, todo, done = 1, answers // len(keys), 0
    while todo > 0:
        n = min(50_000, todo)
        todo -= n
        ballots, rows, counted, cases = [], [], [], []
        for _ in range(n):
            office = rng.choice(units)
            moment = start + timedelta(seconds=rng.randint(0, span))
            row, given, ballot = synthetic(
                rng, catalog, quality[office], office in three, office, moment, next_id
            )
            if rng.random() < bound:  # rated through its dossier's link
                row["idempotency_key"] = dossier_rollup.dossier_key(f"h{next_id}")
                row["source"] = "dossier"
                ballot = replace(ballot, source="dossier")
                rating = (row["survey_key"], row["survey_version"], row["level"])
                cases.append(_dossier(rng, office, f"h{next_id}", moment, rating))
            if rng.random() < unrated:
                cases.append(_dossier(rng, office, f"u{next_id}", moment, None))
            ballots.append(row)
            rows += given
            counted.append(ballot)
            next_id += 1
        with engine.begin() as conn:
            _load(conn, "ballot", ballots, postgres)
            _load(conn, "answer", rows, postgres)
            _load(conn, "dossier", [row for row, _ in cases], postgres)
            rollups.add(conn, counted, tables=("compared",))
            counts = dossier_rollup.tally((state, 1) for _, state in cases)
            add_counts(
                conn,
                dossier_rollup.DOSSIER_ROLLUP,
                dossier_rollup.DOSSIER_KEY,
                dossier_rollup.DOSSIER_SUMS,
                counts,
            )
        done += n * len(keys)
        print(f"\r  {done:,} answers", end="", flush=True)
    print()
    _settle(engine)


def _settle(engine: Any) -> None:
    """The tables as a running database keeps them: loading updates each rollup row thousands
    of times in minutes, and leaves the dead versions autovacuum would have cleared meanwhile."""
    with engine.connect() as conn:
        done = conn.execution_options(isolation_level="AUTOCOMMIT")
        done.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")


def _dossier(
    rng: random.Random, office: int, code_hash: str, moment: datetime, rating: Any
) -> tuple[dict[str, Any], dossier_rollup.State]:
    """A dossier received a few days before ``moment``, due a few days after it was received,
    returned by ``moment`` (one in ten of the unrated ones not yet)."""
    received = moment - timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 8))
    due = received + timedelta(days=rng.choice((2, 3, 5)))
    returned: datetime | None = moment - timedelta(minutes=rng.randint(5, 240))
    if rating is None and rng.random() < 0.1:
        returned = None
    row = {
        "office_id": office,
        "code_hash": code_hash,
        "received_at": received,
        "due_at": due,
        "returned_at": returned,
        "created_at": received,
        "updated_at": returned or received,
    }
    return row, dossier_rollup.State(office, received, due, returned, rating)


def _load(conn: Any, table: str, rows: list[dict[str, Any]], postgres: bool) -> None:
    if not rows:
        return
    if postgres:
        _copy(conn, table, rows)
    else:
        conn.execute(sa.Table(table, sa.MetaData(), autoload_with=conn).insert(), rows)


def dossiers_raw(engine: Any, code: str, period: Period) -> tuple[float, float, Any]:
    """The dossier figures of ``code``'s children: from the counts (as the service reads
    them) and from the raw dossiers; both timed, and equal."""
    with engine.connect() as conn:
        ids = [
            r[0]
            for r in conn.execute(
                sa.text(
                    "SELECT o.id FROM office o JOIN office p ON p.id = o.parent_id "
                    "WHERE p.code = :code"
                ),
                {"code": code},
            )
        ]
        started = time.perf_counter()
        kept = dossier_rollup.read(conn, ids, period)
        fast = time.perf_counter() - started
        started = time.perf_counter()
        raw = dossier_rollup.from_raw(conn, ids, period)
        slow = time.perf_counter() - started
    assert kept == raw, f"{code}: dossier counts and raw dossiers disagree"
    return fast, slow, sum(r[1] for rows in kept.values() for r in rows.values())


def by_service(
    engine: Any, catalog: Any, code: str, period: Period
) -> tuple[float, float, dict[str, Any]]:
    """The figures as the API's handler asks the services for them: the children's figures
    (timed alone too: the target of the service) and their cases'."""
    with Session(engine) as session:
        started = time.perf_counter()
        _, _, children = children_figures(session, catalog, code, period)
        figured = time.perf_counter() - started
        case_figures.of_subtrees(session, [c.office_id for c in children], period)
        elapsed = time.perf_counter() - started
    return (
        figured,
        elapsed,
        {c.code: _digest(c.figures) for c in children if c.figures.ballot_count},
    )


def timed_service(
    engine: Any,
    catalog: Any,
    code: str,
    period: Period,
    into: list[tuple[float, float, dict[str, Any]]],
) -> float:
    """``by_service``, kept in ``into``; the seconds with the cases."""
    into.append(by_service(engine, catalog, code, period))
    return into[-1][1]


def page_service(engine: Any, catalog: Any, code: str, period: Period) -> float:
    """What the units page asks of the services, as an inspector: its table
    (``views.children_page``) and the header's count of ratings awaiting review."""
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == INSPECTOR)).one()
        query = views.Query(length="range", start=period.start, end=period.end)
        started = time.perf_counter()
        views.children_page(session, catalog, user, code, query, "rank", units=True)
        awaiting(session, user)  # the header's count of ratings awaiting this inspector
        return time.perf_counter() - started


def by_group_by(
    engine: Any, catalog: Any, code: str, period: Period
) -> tuple[float, dict[str, Any]]:
    """The same figures from the raw answers: each ballot's unit rolled up to the child of
    ``code`` it sits under (the nation's provinces, or a province's units)."""
    survey = catalog.get(SURVEY)
    versions = {(k, catalog.get(k).version): catalog.get(k) for k in (SURVEY, THREE_LEVELS)}
    low, high = period.bounds_utc()
    national = code == NATION
    child = "o.parent_id" if national else "o.id"
    params = _params(engine, {"low": low, "high": high, "code": code})
    scope = (
        "JOIN office o ON o.id = b.office_id JOIN office p ON p.id = o.parent_id "
        + (
            "JOIN office n ON n.id = p.parent_id WHERE n.code = :code"
            if national
            else "WHERE p.code = :code"
        )
        + " AND b.submitted_at >= :low AND b.submitted_at < :high"
    )
    started = time.perf_counter()
    with engine.connect() as conn:
        answers: dict[int, list[Any]] = {}
        for office, *row in conn.execute(
            sa.text(
                f"SELECT {child}, b.survey_key, b.survey_version, a.question_key, a.value, "
                f"count(*) FROM answer a JOIN ballot b ON b.id = a.ballot_id {scope} "
                f"GROUP BY {child}, b.survey_key, b.survey_version, a.question_key, a.value"
            ),
            params,
        ):
            answers.setdefault(office, []).append(tuple(row))
        ballots: dict[int, list[Any]] = {}
        for office, *row in conn.execute(
            sa.text(
                f"SELECT {child}, b.survey_key, b.survey_version, b.level, count(*) "
                f"FROM ballot b {scope} GROUP BY {child}, b.survey_key, b.survey_version, b.level"
            ),
            params,
        ):
            ballots.setdefault(office, []).append(tuple(row))
        codes = dict(conn.execute(sa.text("SELECT id, code FROM office")).all())
    six = tuple(q.key for q in survey.questions)
    result = {
        codes[office]: _digest(
            figures(
                survey, versions, answers.get(office, []), ballots.get(office, []), questions=six
            )
        )
        for office in set(answers) | set(ballots)
    }
    return time.perf_counter() - started, result


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--national", action="store_true")
    parser.add_argument("--provinces", type=int, default=34)
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--answers", type=int, default=10_000_000)
    parser.add_argument("--bound", type=float, default=0.4, help="ballots rated via dossiers")
    parser.add_argument("--unrated", type=float, default=0.3, help="unrated dossiers per ballot")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--database-url", help="default: a fresh SQLite file; emptied first")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the data an earlier run left in the database"
    )
    args = parser.parse_args(argv)
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='hailong-nat-')}/n.db"
    started = time.perf_counter()
    if args.reuse:
        engine, catalog, parent = reuse(url)
    else:
        engine, catalog, parent = prepare(url, args.provinces, args.units)
        generate(engine, catalog, parent, args.answers, 11, args.bound, args.unrated)
    print(
        f"{'reused' if args.reuse else 'generated'} {len(parent):,} units, "
        f"{args.answers:,} answers in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    settle_heap()
    day = today()
    periods = {"year": period_of("year", day), "month to date": date_range(day.replace(day=1), day)}
    cases = [(NATION, "national ranking"), ("P00", f"province ({args.units} units)")]
    token = inspector_token(engine)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = app_env(url, base)
    server = start(["--factory", "app.main:create_app", "--workers", "1"], port, env)
    api = httpx.Client(
        base_url=base,
        timeout=120,
        headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"},
    )
    staff = signed_in(base, INSPECTOR, PASSWORD)
    table, pages, bodies = [], [], {}
    try:
        for code, label in cases:
            for name, period in periods.items():
                fast: list[tuple[float, float, dict[str, Any]]] = []
                served = partial(timed_service, engine, catalog, code, period, fast)
                query = f"from={period.start}&to={period.end}"
                children = f"/api/v1/offices/{code}/children?{query}"
                answer, http, size, raw = interleaved(served, api, children, args.runs)
                answer *= 1000
                service = statistics.median(t for t, _, _ in fast[1:]) * 1000
                slow = by_group_by(engine, catalog, code, period)
                assert fast[0][2] == slow[1], f"{label}, {name}: rollups and GROUP BY disagree"
                bodies[f"{label}, {name}, JSON"] = api.get(children).content
                kept, raw_dossiers, returned = dossiers_raw(engine, code, period)
                table.append(
                    (label, name, service, answer, http * 1000, slow[0] * 1000, kept,
                     raw_dossiers, returned)
                )  # fmt: skip
                print(
                    f"  {label}, {name}: service {service:.1f} ms ({answer:.1f} ms with cases), "
                    f"HTTP {http * 1000:.1f} ms ({size:,} B gzip, {raw:,} B), GROUP BY "
                    f"{slow[0] * 1000:.0f} ms; {returned:,} returned dossiers: counts "
                    f"{kept * 1000:.1f} ms, raw {raw_dossiers * 1000:.0f} ms",
                    flush=True,
                )
                if code == NATION:
                    continue
                units = f"/staff/offices/{code}/units?{query}"
                page, http, size, raw = interleaved(
                    partial(page_service, engine, catalog, code, period), staff, units, args.runs
                )
                page *= 1000
                bodies[f"units page, {name}, HTML"] = staff.get(units).content
                pages.append((label, name, page, http * 1000))
                print(
                    f"  units page, {name}: service {page:.1f} ms, HTTP {http * 1000:.1f} ms "
                    f"({size:,} B gzip, {raw:,} B)",
                    flush=True,
                )
    finally:
        api.close()
        staff.close()
        server.terminate()
        server.wait()
    backend = url.split(":", 1)[0].split("+")[0]
    print(
        f"\n{len(parent):,} units under {args.provinces} provinces, {args.answers:,} answers, "
        f"{backend}; medians of {args.runs} runs:"
    )
    print(
        f"  {'':22} {'period':14} {'service':>9} {'+ cases':>9} {'HTTP':>9} {'HTTP/serv.':>10}"
        f" {'GROUP BY':>10} {'speed-up':>9} {'dossiers':>10} {'counts':>8} {'raw':>8}"
    )
    for label, name, service, answer, http, grouped, counts, raw_s, returned in table:
        print(
            f"  {label:22} {name:14} {service:7.1f}ms {answer:7.1f}ms {http:7.1f}ms "
            f"{http / answer:9.2f}x {grouped:8.0f}ms {grouped / service:8.0f}x {returned:>10,} "
            f"{counts * 1000:6.1f}ms {raw_s * 1000:6.0f}ms"
        )
    for label, name, page, http in pages:
        print(
            f"  {'units page, ' + label[:10]:22} {name:14} {page:7.1f}ms {'':9} {http:7.1f}ms "
            f"{http / page:9.2f}x"
        )
    # The level the gzip middleware uses (app/web/compress.py) is chosen from these.
    for body in (f"province ({args.units} units), year, JSON", "units page, year, HTML"):
        print(f"\n{body}: each gzip level's time and size; compressed and sent over")
        print("1 Gb/s, 100 and 20 Mb/s (ms):")
        print("\n".join(gzip_levels(bodies[body])))
    for label in dict.fromkeys(row[0] for row in table):
        year, month = (row[2] for row in table if row[0] == label)
        print(f"  {label}: month to date / year = {month / year:.2f} (target <= 1.2)")
    print(
        "  targets: national <= 100 ms, province <= 20 ms (service); over HTTP <= 2x what the "
        "handler asks of the services (HTTP/serv.); the figures from the rollups and from the "
        "raw answers are identical"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
