"""Query parameters shared by many routes, bounded so that no value can overflow further in."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Path, Query
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


def _maybe_within(day: date | None) -> date | None:
    return None if day is None else _within(day)


VN_DAY = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


def _typed_day(value: Any) -> Any:
    """A day typed on a page: dd/mm/yyyy as Vietnamese write it (a text field, so no browser
    shows mm/dd/yyyy and no script is needed), or YYYY-MM-DD from the page's own links; an
    empty field is no day."""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        found = VN_DAY.fullmatch(value)
        if found:
            day, month, year = (int(part) for part in found.groups())
            return date(year, month, day)
    return _a_day(value)


Day = Annotated[date, BeforeValidator(_a_day), AfterValidator(_within)]
TypedDay = Annotated[date | None, BeforeValidator(_typed_day), AfterValidator(_maybe_within)]
FromDay = Annotated[
    Day | None, Query(alias="from", description="First day (YYYY-MM-DD, 2000-01-01 … 2099-12-31)")
]
ToDay = Annotated[Day | None, Query(alias="to", description="Last day, inclusive (YYYY-MM-DD)")]
# The same on staff pages, as typed in their date fields.
PageFromDay = Annotated[TypedDay, Query(alias="from")]
PageToDay = Annotated[TypedDay, Query(alias="to")]
BeforeId = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="Paging: entries older than this id")
]
CaseId = Annotated[int, Path(ge=1, le=MAX_ID, description="A case's id")]
# The cases a list asks for: a state, or those not answered yet ("open") or overdue.
CaseStatus = Annotated[
    Literal["new", "in_progress", "answered", "closed", "open", "overdue"] | None, Query()
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
    "case_id": "Số phản ánh",
}
