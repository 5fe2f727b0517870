from datetime import date, datetime

from app.core.locale import VN_TZ
from app.core.workdays import (
    add_working_days,
    due_after,
    is_working_day,
    last_day,
    working_days_between,
)


def test_tet_and_weekends_are_not_working_days() -> None:
    # Tết 2026: 16–20 February (from the holidays library, not from this test's list).
    assert not is_working_day(date(2026, 2, 17))
    assert not is_working_day(date(2026, 2, 21))  # Saturday
    assert not is_working_day(date(2026, 9, 2))  # National Day
    assert is_working_day(date(2026, 2, 23))


def test_ten_working_days_across_tet() -> None:
    # Friday 13/02/2026: Tết week and two weekends go by, the tenth working day is 06/03.
    assert add_working_days(date(2026, 2, 13), 10) == date(2026, 3, 6)
    assert working_days_between(date(2026, 2, 13), date(2026, 3, 6)) == 10


def test_due_is_the_end_of_the_last_working_day_whatever_the_hour() -> None:
    late = datetime(2026, 12, 4, 23, 50, tzinfo=VN_TZ)  # Friday night
    due = due_after(late, 1)
    assert due == datetime(2026, 12, 8, 0, 0, tzinfo=VN_TZ)  # all of Monday 07/12
    assert last_day(due) == date(2026, 12, 7)
