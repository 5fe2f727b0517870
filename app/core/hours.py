"""Opening hours as offices write them: "T2-T6 07:30-11:30,13:30-17:00; T7 07:30-11:30".

Days are T2 … T7 and CN (Monday … Sunday), alone, as a range (T2-T6) or a list (T2,T4);
times are HH:MM-HH:MM, several per day, 00:00-24:00 for a whole day. A day not named is closed.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from app.core.errors import InvalidInput
from app.core.locale import VN_TZ

DEFAULT_HOURS = "T2-T6 07:30-11:30,13:30-17:00; T7 07:30-11:30"  # HAILONG_OPENING_HOURS
DAYS = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")
# A citizen may rate while queueing before the doors open, or on the way home: flagging
# starts this long before opening and this long after closing.
BEFORE_MINUTES = 30
AFTER_MINUTES = 60

Hours = tuple[tuple[tuple[int, int], ...], ...]  # per weekday (Monday first): (start, end) minutes
_TIME = re.compile(r"([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)")


class BadHours(InvalidInput):
    message_vi = (
        "Giờ làm việc chưa đúng mẫu, ví dụ: “T2-T6 07:30-11:30,13:30-17:00; T7 07:30-11:30”."
    )


def _days(token: str) -> list[int]:
    found: list[int] = []
    for part in token.upper().split(","):
        ends = part.split("-")
        if len(ends) > 2 or any(e not in DAYS for e in ends):
            raise BadHours(f"{part!r}: days are T2 … T7 and CN, alone, a range T2-T6 or a list")
        first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
        if last < first:
            raise BadHours(f"{part!r}: a range of days runs from Monday (T2) to Sunday (CN)")
        found += range(first, last + 1)
    return found


def _times(token: str) -> list[tuple[int, int]]:
    spans = []
    for part in token.split(","):
        match = _TIME.fullmatch(part.strip())
        if match is None:
            raise BadHours(f"{part!r}: times are HH:MM-HH:MM, e.g. 07:30-11:30")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if start >= end or end > 24 * 60:
            raise BadHours(f"{part!r}: the start must come before the end, within the day")
        spans.append((start, end))
    return spans


@lru_cache(maxsize=1024)
def parse_hours(text: str) -> Hours:
    week: list[list[tuple[int, int]]] = [[] for _ in DAYS]
    groups = [g.strip() for g in text.split(";") if g.strip()]
    if not groups:
        raise BadHours("opening hours: name at least one day and its times")
    for group in groups:
        days, _, times = group.partition(" ")
        if not times.strip():
            raise BadHours(f"{group!r}: days, a space, then times")
        spans = _times(times.replace(" ", ""))
        for day in _days(days):
            week[day] += spans
    return tuple(tuple(sorted(day)) for day in week)


def is_open(hours: Hours, when: datetime) -> bool:
    """Whether ``when`` falls in opening hours, with the margins above."""
    local = when.astimezone(VN_TZ)
    minute = local.hour * 60 + local.minute
    return any(
        start - BEFORE_MINUTES <= minute < end + AFTER_MINUTES
        for start, end in hours[local.weekday()]
    )


def hour_of_week(when: datetime) -> int:
    local = when.astimezone(VN_TZ)
    return local.weekday() * 24 + local.hour


DEFAULT_WEEK = parse_hours(DEFAULT_HOURS)
