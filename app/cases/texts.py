"""What people type into a case (a citizen's feedback, an answer, a contact): cleaned as
comments are, limited, and refused with a clear Vietnamese message."""

from __future__ import annotations

import re

from app.core.errors import InvalidInput
from app.core.text import CONTROL_CHARS, REPLACEMENT, clean_text, is_email

FEEDBACK_MAX = 2000
ANSWER_MAX = 4000
# A Vietnamese phone number: 0 or +84, then 9 or 10 digits; spaces, dots and dashes allowed.
PHONE = re.compile(r"(\+84|0)\d{9,10}")


def clean(raw: str, what: str, limit: int) -> str:
    """``raw`` as it will be stored and shown; ``what`` names the field in the message
    ("Nội dung phản ánh", "Nội dung trả lời")."""
    text = clean_text(raw).strip()
    if not text:
        raise InvalidInput(f"{what}: empty", message_vi=f"{what} không được để trống.")
    if len(text) > limit:
        raise InvalidInput(
            f"{what}: at most {limit} characters",
            message_vi=f"{what} dài {len(text)} ký tự, tối đa {limit} ký tự.",
        )
    if CONTROL_CHARS.search(text):
        raise InvalidInput(
            f"{what}: control characters", message_vi=f"{what} chứa ký tự không hợp lệ."
        )
    if REPLACEMENT in text:
        raise InvalidInput(
            f"{what}: not valid UTF-8",
            message_vi=f"{what} có ký tự không đọc được, xin gõ lại.",
        )
    return text


def clean_contact(raw: str, consent: bool) -> str | None:
    """A phone number or e-mail address for a call back, only with the consent box ticked;
    None when nothing was given."""
    text = clean_text(raw).strip()
    if not text:
        return None
    if not consent:
        raise InvalidInput(
            "contact details need the consent box",
            message_vi=(
                "Ông/Bà để lại số điện thoại hoặc thư điện tử nhưng chưa đánh dấu đồng ý cho "
                "đơn vị dùng để liên hệ. Xin đánh dấu ô đồng ý, hoặc xoá thông tin liên hệ."
            ),
        )
    phone = re.sub(r"[\s.\-()]", "", text)
    if PHONE.fullmatch(phone):
        return phone
    if is_email(text):
        return text
    raise InvalidInput(
        "contact: neither a phone number nor an e-mail address",
        message_vi=(
            "Thông tin liên hệ không phải số điện thoại (ví dụ 0912 345 678) hay địa chỉ thư "
            "điện tử (ví dụ ten@example.vn)."
        ),
    )
