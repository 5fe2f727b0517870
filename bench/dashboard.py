"""The province overview (500 offices, all criteria, one year) from the rollups, against the same
figures by a plain GROUP BY over the raw answers, at 1 million and at 10 million answers.

    python bench/dashboard.py [--offices 500] [--sizes 1000000,10000000] [--runs 15]
                              [--database-url URL]
    python bench/dashboard.py --national ...   (the national ranking: see bench/national.py)

The data is generated straight into the tables (ballots, answers and their rollups, as the app
would store them) for a province whose 500 one-stop units ask the six criteria, four in five on
the five-level survey and one in five on the three-level one (compared together, as the
overview does by default), spread over the calendar year 2026. Both ways are timed in this
process on the same database; the figures they produce are compared, and must be identical.
Targets: the overview in at most 50 ms (median) and at least 50x faster than the plain
GROUP BY, about the same at both sizes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from app.core.config import Settings  # noqa: E402
from app.core.db import build_engine  # noqa: E402
from app.core.memory import settle_heap  # noqa: E402
from app.core.migrate import upgrade  # noqa: E402
from app.models import Office  # noqa: E402
from app.stats import rollups  # noqa: E402
from app.stats.maths import figures  # noqa: E402
from app.stats.periods import period_of  # noqa: E402
from app.stats.service import children_figures  # noqa: E402
from app.surveys.catalog import load_catalog  # noqa: E402
from app.surveys.service import register_catalog  # noqa: E402
from bench.serving import reset_schema  # noqa: E402

SURVEY = "cong-chuc"
THREE_LEVELS = "cong-chuc-3-muc"
YEAR = period_of("year", date(2026, 6, 1))
PROVINCE = "BENCH-PROVINCE"


def prepare(url: str, offices: int) -> tuple[Any, Any, list[int]]:
    reset_schema(url)
    upgrade(url)
    engine = build_engine(url, pool_size=2)
    settings = Settings()
    catalog = load_catalog(settings.surveys_dir, SURVEY)
    with Session(engine) as session:
        register_catalog(session, catalog)
        root = Office(code=PROVINCE, name="Tỉnh (benchmark)", kind="province")
        session.add(root)
        session.flush()
        units = [
            Office(
                code=f"BENCH-{i:04d}",
                name=f"Bộ phận một cửa {i}",
                parent_id=root.id,
                survey_key=THREE_LEVELS if i % 5 == 4 else None,
            )
            for i in range(offices)
        ]
        session.add_all(units)
        session.commit()
        ids = [u.id or 0 for u in units]
    return engine, catalog, ids


def synthetic(
    rng: random.Random,
    catalog: Any,
    quality: float,
    three_levels: bool,
    office: int,
    moment: datetime,
    ballot_id: int,
) -> tuple[dict[str, Any], list[dict[str, Any]], rollups.Counted]:
    """One citizen's ballot of the six criteria, as the tables hold it: the ballot row, its
    answer rows, and what the rollups count of it. Pleased with probability ``quality``; a unit
    on the three-level survey answers on its scale."""
    survey = catalog.get(THREE_LEVELS if three_levels else SURVEY)
    keys = [q.key for q in survey.questions]
    good = rng.random() < quality
    mood = rng.choice((4, 5)) if good else rng.choice((1, 2, 3))
    given = {k: min(5, max(1, mood + rng.choice((0, 0, 0, -1, 1)))) for k in keys}
    if three_levels:  # 5, 4 -> 3, 2 (very satisfied, satisfied); below -> 1
        given = {k: max(1, v - 2) for k, v in given.items()}
    shared = catalog.criteria_of(survey.key)
    derived = rollups.derive(survey, given, shared)
    row = {
        "id": ballot_id,
        "receipt": f"B{ballot_id:011d}",
        "office_id": office,
        "counter": None,
        "survey_key": survey.key,
        "survey_version": survey.version,
        "channel": "api",
        "idempotency_key": f"b{ballot_id}",
        "request_hash": "-",
        "comment": None,
        "submitted_at": moment,
        "is_demo": False,
        "source": "open",
        "level": derived.level,
    }
    answers = [{"ballot_id": ballot_id, "question_key": k, "value": v} for k, v in given.items()]
    counted = rollups.Counted(
        office,
        survey.key,
        survey.version,
        moment,
        derived.level,
        given,
        derived.satisfaction,
        derived.compared,
    )
    return row, answers, counted


def generate(engine: Any, catalog: Any, office_ids: list[int], answers: int, seed: int) -> None:
    """Append ballots of six answers each until ``answers`` more answers are stored."""
    keys = [q.key for q in catalog.get(SURVEY).questions]
    with Session(engine) as session:
        chosen = select(Office.id).where(col(Office.survey_key) == THREE_LEVELS)
        three = set(session.exec(chosen))
    rng = random.Random(seed)
    quality = {office: rng.uniform(0.6, 0.97) for office in office_ids}
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ballot_table = sa.Table("ballot", sa.MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        top = conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM ballot")).scalar_one()
    next_id = int(top) + 1
    todo = answers // len(keys)
    chunk = 20_000
    while todo > 0:
        n = min(chunk, todo)
        todo -= n
        ballots, rows, counted = [], [], []
        for _ in range(n):
            office = rng.choice(office_ids)
            moment = start + timedelta(seconds=rng.randint(0, 365 * 86400 - 1))
            row, given, ballot = synthetic(
                rng, catalog, quality[office], office in three, office, moment, next_id
            )
            ballots.append(row)
            rows += given
            counted.append(ballot)
            next_id += 1
        with engine.begin() as conn:
            conn.execute(ballot_table.insert(), ballots)
            conn.execute(
                sa.text(
                    "INSERT INTO answer (ballot_id, question_key, value) "
                    "VALUES (:ballot_id, :question_key, :value)"
                ),
                rows,
            )
            rollups.add(conn, counted)


def by_rollups(engine: Any, catalog: Any) -> tuple[float, dict[str, Any]]:
    with Session(engine) as session:
        started = time.perf_counter()
        _, _, children = children_figures(session, catalog, PROVINCE, YEAR)
        elapsed = time.perf_counter() - started
    return elapsed, {c.code: _digest(c.figures) for c in children if c.figures.ballot_count}


def by_group_by(engine: Any, catalog: Any) -> tuple[float, dict[str, Any]]:
    """The same figures straight from the raw answers: the cost the rollups avoid."""
    survey = catalog.get(SURVEY)
    versions = {(k, catalog.get(k).version): catalog.get(k) for k in (SURVEY, THREE_LEVELS)}
    low, high = YEAR.bounds_utc()
    started = time.perf_counter()
    with engine.connect() as conn:
        params = {"low": low, "high": high, "a": SURVEY, "b": THREE_LEVELS}
        bounds = sa.text(
            "SELECT b.office_id, b.survey_key, b.survey_version, a.question_key, a.value, "
            "count(*) FROM answer a JOIN ballot b ON b.id = a.ballot_id "
            "WHERE b.survey_key IN (:a, :b) AND b.submitted_at >= :low AND b.submitted_at < :high "
            "GROUP BY b.office_id, b.survey_key, b.survey_version, a.question_key, a.value"
        )
        answers: dict[int, list[Any]] = {}
        for office, *row in conn.execute(bounds, _params(engine, params)):
            answers.setdefault(office, []).append(tuple(row))
        # Both surveys classify a ballot by its lowest answer.
        levels = sa.text(
            "SELECT office_id, survey_key, survey_version, level, count(*) FROM ("
            "SELECT b.office_id, b.survey_key, b.survey_version, min(a.value) AS level "
            "FROM answer a JOIN ballot b ON b.id = a.ballot_id "
            "WHERE b.survey_key IN (:a, :b) AND b.submitted_at >= :low AND b.submitted_at < :high "
            "GROUP BY b.id, b.office_id, b.survey_key, b.survey_version) t "
            "GROUP BY office_id, survey_key, survey_version, level"
        )
        ballots: dict[int, list[Any]] = {}
        for office, *row in conn.execute(levels, _params(engine, params)):
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


def _params(engine: Any, params: dict[str, Any]) -> dict[str, Any]:
    if engine.dialect.name == "sqlite":  # stored as naive UTC text there
        return {
            **params,
            "low": params["low"].replace(tzinfo=None).isoformat(sep=" "),
            "high": params["high"].replace(tzinfo=None).isoformat(sep=" "),
        }
    return params


def _digest(fig: Any) -> tuple[Any, ...]:
    return (
        fig.ballot_count,
        tuple(sorted(fig.ballots.counts.items())),
        tuple((c.key, tuple(sorted(c.shares.counts.items()))) for c in fig.criteria),
    )


def measure(engine: Any, catalog: Any, runs: int, baseline_runs: int) -> dict[str, float]:
    fast = [by_rollups(engine, catalog) for _ in range(runs)]
    slow = [by_group_by(engine, catalog) for _ in range(baseline_runs)]
    assert fast[0][1] == slow[0][1], "rollups and the raw GROUP BY disagree"
    return {
        "rollups_ms": statistics.median(t for t, _ in fast) * 1000,
        "group_by_ms": statistics.median(t for t, _ in slow) * 1000,
        "offices": len(fast[0][1]),
    }


def main() -> None:
    if "--national" in sys.argv:  # ~10,000 units under 34 provinces: bench/national.py
        from bench.national import main as national

        national(sys.argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offices", type=int, default=500)
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline-runs", type=int, default=3)
    parser.add_argument("--database-url", help="default: a fresh SQLite file; emptied first")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='hailong-dash-')}/d.db"
    engine, catalog, offices = prepare(url, args.offices)
    settle_heap()  # as the app does once it has started
    stored, results = 0, []
    for size in (int(s) for s in args.sizes.split(",")):
        started = time.perf_counter()
        generate(engine, catalog, offices, size - stored, seed=size)
        stored = size
        print(f"generated {size:,} answers in {time.perf_counter() - started:.0f} s", flush=True)
        row = measure(engine, catalog, args.runs, args.baseline_runs)
        results.append((size, row))
        print(
            f"  rollups {row['rollups_ms']:.1f} ms, GROUP BY {row['group_by_ms']:.0f} ms, "
            f"{row['group_by_ms'] / row['rollups_ms']:.0f}x",
            flush=True,
        )
    backend = url.split(":", 1)[0].split("+")[0]
    print(
        f"\nprovince overview, {args.offices} offices x 6 criteria, calendar year, {backend};"
        f" medians of {args.runs} (rollups) and {args.baseline_runs} (GROUP BY) runs:"
    )
    print(
        f"  {'answers':>12} {'rollups':>10} {'GROUP BY':>10} {'speed-up':>9}   (targets: <= 50 ms,"
        " >= 50x)"
    )
    for size, row in results:
        print(
            f"  {size:>12,} {row['rollups_ms']:>8.1f}ms {row['group_by_ms']:>8.0f}ms "
            f"{row['group_by_ms'] / row['rollups_ms']:>8.0f}x"
        )
    print("  the figures from the rollups and from the raw answers are identical")


if __name__ == "__main__":
    main()
