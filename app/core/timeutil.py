"""Vietnam time (Asia/Ho_Chi_Minh): a fixed UTC+07:00, no daylight saving since 1975."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

VN_TZ = timezone(timedelta(hours=7), "+07:00")


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(VN_TZ)


def format_local(moment: datetime) -> str:
    return to_local(moment).strftime("%H:%M %d/%m/%Y")
