"""The rules, as plain functions: the per-ballot ones of a ballot just taken (``per_ballot``,
which ``record.py`` calls in the ballot's batch), and the windowed ones of signal rows and the
offices' history, which the scan (``scan.py``) feeds from the database, and tests and
``bench/abuse.py`` from crafted cases. Thresholds are in ``rules.py``.

The windowed ones return ``(ballot_id, rule, evidence)`` triples; none changes a ballot.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from app.core.hours import DAYS
from app.core.locale import to_local
from app.signals import rules

Flag = tuple[int, str, dict[str, Any]]
# A kiosk is one device at one address rated on by one citizen after another, and sends what it
# queued offline all at once when the network returns: its ballots carry its device's id, and
# many from its browser and address are what it is for, not stuffing.
SHARED_DEVICES = frozenset({"kiosk"})
Share = Callable[[int, Any], float]  # (office, value) -> the office's usual share or rate


def per_ballot(
    *,
    form: bool,
    stamped: bool,
    questions: int,
    seconds: float | None,
    staff: bool,
    off: bool,
    at: datetime,
) -> list[tuple[str, Any]]:
    """The per-ballot rules' flags, with their evidence: ``form``, whether the ballot came by a
    form (which carries its signed serving time, ``stamped`` if it did); ``seconds`` from
    serving to sending; ``staff``, sent from the office's staff network; ``off``, outside
    opening hours."""
    found: list[tuple[str, Any]] = []
    if form:
        limit = rules.too_fast_limit(questions)
        if not stamped:
            found.append(("too-fast", {"form_time": "missing", "limit": limit}))
        elif seconds is not None and seconds < limit:
            found.append(("too-fast", {"seconds": round(seconds, 1), "limit": limit}))
    if staff:
        found.append(("staff-network", {"staff_network": True}))
    if off:
        local = to_local(at)
        found.append(
            ("off-hours", {"local_time": local.strftime("%H:%M"), "day": DAYS[local.weekday()]})
        )
    return found


@dataclass(frozen=True)
class Seen:
    """One ballot's signal row."""

    ballot_id: int
    office_id: int
    at: datetime
    source: str
    address: str | None
    device: str | None
    pattern: str
    level: int
    form: str | None = None  # the signed form's nonce


def day_of(at: datetime) -> str:
    return to_local(at).strftime("%d/%m/%Y")


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    if k > n:
        return 0.0
    logs = math.lgamma(n + 1), math.log(p), math.log1p(-p)
    return min(
        1.0,
        sum(
            math.exp(
                logs[0]
                - math.lgamma(i + 1)
                - math.lgamma(n - i + 1)
                + i * logs[1]
                + (n - i) * logs[2]
            )
            for i in range(k, n + 1)
        ),
    )


def poisson_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean)."""
    if k <= 0 or not math.isfinite(mean):
        return 1.0
    term = math.exp(-mean)
    below = term
    for i in range(1, k):
        term *= mean / i
        below += term
    return max(0.0, 1.0 - below)


def same_device(rows: Iterable[Seen]) -> list[Flag]:
    groups: dict[tuple[int, str, str], list[Seen]] = defaultdict(list)
    for row in rows:
        if row.device and row.source not in SHARED_DEVICES:
            groups[(row.office_id, day_of(row.at), row.device)].append(row)
    flags = []
    for (_, day, _), seen in groups.items():
        if len(seen) > rules.SAME_DEVICE_PER_DAY:
            evidence = {"day": day, "ratings": len(seen), "limit": rules.SAME_DEVICE_PER_DAY}
            flags += [(s.ballot_id, "same-device", evidence) for s in seen]
    return flags


def same_address(rows: Iterable[Seen], level_share: Share) -> list[Flag]:
    """``level_share(office, level)``: the office's usual share of ballots at that level."""
    groups: dict[tuple[int, str, str], list[Seen]] = defaultdict(list)
    for row in rows:
        if row.address and row.source not in SHARED_DEVICES:
            groups[(row.office_id, day_of(row.at), row.address)].append(row)
    flags = []
    for (office, day, _), seen in groups.items():
        if len(seen) < rules.SAME_ADDRESS_MIN:
            continue
        level, k = Counter(s.level for s in seen).most_common(1)[0]
        usual = level_share(office, level)
        chance = binomial_tail(k, len(seen), usual)
        if chance < rules.SAME_ADDRESS_ALPHA:
            evidence = {
                "day": day,
                "ratings": len(seen),
                "alike": k,
                "usual_share": round(usual, 3),
                "chance": float(f"{chance:.2g}"),
            }
            flags += [(s.ballot_id, "same-address", evidence) for s in seen if s.level == level]
    return flags


def uniform_streak(rows: Iterable[Seen], pattern_share: Share) -> list[Flag]:
    """Runs of identical open ballots at one office, each within the gap of the previous."""
    by_office: dict[int, list[Seen]] = defaultdict(list)
    for row in rows:
        if row.source == "open":
            by_office[row.office_id].append(row)
    flags: list[Flag] = []
    gap = rules.UNIFORM_GAP_MINUTES * 60
    for office, seen in by_office.items():
        seen.sort(key=lambda s: s.at)
        run: list[Seen] = []
        following: list[Seen | None] = [*seen, None]
        for nxt in following:
            if (
                nxt is not None
                and run
                and nxt.pattern == run[-1].pattern
                and (nxt.at - run[-1].at).total_seconds() <= gap
            ):
                run.append(nxt)
                continue
            if len(run) >= rules.UNIFORM_MIN_RUN:
                usual = pattern_share(office, run[0].pattern)
                chance = usual ** (len(run) - 1)
                if chance < rules.UNIFORM_ALPHA:
                    evidence = {
                        "from": to_local(run[0].at).strftime("%H:%M %d/%m/%Y"),
                        "to": to_local(run[-1].at).strftime("%H:%M %d/%m/%Y"),
                        "run": len(run),
                        "usual_share": round(usual, 3),
                    }
                    flags += [(s.ballot_id, "uniform-streak", evidence) for s in run]
            run = [nxt] if nxt is not None else []
    return flags


def burst(rows: Iterable[Seen], usual: Share) -> list[Flag]:
    """``usual(office, hour of the week)``: the office's (or its peers') mean open ratings in
    that hour of the week."""
    hours: dict[tuple[int, str], list[Seen]] = defaultdict(list)
    for row in rows:
        if row.source == "open":
            hours[(row.office_id, to_local(row.at).strftime("%Y-%m-%d %H"))].append(row)
    flags = []
    for (office, _), seen in hours.items():
        n = len(seen)
        if n < rules.BURST_MIN:
            continue
        local = to_local(seen[0].at)
        mean = max(usual(office, local.weekday() * 24 + local.hour), 0.5)
        if math.isinf(mean):  # no history anywhere yet: nothing to call unusual
            continue
        chance = poisson_tail(n, 2 * mean)
        if chance < rules.BURST_ALPHA:
            evidence = {
                "hour": local.strftime("%H:00 %d/%m/%Y"),
                "ratings": n,
                "usual": round(mean, 2),
                "chance": float(f"{chance:.2g}"),
            }
            flags += [(s.ballot_id, "burst", evidence) for s in seen]
    return flags


def form_resent(rows: Iterable[Seen], limit: Callable[[int], float]) -> list[Flag]:
    """A form sent again faster than it can be filled in, timed from its previous sending:
    one slow form cannot make many quick ballots look slow. ``limit(ballot)``: its too-fast
    threshold. (Intake times each sending from when the form was served.)"""
    forms: dict[str, list[Seen]] = defaultdict(list)
    for row in rows:
        if row.form:
            forms[row.form].append(row)
    flags: list[Flag] = []
    for sent in forms.values():
        sent.sort(key=lambda s: s.at)
        for before, again in pairwise(sent):
            seconds = (again.at - before.at).total_seconds()
            if seconds < limit(again.ballot_id):
                evidence = {"seconds": round(seconds, 1), "limit": limit(again.ballot_id)}
                flags.append((again.ballot_id, "too-fast", evidence | {"form": "sent again"}))
    return flags


def over_dossiers(
    counter_ratings: Iterable[tuple[int, int, datetime]],
    dossiers: dict[tuple[int, str], int],
    reporting: set[int],
) -> list[Flag]:
    """``counter_ratings``: (ballot, office, time) of ratings through a counter's screen;
    ``dossiers[(office, day)]``: dossiers received or returned there that day; ``reporting``:
    offices whose software reports dossiers at all (for the others the rule cannot judge)."""
    days: dict[tuple[int, str], list[int]] = defaultdict(list)
    for ballot_id, office, at in counter_ratings:
        if office in reporting:
            days[(office, day_of(at))].append(ballot_id)
    flags = []
    for (office, day), ballots in days.items():
        handled = dossiers.get((office, day), 0)
        if len(ballots) > handled:
            evidence = {"day": day, "ratings": len(ballots), "dossiers": handled}
            flags += [(b, "over-dossiers", evidence) for b in ballots]
    return flags
