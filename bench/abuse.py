"""How much stuffing the limits and detectors catch, and how many honest citizens they bother.

    python bench/abuse.py [--units 20] [--seed 7] [--database-url URL]

Simulates twelve weeks of a province's one-stop units: eight honest weeks (the history the
detectors compare with), then an evaluation month, honest too, with five attacks on five units:

- flood: a script posting as fast as it can from one address for ten minutes;
- officer: an officer adding a top rating every five minutes through a quiet afternoon, from the
  office's staff network;
- phones: five phones on mobile data rating all-top eight times each within twenty minutes;
- cookie-clearer: one client at home clearing its cookie before every rating, one every four
  minutes for three hours, each after a plausible 25 seconds on the form;
- after-hours: three phones stuffing between 20:00 and 21:30.

Honest citizens arrive in a one-stop unit's daily pattern (mornings busier, Mondays busier, a
random busier or quieter day), each rating on their own phone, more than half of them behind
the unit's one guest Wi-Fi address and the rest behind a few hundred mobile-carrier addresses
shared by the whole province, with varied answers and completion times (some slow readers, a
few sharing a phone with the person before them, a few rating in the evening at home).

Every rating goes through the real intake code, with simulated clocks: the rate limits (the
``limits`` library in memory, the defaults), the form's signed time, ``prepare`` and the
writer's ``store_ballots`` (which keeps the signals and runs the per-ballot rules), and the
windowed scan at the end of each day. Printed per attack: the share of stuffed ratings refused
or flagged; for the honest ones of the evaluation month: the share flagged. The baseline, in
the same run, is what the same traffic met before (no limits, no detectors): everything stored
and nothing flagged. Targets: every attack at least 95 % refused or flagged; at most 1 % of
honest ratings flagged.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import limits.aio.storage.memory  # noqa: E402
import limits.aio.strategies  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.ballots.office_info import OfficeInfo, load_office_info  # noqa: E402
from app.ballots.service import prepare, store_ballots  # noqa: E402
from app.ballots.validation import Submission  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.core.db import build_engine  # noqa: E402
from app.core.locale import VN_TZ  # noqa: E402
from app.core.migrate import upgrade  # noqa: E402
from app.models import Office  # noqa: E402
from app.offices.service import update_office  # noqa: E402
from app.signals.keys import form_stamp, read_stamp  # noqa: E402
from app.signals.limiter import Client, RatingLimits, TooManyRatings  # noqa: E402
from app.signals.record import Observed  # noqa: E402
from app.signals.scan import scan  # noqa: E402
from app.surveys.catalog import load_catalog  # noqa: E402
from app.surveys.service import register_catalog  # noqa: E402
from bench.serving import reset_schema  # noqa: E402

SURVEY = "cong-chuc"
START = date(2026, 3, 2)  # a Monday; eight weeks of history, then the evaluation month
HISTORY_WEEKS, WEEKS = 8, 12
SESSIONS = [(7 * 60 + 30, 11 * 60 + 30), (13 * 60 + 30, 17 * 60)]
SATURDAY = [(7 * 60 + 30, 11 * 60 + 30)]
ATTACKS = ("flood", "officer", "phones", "cookie-clearer", "after-hours")
SECRET = "bench-secret-" + "x" * 40
QUESTIONS = 6


@dataclass(order=True)
class Event:
    at: datetime
    unit: int = field(compare=False)
    kind: str = field(compare=False)  # "honest" or the attack's name
    address: str = field(compare=False)
    device: str | None = field(compare=False)
    seconds: float = field(compare=False)
    answers: dict[str, int] = field(compare=False)


class Clock:
    """The simulated wall clock the rate limiter reads (``time.time()``)."""

    def __init__(self) -> None:
        self.now = 0.0

    def time(self) -> float:
        return self.now

    def __getattr__(self, name: str) -> Any:  # everything else from the real module
        return getattr(time, name)


def local(day: date, minute: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=VN_TZ) + timedelta(minutes=minute)


def honest_answers(rng: random.Random, keys: list[str], top: float) -> dict[str, int]:
    rest = 1 - top
    mood = rng.choices([5, 4, 3, 2, 1], [top, rest * 0.65, rest * 0.25, rest * 0.07, rest * 0.03])[
        0
    ]
    if rng.random() < 0.65:
        return dict.fromkeys(keys, mood)
    return {k: min(5, max(1, mood + rng.choice((-1, 0, 0, 1)))) for k in keys}


def honest_day(
    rng: random.Random, unit: int, day: date, rate: float, top: float, keys: list[str]
) -> list[Event]:
    weekday = day.weekday()
    if weekday == 6:
        return []
    sessions = SATURDAY if weekday == 5 else SESSIONS
    mean = (
        rate
        * (1.2 if weekday == 0 else 0.5 if weekday == 5 else 1.0)
        * rng.gammavariate(16, 1 / 16)
    )
    count = poisson(rng, mean)
    lengths = [b - a for a, b in sessions]
    events: list[Event] = []
    for _ in range(count):
        start, end = rng.choices(sessions, lengths)[0]
        minute = rng.uniform(start, end) + rng.uniform(2, 25)  # rated after being served
        if rng.random() < 0.003:
            minute = rng.uniform(19 * 60, 21 * 60)  # at home in the evening
        seconds = rng.lognormvariate(math.log(45), 0.45) * (2.5 if rng.random() < 0.05 else 1)
        shared = events and rng.random() < 0.015
        events.append(
            Event(
                at=local(day, minute),
                unit=unit,
                kind="honest",
                address=f"100.64.{unit}.1" if rng.random() < 0.55 else cgnat(rng),
                device=events[-1].device if shared else uuid.UUID(int=rng.getrandbits(128)).hex,
                seconds=max(4.0, seconds),
                answers=honest_answers(rng, keys, top),
            )
        )
    return events


def poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def cgnat(rng: random.Random) -> str:
    """One of the few hundred addresses a mobile carrier puts a province's phones behind."""
    return f"171.224.{rng.randrange(3)}.{rng.randrange(100)}"


def attacks(rng: random.Random, keys: list[str]) -> list[Event]:
    top = dict.fromkeys(keys, 5)
    month = START + timedelta(weeks=HISTORY_WEEKS)
    out: list[Event] = []

    def add(
        kind: str, unit: int, at: datetime, address: str, device: str | None, seconds: float
    ) -> None:
        out.append(Event(at, unit, kind, address, device, seconds, dict(top)))

    day = month + timedelta(days=1)  # a Tuesday
    for n in range(2000):  # one post every 0.3 s for ten minutes, no cookie kept
        add("flood", 0, local(day, 10 * 60 + n * 0.005), "203.0.113.66", None, 0.3)
    day = month + timedelta(weeks=1, days=2)
    for n in range(42):  # every five minutes from 13:30 to 17:00, the office's computer
        add("officer", 1, local(day, 13 * 60 + 30 + 5 * n), "10.1.0.15", "0f" * 16, 20)
    day = month + timedelta(weeks=1, days=3)
    for _phone in range(5):
        address, device = cgnat(rng), uuid.uuid4().hex
        for _ in range(8):
            add("phones", 2, local(day, 9 * 60 + rng.uniform(0, 20)), address, device, 15)
    day = month + timedelta(weeks=2)
    for n in range(45):  # a fresh cookie every time, one every four minutes
        add(
            "cookie-clearer",
            3,
            local(day, 13 * 60 + 30 + 4 * n),
            "203.0.113.77",
            uuid.uuid4().hex,
            25,
        )
    day = month + timedelta(weeks=2, days=4)
    for n in range(30):
        add("after-hours", 4, local(day, 20 * 60 + 3 * n), cgnat(rng), uuid.uuid4().hex, 20)
    return out


def setup(url: str, units: int) -> tuple[Any, Any, list[OfficeInfo]]:
    reset_schema(url)
    upgrade(url)
    engine = build_engine(url, pool_size=2)
    settings = Settings()
    catalog = load_catalog(settings.surveys_dir, SURVEY)
    with Session(engine) as session:
        register_catalog(session, catalog)
        root = Office(code="ABUSE", name="Tỉnh (mô phỏng)", kind="province")
        session.add(root)
        session.flush()
        for u in range(units):
            session.add(
                Office(code=f"ABUSE-{u:02d}", name=f"Bộ phận một cửa {u}", parent_id=root.id)
            )
        session.flush()
        hours = Settings.model_fields["opening_hours"].default
        for u in range(units):
            code = f"ABUSE-{u:02d}"
            update_office(
                session, code, catalog, staff_networks=f"10.{u}.0.0/24", opening_hours=hours
            )
        session.commit()
        infos = [load_office_info(session, catalog, f"ABUSE-{u:02d}") for u in range(units)]
    return engine, catalog, infos


async def replay(
    engine: Any, infos: list[OfficeInfo], events: list[Event]
) -> dict[str, Counter[str]]:
    """Every event through the limits, the form's signed time, ``prepare`` and the writer's
    ``store_ballots``, day by day, with the windowed scan after each day."""
    clock = Clock()
    limits.aio.storage.memory.time = clock  # type: ignore[attr-defined,assignment]
    limits.aio.strategies.time = clock  # type: ignore[attr-defined,assignment]
    defaults = {k: Settings.model_fields[k].default for k in ("limit_device", "limit_address")}
    limiter = RatingLimits(Settings(**defaults, secret_key=SECRET))
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    receipts: dict[str, str] = {}
    batch: list[tuple[Any, Event]] = []

    def store(day_end: datetime | None) -> None:
        with engine.begin() as conn:
            if batch:
                outcomes = store_ballots(conn, [p for p, _ in batch])
                for outcome, (_, event) in zip(outcomes, batch, strict=True):
                    receipts[outcome.ballot.receipt] = event.kind  # type: ignore[union-attr]
                    tally[event.kind]["stored"] += 1
            if day_end is not None:
                scan(conn, since=day_end - timedelta(hours=23), until=day_end)
        batch.clear()

    current: date | None = None
    for event in events:
        day = event.at.astimezone(VN_TZ).date()
        if current is not None and day != current:
            store(local(current, 24 * 60))
        current = day
        clock.now = event.at.timestamp()
        office = infos[event.unit]
        tally[event.kind]["attempted"] += 1
        try:
            await limiter.check(office.id, Client(address=event.address, device=event.device))
        except TooManyRatings:
            tally[event.kind]["refused"] += 1
            continue
        served = event.at - timedelta(seconds=event.seconds)
        stamp = read_stamp(SECRET, office.id, form_stamp(SECRET, office.id, served))
        observed = Observed(Client(event.address, event.device), stamp=stamp, form=True)
        prepared = prepare(
            office,
            Submission(answers=dict(event.answers)),
            channel="web",
            idempotency_key=uuid.uuid4().hex,
            strict_replay=False,
            key_covers_answers=True,
            submitted_at=event.at,
            observed=observed,
        )
        batch.append((prepared, event))
        if len(batch) >= 256:
            store(None)
    if current is not None:
        store(local(current, 24 * 60))
    flagged_by: dict[str, Counter[str]] = defaultdict(Counter)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT b.receipt, f.rule FROM ballot_flag f JOIN ballot b ON b.id = f.ballot_id"
            )
        ).all()
    flagged: dict[str, set[str]] = defaultdict(set)
    for receipt, rule in rows:
        flagged[receipt].add(rule)
    for receipt, rules in flagged.items():
        kind = receipts[receipt]
        tally[kind]["flagged"] += 1
        for rule in rules:
            flagged_by[kind][rule] += 1
    tally["_rules"] = Counter({f"{k}:{r}": n for k, c in flagged_by.items() for r, n in c.items()})
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--top-share",
        default="0.45,0.7",
        help="each unit's share of honest citizens at the top level is drawn in this range",
    )
    args = parser.parse_args()
    if args.units < 5:
        parser.error("--units: at least 5 (one per attack)")
    low, high = (float(v) for v in args.top_share.split(","))
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='hailong-abuse-')}/abuse.db"
    engine, catalog, infos = setup(url, args.units)
    rng = random.Random(args.seed)
    keys = [q.key for q in catalog.surveys[SURVEY].questions][:QUESTIONS]
    honest: list[Event] = []
    month = START + timedelta(weeks=HISTORY_WEEKS)
    for unit in range(args.units):
        rate = min(80.0, max(4.0, rng.lognormvariate(math.log(18), 0.6)))
        top = rng.uniform(low, high)
        for d in range(WEEKS * 7):
            honest += honest_day(rng, unit, START + timedelta(days=d), rate, top, keys)
    for event in honest:
        if event.at.date() < month:
            event.kind = "history"
    events = sorted(honest + attacks(rng, keys))
    started = time.perf_counter()
    tally = asyncio.run(replay(engine, infos, events))
    elapsed = time.perf_counter() - started
    print(f"{len(events):,} ratings replayed in {elapsed:.1f} s ({engine.dialect.name})")
    print()
    print(
        "| traffic | attempted | refused (429) | stored | flagged | refused or flagged "
        "| before (no limits, no detectors) | target |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    ok = True
    for kind in ATTACKS:
        t = tally[kind]
        caught = (t["refused"] + t["flagged"]) / t["attempted"]
        ok &= caught >= 0.95
        print(
            f"| {kind} | {t['attempted']:,} | {t['refused']:,} | {t['stored']:,} "
            f"| {t['flagged']:,} | {caught:.1%} | 0.0 % | ≥ 95 % |"
        )
    h = tally["honest"]
    share = h["flagged"] / h["stored"]
    ok &= share <= 0.01 and h["refused"] == 0
    print(
        f"| honest (evaluation month) | {h['attempted']:,} | {h['refused']:,} | {h['stored']:,} "
        f"| {h['flagged']:,} | {share:.2%} flagged | 0.0 % | ≤ 1 % flagged, none refused |"
    )
    print()
    rules = tally["_rules"]
    print("flags by traffic and rule:", ", ".join(f"{k} {n}" for k, n in sorted(rules.items())))
    print("targets met" if ok else "TARGETS MISSED")
    engine.dispose()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
