"""Running the windowed rules over the signals of a window: in the background every few
minutes (``background.py``) and on demand (``hailong signals scan``).

Day rules look at whole days (Vietnam time), so the window is widened to midnight. Flags are
only ever added: a flag already raised is not raised twice, and no ballot is changed.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from app.core.bulk import any_of, bulk
from app.core.locale import to_local
from app.models import Answer, Ballot, BallotSignal, Dossier
from app.models.types import utcnow
from app.signals import detectors, rules
from app.signals.detectors import Flag, Seen
from app.signals.record import FLAG, FLAG_COLUMNS, flag_row

SIGNAL = BallotSignal.__table__  # type: ignore[attr-defined]
BALLOT = Ballot.__table__  # type: ignore[attr-defined]
DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
ANSWER = Answer.__table__  # type: ignore[attr-defined]
MIN_OWN_HISTORY = 50  # fewer ballots of its own: an office is compared with all units' mix
NO_HISTORY_SHARE = 0.8  # nor any units' history: assume most citizens answer alike


def midnight(moment: datetime) -> datetime:
    local = to_local(moment)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _within(conn: Connection, column: Any, office_ids: list[int] | None) -> list[Any]:
    return [] if office_ids is None else [any_of(conn, column, office_ids)]


def _seen(
    conn: Connection, start: datetime, end: datetime, office_ids: list[int] | None
) -> list[Seen]:
    c = SIGNAL.c
    query = sa.select(
        c.ballot_id,
        c.office_id,
        c.at,
        c.source,
        c.address_hash,
        c.device_hash,
        c.pattern,
        c.level,
        c.form_nonce,
    ).where(c.at >= start, c.at < end, *_within(conn, c.office_id, office_ids))
    return [Seen(*row) for row in conn.execute(query)]


class Mix:
    """Each office's usual share (or rate) by a value; all units' for an office with less
    history than ``least``."""

    def __init__(
        self,
        own: dict[tuple[int, Any], float],
        totals: Counter[int],
        overall: dict[Any, float],
        least: int,
        unknown: float,
        smoothed: bool,
    ) -> None:
        self.own, self.totals, self.overall, self.least = own, totals, overall, least
        self.unknown = unknown  # what is assumed of a value nobody has seen yet
        self.smoothed = smoothed  # shares: a value never seen is rare, not impossible

    def __call__(self, office: int, value: Any) -> float:
        total = self.totals[office]
        if total >= self.least:
            return self.own.get((office, value), 1 / (total + 2) if self.smoothed else 0.0)
        return self.overall.get(value, self.unknown)


def _shares(conn: Connection, column: Any, start: datetime, end: datetime) -> Mix:
    """Each office's share of ballots by ``column`` (level or answer pattern)."""
    c = SIGNAL.c
    rows = conn.execute(
        sa.select(c.office_id, column, sa.func.count())
        .where(c.at >= start, c.at < end)
        .group_by(c.office_id, column)
    ).all()
    totals: Counter[int] = Counter()
    overall: Counter[Any] = Counter()
    for office, value, n in rows:
        totals[office] += n
        overall[value] += n
    grand = sum(overall.values())
    # Smoothed, so that a value never seen is rare but not impossible.
    own = {(office, value): (n + 1) / (totals[office] + 2) for office, value, n in rows}
    if grand < MIN_OWN_HISTORY:  # a new deployment: assume ballots alike, flag nothing on it
        return Mix(own, totals, {}, MIN_OWN_HISTORY, NO_HISTORY_SHARE, smoothed=True)
    shares = {v: (n + 1) / (grand + 2) for v, n in overall.items()}
    return Mix(own, totals, shares, MIN_OWN_HISTORY, 1 / (grand + 2), smoothed=True)


def _usual_hours(conn: Connection, before: datetime) -> Mix:
    """Mean open ratings per hour of the week over the weeks before ``before`` (counted from
    an office's first rating, if later); offices with little history get all units' mean."""
    c = SIGNAL.c
    start = before - timedelta(weeks=rules.BURST_HISTORY_WEEKS)
    rows = conn.execute(
        sa.select(c.office_id, c.hour, sa.func.count(), sa.func.min(c.at))
        .where(c.source == "open", c.at >= start, c.at < before)
        .group_by(c.office_id, c.hour)
    ).all()
    totals: Counter[int] = Counter()
    first: dict[int, datetime] = {}
    peers: Counter[int] = Counter()
    for office, hour, n, at in rows:
        totals[office] += n
        first[office] = min(first.get(office, at), at)
        peers[hour] += n
    weeks = {
        o: max(1.0, min(rules.BURST_HISTORY_WEEKS, (before - at).total_seconds() / 604800))
        for o, at in first.items()
    }
    own = {(office, hour): n / weeks[office] for office, hour, n, _ in rows}
    offices = max(1, len(totals))
    overall = {hour: n / offices / rules.BURST_HISTORY_WEEKS for hour, n in peers.items()}
    if sum(peers.values()) < rules.BURST_MIN_HISTORY:
        # No unit has a history yet: no usual rate to compare with, so no hour is a burst.
        return Mix(own, totals, {}, rules.BURST_MIN_HISTORY, math.inf, smoothed=False)
    return Mix(own, totals, overall, rules.BURST_MIN_HISTORY, 0.0, smoothed=False)


def _over_dossiers(
    conn: Connection, start: datetime, end: datetime, office_ids: list[int] | None
) -> list[Flag]:
    b, d = BALLOT.c, DOSSIER.c
    ratings = conn.execute(
        sa.select(b.id, b.office_id, b.submitted_at).where(
            b.device_id.is_not(None),
            b.source.in_(("counter", "dossier")),
            b.submitted_at >= start,
            b.submitted_at < end,
            *_within(conn, b.office_id, office_ids),
        )
    ).all()
    if not ratings:
        return []
    offices = sorted({office for _, office, _ in ratings})
    reporting = set(
        conn.execute(
            sa.select(d.office_id)
            .where(any_of(conn, d.office_id, offices), d.created_at >= start - timedelta(days=30))
            .distinct()
        ).scalars()
    )
    handled: dict[tuple[int, str], set[int]] = defaultdict(set)
    rows = conn.execute(
        sa.select(d.id, d.office_id, d.received_at, d.returned_at).where(
            any_of(conn, d.office_id, offices),
            sa.or_(
                sa.and_(d.received_at >= start, d.received_at < end),
                sa.and_(d.returned_at >= start, d.returned_at < end),
            ),
        )
    )
    for dossier_id, office, received, returned in rows:
        for at in (received, returned):
            if at is not None and start <= at < end:
                handled[(office, detectors.day_of(at))].add(dossier_id)
    counts = {key: len(ids) for key, ids in handled.items()}
    return detectors.over_dossiers(ratings, counts, reporting)


def _too_fast_limits(conn: Connection, seen: list[Seen]) -> Callable[[int], float]:
    """Each re-sent form's ballot's too-fast threshold (by its number of answers)."""
    counts = Counter(s.form for s in seen if s.form)
    again = [s.ballot_id for s in seen if s.form and counts[s.form] > 1]
    answers: dict[int, int] = {}
    for chunk in range(0, len(again), 500):
        a = ANSWER.c
        answers |= dict(
            conn.execute(
                sa.select(a.ballot_id, sa.func.count())
                .where(a.ballot_id.in_(again[chunk : chunk + 500]))
                .group_by(a.ballot_id)
            ).all()
        )
    return lambda ballot_id: rules.too_fast_limit(answers.get(ballot_id, 0))


def detect(
    conn: Connection, start: datetime, end: datetime, office_ids: list[int] | None = None
) -> list[tuple[Flag, datetime, int]]:
    """Every windowed rule over [start, end): (flag, the ballot's time, its office)."""
    seen = _seen(conn, start, end, office_ids)
    history = start - timedelta(days=rules.HISTORY_DAYS)
    found: list[Flag] = []
    if seen:
        found += detectors.same_device(seen)
        found += detectors.same_address(seen, _shares(conn, SIGNAL.c.level, history, start))
        found += detectors.uniform_streak(seen, _shares(conn, SIGNAL.c.pattern, history, start))
        found += detectors.burst(seen, _usual_hours(conn, start))
        found += detectors.form_resent(seen, _too_fast_limits(conn, seen))
    where = {s.ballot_id: (s.at, s.office_id) for s in seen}
    dossier_flags = _over_dossiers(conn, start, end, office_ids)
    if dossier_flags:
        ids = [f[0] for f in dossier_flags if f[0] not in where]
        for chunk in range(0, len(ids), 500):
            for ballot_id, at, office in conn.execute(
                sa.select(BALLOT.c.id, BALLOT.c.submitted_at, BALLOT.c.office_id).where(
                    BALLOT.c.id.in_(ids[chunk : chunk + 500])
                )
            ):
                where[ballot_id] = (at, office)
    return [(f, *where[f[0]]) for f in [*found, *dossier_flags]]


def scan(
    conn: Connection,
    since: datetime,
    until: datetime | None = None,
    office_ids: list[int] | None = None,
) -> dict[str, int]:
    """Run the windowed rules over the whole days from ``since`` to ``until``; the new flags
    raised, by rule."""
    start, end = midnight(since), until or utcnow()
    raised = detect(conn, start, end, office_ids)
    return insert_flags(conn, raised)


def insert_flags(conn: Connection, raised: Iterable[tuple[Flag, datetime, int]]) -> dict[str, int]:
    sql = bulk(conn)
    now = utcnow()
    rows = [
        flag_row(sql, ballot_id, office, rule, evidence, at, now)
        for (ballot_id, rule, evidence), at, office in raised
    ]
    if not rows:
        return {}
    returned = sql.insert(
        conn,
        FLAG,
        FLAG_COLUMNS,
        rows,
        " ON CONFLICT (ballot_id, rule, version) DO NOTHING RETURNING rule",
    )
    return dict(Counter(rule for (rule,) in returned))
