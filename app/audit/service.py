"""The audit log: append-only, one row per login, exclusion, reinstatement or export. Each event
names the office it concerns, so an inspector bound to a province sees that province's events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection
from sqlmodel import Session, col, select

from app.core.bulk import any_of
from app.models import AuditEvent
from app.stats.periods import date_range

ACTIONS = {
    "login": "Đăng nhập",
    "login_failed": "Đăng nhập sai",
    "login_throttled": "Đăng nhập bị chặn tạm",
    "exclude": "Loại phiếu",
    "reinstate": "Khôi phục phiếu",
    "exclude_cluster": "Loại nhóm phiếu nghi vấn",
    "flags_legitimate": "Xác nhận nhóm phiếu nghi vấn hợp lệ",
    "reinstate_cluster": "Khôi phục nhóm phiếu đã loại",
    "export": "Xuất dữ liệu",
    "password_reset": "Đặt lại mật khẩu",
    "integration_add": "Cấp quyền phần mềm một cửa",
    "integration_revoke": "Thu hồi quyền phần mềm một cửa",
    "device_add": "Cấp thiết bị",
    "device_revoke": "Thu hồi thiết bị",
    "dossiers_import": "Nhập danh sách hồ sơ",
    "count_policy": "Đổi nguồn phiếu được tính",
    "staff_networks": "Đổi dải mạng nội bộ của cán bộ",
    "opening_hours": "Đổi giờ làm việc",
    "case_open": "Mở phản ánh",
    "case_answer": "Trả lời phản ánh",
    "case_status": "Đổi trạng thái phản ánh",
    "case_handling_rated": "Người dân đánh giá việc xử lý phản ánh",
    "case_days": "Đổi thời hạn xử lý phản ánh",
    "contacts_erased": "Xoá thông tin liên hệ đã hết hạn lưu",
    "webhook_add": "Thêm địa chỉ nhận sự kiện (webhook)",
    "webhook_revoke": "Thu hồi địa chỉ nhận sự kiện (webhook)",
    "outbox_retry": "Gửi lại thư, sự kiện đã dừng gửi",
    "alert_rule": "Đổi ngưỡng cảnh báo",
    "public": "Đổi việc công khai kết quả",
    "user_email": "Đổi thư điện tử, bản tin tuần của tài khoản",
}
PAGE = 100
BATCH = 2000


def record(
    session: Session,
    username: str,
    action: str,
    target: str = "",
    reason: str | None = None,
    address: str = "",
    office_id: int | None = None,
) -> None:
    """One event; its ``action`` must be one of ``ACTIONS``, so the log reads in words."""
    if action not in ACTIONS:
        raise ValueError(f"audit action {action!r} has no name in ACTIONS")
    session.add(
        AuditEvent(
            username=username[:64],
            action=action,
            target=target[:200],
            reason=reason,
            address=address[:64],
            office_id=office_id,
        )
    )
    session.flush()


@dataclass
class AuditQuery:
    """Filters for the log: days (Vietnam time), an action, an account; ``before`` pages."""

    start: date | None = None
    end: date | None = None
    action: str | None = None
    username: str = ""
    before: int | None = None

    def __post_init__(self) -> None:
        # Refused when the query is read: the export streams, and must fail before its first byte.
        self.bounds()

    def bounds(self) -> tuple[datetime, datetime] | None:
        if not (self.start or self.end):
            return None
        return date_range(self.start or self.end, self.end or self.start).bounds_utc()  # type: ignore[arg-type]

    def params(self, **changes: Any) -> str:
        values: dict[str, Any] = {
            "from": self.start,
            "to": self.end,
            "action": self.action,
            "username": self.username or None,
            "before": self.before,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v is not None})


def _select(conn: Connection | Session, scope: set[int] | None, query: AuditQuery) -> Any:
    statement = select(AuditEvent)
    if scope is not None:
        # A bound inspector: events about offices in their sub-tree (a login is about the
        # account's office).
        statement = statement.where(any_of(conn, col(AuditEvent.office_id), sorted(scope)))
    bounds = query.bounds()
    if bounds is not None:
        first, last = bounds
        statement = statement.where(AuditEvent.at >= first, AuditEvent.at < last)
    if query.action:
        statement = statement.where(AuditEvent.action == query.action)
    if query.username:
        statement = statement.where(AuditEvent.username == query.username.strip().lower())
    return statement


def page(
    session: Session, scope: set[int] | None, query: AuditQuery, limit: int = PAGE
) -> tuple[list[AuditEvent], int | None]:
    """Newest first; the second value is the ``before`` of the next page, if any."""
    statement = _select(session, scope, query).order_by(col(AuditEvent.id).desc()).limit(limit + 1)
    if query.before is not None:
        statement = statement.where(col(AuditEvent.id) < query.before)
    events = list(session.exec(statement))
    more = len(events) > limit
    events = events[:limit]
    return events, (events[-1].id if more and events else None)


def every(conn: Connection, scope: set[int] | None, query: AuditQuery) -> Iterator[Any]:
    """Every matching event, oldest first, read in batches (for the export)."""
    last = 0
    while True:
        batch = conn.execute(
            _select(conn, scope, query)
            .where(col(AuditEvent.id) > last)
            .order_by(col(AuditEvent.id))
            .limit(BATCH)
        ).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].id
