"""Query parameters shared by many routes, bounded so that no value can overflow further in."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator, BeforeValidator

from app.stats.periods import FIRST_DAY, LAST_DAY

# Row ids and paging cursors: far beyond any real table, well inside a 64-bit integer.
MAX_ID = 2**62


ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _a_day(value: Any) -> Any:
    """A day is written YYYY-MM-DD: pydantic alone would also take a time of midnight."""
    if isinstance(value, str) and not ISO_DAY.fullmatch(value):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


def _within(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return day


Day = Annotated[date, BeforeValidator(_a_day), AfterValidator(_within)]
FromDay = Annotated[
    Day | None, Query(alias="from", description="First day (YYYY-MM-DD, 2000-01-01 … 2099-12-31)")
]
ToDay = Annotated[Day | None, Query(alias="to", description="Last day, inclusive (YYYY-MM-DD)")]
BeforeId = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="Paging: entries older than this id")
]

# Vietnamese names of query parameters, for the message a staff page shows about them.
LABELS_VI = {
    "from": "Từ ngày",
    "to": "Đến ngày",
    "before": "Trang",
    "survey": "Phiếu",
    "counter": "Quầy",
    "period": "Kỳ",
    "snapshot": "Thời điểm",
    "min_responses": "Số phiếu tối thiểu",
}
