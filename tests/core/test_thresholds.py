import pytest

from app.core.errors import InvalidInput
from app.core.thresholds import AlertRule, parse_alert_rule


def test_rules_as_written() -> None:
    assert parse_alert_rule("50% 60m 4") == AlertRule(0.5, 60, 4)
    assert parse_alert_rule(" 30 %  2h 10 ") == AlertRule(0.3, 120, 10)
    assert parse_alert_rule("OFF") is None
    assert str(AlertRule(0.3, 120, 10)) == "30% 120m 10"


@pytest.mark.parametrize(
    "text", ["", "50%", "50 60m 4", "0% 60m 4", "101% 60m 4", "50% 0m 4", "50% 60m 0", "50% 8d 4"]
)
def test_anything_else_is_refused_in_vietnamese(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_alert_rule(text)
    assert "Ngưỡng cảnh báo" in refused.value.message_vi
