"""Query parameters shared by many routes, bounded so that no value can overflow further in."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator

from app.stats.periods import FIRST_DAY, LAST_DAY

# Row ids and paging cursors: far beyond any real table, well inside a 64-bit integer.
MAX_ID = 2**62


def _within(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return day


Day = Annotated[date, AfterValidator(_within)]
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
