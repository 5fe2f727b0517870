"""Vietnam time (Asia/Ho_Chi_Minh): a fixed UTC+07:00, no daylight saving since 1975."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

VN_TZ = timezone(timedelta(hours=7), "+07:00")


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(VN_TZ)


def format_local(moment: datetime) -> str:
    return to_local(moment).strftime("%H:%M %d/%m/%Y")


def format_percent(value: float | None, digits: int = 1) -> str:
    """Vietnamese style: a decimal comma, "95,3 %"; a dash when there is nothing to show."""
    if value is None:
        return "—"
    # A no-break space keeps "95,3 %" on one line in narrow table cells.
    return f"{value * 100:.{digits}f}".replace(".", ",") + "\u00a0%"


def format_number(value: int) -> str:
    """Vietnamese style: dots between thousands, "1.234"."""
    return f"{value:,}".replace(",", ".")


def format_decimal(value: float, digits: int = 1) -> str:
    """Vietnamese style: a decimal comma, "4,0"; a small probability in powers of ten,
    "2,3 × 10⁻⁵"."""
    if value != 0 and abs(value) < 10 ** -max(digits, 2):
        mantissa, exponent = f"{value:.1e}".split("e")
        powers = str(int(exponent)).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
        return f"{mantissa.replace('.', ',')} × 10{powers}"
    return f"{value:.{digits}f}".replace(".", ",")


def format_change(value: float | None) -> str:
    """A change of share in percentage points, with its sign: "+3,2" or "−1,0"."""
    if value is None:
        return "—"
    text = f"{abs(value) * 100:.1f}".replace(".", ",")
    if text == "0,0":
        return text
    return ("+" if value > 0 else "−") + text
