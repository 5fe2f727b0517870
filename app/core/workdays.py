"""Working days on Vietnam's calendar: Monday to Friday, less the public holidays (Tết and the
others, with the days the government moves), from the ``holidays`` library, never a typed list."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from app.core.locale import VN_TZ


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself not counted)."""
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not later)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


def due_after(moment: datetime, days: int) -> datetime:
    """When something received at ``moment`` is due ``days`` working days later: the end of that
    day in Vietnam (midnight after it), whatever the hour it came in."""
    last = add_working_days(moment.astimezone(VN_TZ).date(), days)
    return datetime.combine(last + timedelta(days=1), time(), VN_TZ)


def last_day(due: datetime) -> date:
    """The last day something due at ``due`` (a midnight in Vietnam) may be done on."""
    return (due.astimezone(VN_TZ) - timedelta(microseconds=1)).date()
