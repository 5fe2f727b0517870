"""Domain errors: what went wrong, its HTTP status and its Vietnamese message; the web layer
(``app/web/errors.py``) turns them into pages or JSON."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400
    code = "bad_request"
    message_vi = "Yêu cầu không hợp lệ."
    headers: dict[str, str] | None = None  # e.g. Retry-After

    def __init__(self, message: str | None = None, *, message_vi: str | None = None) -> None:
        self.message = message or self.__class__.__doc__ or self.code
        if message_vi:
            self.message_vi = message_vi
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"detail": self.message, "code": self.code, "detail_vi": self.message_vi}


class NotFound(DomainError):
    """Not found."""

    status_code = 404
    code = "not_found"
    message_vi = "Không tìm thấy trang hoặc đơn vị này."


class OfficeNotFound(NotFound):
    code = "office_not_found"
    message_vi = "Không tìm thấy đơn vị này. Xin Ông/Bà kiểm tra lại mã QR tại quầy."

    def __init__(self, code: str) -> None:
        super().__init__(f"No office with code {code!r}")


class OutOfScope(NotFound):
    """An office outside the account's scope: the API answers as for an office that does not
    exist (nothing leaks); a staff page says the account cannot see it."""

    message_vi = "Không tìm thấy đơn vị này."


class Forbidden(DomainError):
    """This account's role does not allow it."""

    status_code = 403
    code = "forbidden"
    message_vi = "Tài khoản này không có quyền làm việc này."


class Conflict(DomainError):
    """The request conflicts with what is already stored."""

    status_code = 409
    code = "conflict"
    message_vi = "Yêu cầu mâu thuẫn với dữ liệu đã lưu."


class InvalidInput(DomainError):
    """The input is not valid."""

    status_code = 422
    code = "invalid"


class InvalidBallot(DomainError):
    """Field-level problems with a ballot; ``errors`` maps a field to a Vietnamese message."""

    status_code = 422
    code = "invalid_ballot"
    message_vi = "Phiếu chưa hợp lệ, xin Ông/Bà xem lại các câu được đánh dấu."

    def __init__(self, errors: list[tuple[tuple[str, ...], str, str]]) -> None:
        # Each error: (location, Vietnamese message, English message).
        self.errors = errors
        super().__init__("The ballot is not valid")

    def body(self) -> dict[str, Any]:
        return {
            "detail": [
                {"loc": ["body", *loc], "msg": en, "msg_vi": vi, "type": self.code}
                for loc, vi, en in self.errors
            ],
            "code": self.code,
        }


class DatabaseUnavailable(DomainError):
    """The database cannot be reached just now (a restart, a failover): nothing was stored;
    retry shortly."""

    status_code = 503
    code = "database_unavailable"
    message_vi = (
        "Hệ thống tạm thời chưa kết nối được cơ sở dữ liệu, nên yêu cầu vừa rồi chưa được lưu. "
        "Xin Ông/Bà thử lại sau ít giây."
    )
    headers = {"Retry-After": "3"}  # noqa: RUF012 - read only
