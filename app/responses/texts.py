"""Words of the citizen pages, Vietnamese first."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "vi": {
        "unit": "Đơn vị được đánh giá",
        "question": "Câu",
        "comment": "Góp ý",
        "counter": "Quầy",
        "required": "bắt buộc",
        "optional": "không bắt buộc",
        "submit": "Gửi đánh giá",
        "sending": "Đang gửi…",
        "errors_title": "Phiếu chưa hoàn tất",
        "errors_intro": "Xin Ông/Bà xem lại các câu sau:",
        "comment_hint": "Tối đa {n} ký tự. Không ghi họ tên, số điện thoại.",
        "thanks_title": "Cảm ơn Ông/Bà đã đánh giá!",
        "thanks_body": "Ý kiến của Ông/Bà đã được ghi nhận.",
        "receipt": "Mã phiếu",
        "receipt_hint": "Ông/Bà có thể giữ mã này để đối chiếu khi cần.",
        "time": "Thời gian",
        "other_lang": "English",
        "other_lang_code": "en",
        "privacy": "Phiếu không ghi tên người đánh giá.",
        "already_sent": (
            "Ông/Bà vừa gửi đánh giá cho đơn vị này. Gửi lại đúng các lựa chọn cũ sẽ không "
            "tạo phiếu mới."
        ),
        "new_rating": "Người khác muốn đánh giá? Mở phiếu mới",
        "replayed": "Phiếu này đã được ghi nhận trước đó; mỗi lượt chỉ tính một phiếu.",
        "dossier_notice": (
            "Đánh giá này gắn với hồ sơ của Ông/Bà: mỗi hồ sơ chỉ được đánh giá một lần, để "
            "không ai đánh giá thay Ông/Bà. Cán bộ không bao giờ biết hồ sơ nào đã đánh giá "
            "thế nào."
        ),
        "counter_notice": (
            "Mã QR tại quầy chỉ dùng được trong ít phút, để chỉ người vừa được phục vụ mới "
            "đánh giá. Phiếu không ghi tên người đánh giá."
        ),
        "dossier_rated_title": "Hồ sơ này đã được đánh giá",
        "dossier_rated": (
            "Mỗi hồ sơ chỉ được đánh giá một lần. Đánh giá của hồ sơ này đã được ghi nhận; "
            "không có phiếu mới nào được lưu."
        ),
    },
    "en": {
        "unit": "Unit being rated",
        "question": "Question",
        "comment": "Comment",
        "counter": "Counter",
        "required": "required",
        "optional": "optional",
        "submit": "Send my rating",
        "sending": "Sending…",
        "errors_title": "The form is not complete",
        "errors_intro": "Please check these questions:",
        "comment_hint": "At most {n} characters. Please do not write your name or phone number.",
        "thanks_title": "Thank you for your rating!",
        "thanks_body": "Your answers have been recorded.",
        "receipt": "Receipt",
        "receipt_hint": "You may keep this code to refer to your rating.",
        "time": "Time",
        "other_lang": "Tiếng Việt",
        "other_lang_code": "vi",
        "privacy": "The survey does not record your name.",
        "already_sent": (
            "You have just rated this unit. Sending the same answers again will not add a "
            "new rating."
        ),
        "new_rating": "Someone else wants to rate? Open a new form",
        "replayed": "This rating was already recorded; each visit counts once.",
        "dossier_notice": (
            "This rating is tied to your dossier: each dossier can be rated once, so nobody can "
            "rate in your place. Officers never see which dossier gave which rating."
        ),
        "counter_notice": (
            "The counter's QR code works for a few minutes only, so that only the person just "
            "served can rate. Your name is not recorded."
        ),
        "dossier_rated_title": "This dossier has been rated",
        "dossier_rated": (
            "Each dossier can be rated once. The rating of this dossier is recorded; nothing "
            "new was stored."
        ),
    },
}


def texts(lang: str) -> dict[str, str]:
    return TEXTS.get(lang, TEXTS["vi"])
