"""The alert rule of an office tree: when a run of dissatisfied ballots is worth a mail.

Written "50% 60m 4": at least 50 % of the ballots of the last 60 minutes not satisfied, with at
least 4 ballots in them; "off" sends none. Minutes may also be hours ("2h")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.core.errors import InvalidInput

RULE = re.compile(r"\s*(\d{1,3})\s*%\s+(\d{1,4})\s*(m|h)\s+(\d{1,5})\s*")


@dataclass(frozen=True)
class AlertRule:
    share: float  # 0.5 for 50 %
    minutes: int
    min_ballots: int

    def __str__(self) -> str:
        return f"{round(self.share * 100)}% {self.minutes}m {self.min_ballots}"

    def describe_vi(self) -> str:
        return (
            f"từ {round(self.share * 100)} % phiếu chưa hài lòng trong {self.minutes} phút, "
            f"ít nhất {self.min_ballots} phiếu"
        )


def parse_alert_rule(text: str) -> AlertRule | None:
    """The rule ``text`` writes, or None for "off"."""
    if text.strip().lower() == "off":
        return None
    match = RULE.fullmatch(text)
    if match is None:
        raise InvalidInput(
            f"not an alert rule like '50% 60m 4' or 'off': {text!r}",
            message_vi="Ngưỡng cảnh báo phải có dạng “50% 60m 4” hoặc “off”.",
        )
    percent, amount, unit, least = match.groups()
    minutes = int(amount) * (60 if unit == "h" else 1)
    if not 1 <= int(percent) <= 100 or not 1 <= minutes <= 7 * 24 * 60 or int(least) < 1:
        raise InvalidInput(
            f"alert rule out of range: {text!r}",
            message_vi="Ngưỡng cảnh báo: 1–100 %, 1 phút đến 7 ngày, ít nhất 1 phiếu.",
        )
    return AlertRule(int(percent) / 100, minutes, int(least))
