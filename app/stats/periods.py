"""Reporting periods in Vietnamese days: a day, week (Monday first), month, quarter, year, or a
range of dates, each with the period before it for comparison."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from app.core.errors import InvalidInput
from app.core.locale import VN_TZ

# Ballots exist from the 2000s on; far-off dates are typing mistakes or probes, and near
# date.min/date.max the period before a range cannot even be computed.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
DAYS_VI = "Ngày phải từ 01/01/2000 đến 31/12/2099."

Length = Literal["day", "week", "month", "quarter", "year", "range"]
LENGTHS: tuple[Length, ...] = ("day", "week", "month", "quarter", "year", "range")
MAX_DAYS = 366 * 10


@dataclass(frozen=True)
class Period:
    start: date  # first day, inclusive
    end: date  # last day, inclusive
    length: Length = "range"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        if self.length == "range":
            end = self.start - timedelta(days=1)
            return Period(end - timedelta(days=self.days - 1), end, "range")
        return period_of(self.length, self.start - timedelta(days=1))

    def bounds_utc(self) -> tuple[datetime, datetime]:
        """The period as [start, end) instants: midnight to midnight in Vietnam."""
        start = datetime(self.start.year, self.start.month, self.start.day, tzinfo=VN_TZ)
        after = self.end + timedelta(days=1)
        end = datetime(after.year, after.month, after.day, tzinfo=VN_TZ)
        return start.astimezone(UTC), end.astimezone(UTC)


def today() -> date:
    return datetime.now(VN_TZ).date()


def period_of(length: Length, anchor: date) -> Period:
    """The calendar period of ``length`` that contains ``anchor``."""
    if length == "day":
        return Period(anchor, anchor, length)
    if length == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return Period(start, start + timedelta(days=6), length)
    if length == "month":
        start = anchor.replace(day=1)
        return Period(start, _month_end(start), length)
    if length == "quarter":
        start = anchor.replace(month=(anchor.month - 1) // 3 * 3 + 1, day=1)
        return Period(start, _month_end(_add_months(start, 2)), length)
    if length == "year":
        return Period(anchor.replace(month=1, day=1), anchor.replace(month=12, day=31), length)
    raise InvalidInput(f"period: unknown length {length!r}")


def date_range(start: date, end: date) -> Period:
    if not (FIRST_DAY <= start <= LAST_DAY and FIRST_DAY <= end <= LAST_DAY):
        raise InvalidInput(
            f"period: days must be between {FIRST_DAY} and {LAST_DAY}", message_vi=DAYS_VI
        )
    if end < start:
        raise InvalidInput(
            "period: 'from' must not be after 'to'",
            message_vi="Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.",
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput(
            f"period: at most {MAX_DAYS} days",
            message_vi=f"Khoảng thời gian dài nhất là {MAX_DAYS} ngày (10 năm).",
        )
    return Period(start, end, "range")


def _add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s."""
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1, day=1)


def _month_end(day: date) -> date:
    return _add_months(day, 1) - timedelta(days=1)


def segments(period: Period, known_until: date | None = None) -> list[tuple[str, date, date]]:
    """The period as rollup buckets, coarsest first: whole years, then whole months, then the
    remaining days; each as (grain, first bucket start, last bucket start).

    ``known_until``: the last day anything can have been counted (today: a ballot's time is the
    server's). A period reaching it may as well run to the end of its year, so the month to date
    is read as one month's row, not a row per day, and the year to date as one year's."""
    out: list[tuple[str, date, date]] = []
    if known_until is not None and period.end >= known_until:
        period = Period(period.start, date(period.end.year, 12, 31))

    def days(start: date, end: date) -> None:
        if start <= end:
            out.append(("d", start, end))

    def months(start: date, end: date) -> None:
        """Whole months within [start, end], days around them."""
        first = start if start.day == 1 else _add_months(start, 1)
        last = _add_months(end.replace(day=1), -1) if end != _month_end(end) else end.replace(day=1)
        if first > last:
            days(start, end)
            return
        days(start, first - timedelta(days=1))
        out.append(("m", first, last))
        days(_month_end(last) + timedelta(days=1), end)

    first_year = period.start.year + (0 if (period.start.month, period.start.day) == (1, 1) else 1)
    last_year = period.end.year - (0 if (period.end.month, period.end.day) == (12, 31) else 1)
    if first_year > last_year:
        months(period.start, period.end)
    else:
        months(period.start, date(first_year, 1, 1) - timedelta(days=1))
        out.append(("y", date(first_year, 1, 1), date(last_year, 1, 1)))
        months(date(last_year, 12, 31) + timedelta(days=1), period.end)
    return [s for s in out if s[1] <= s[2]]
