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
        "send_failed_title": "Chưa gửi được đánh giá",
        "send_failed_network": (
            "Mạng chậm hoặc mất kết nối nên phiếu chưa đến được máy chủ. Các câu trả lời vẫn "
            "được giữ nguyên: xin Ông/Bà bấm “Gửi lại”. Gửi lại nhiều lần cũng chỉ tính một phiếu."
        ),
        "send_failed_server": (
            "Máy chủ đang bận nên chưa nhận được phiếu. Các câu trả lời vẫn được giữ nguyên: xin "
            "Ông/Bà chờ giây lát rồi bấm “Gửi lại”. Gửi lại nhiều lần cũng chỉ tính một phiếu."
        ),
        "retry": "Gửi lại",
        "open_new": "Mở phiếu mới",
        "open_new_hint": "Cho người tiếp theo đánh giá.",
        "kiosk_reset": "Màn hình sẽ tự mở phiếu mới sau ít giây.",
        "kiosk_missing": "Xin Ông/Bà chọn một mức đánh giá cho các câu được đánh dấu.",
        "idle_title": "Ông/Bà còn tiếp tục không?",
        "idle_body_before": "Phiếu đang điền sẽ được xóa sau",
        "idle_body_after": "giây để người sau bắt đầu phiếu mới.",
        "idle_continue": "Tiếp tục điền phiếu",
        "idle_clear": "Xóa và bắt đầu lại",
        "errors_title": "Phiếu chưa hoàn tất",
        "errors_intro": "Xin Ông/Bà xem lại các câu sau:",
        "comment_hint": "Tối đa {n} ký tự. Không ghi họ tên, số điện thoại.",
        "thanks_title": "Cảm ơn Ông/Bà đã đánh giá!",
        "thanks_body": "Ý kiến của Ông/Bà đã được ghi nhận.",
        "receipt": "Mã phiếu",
        "receipt_hint": "Ông/Bà có thể giữ mã này để đối chiếu khi cần.",
        "proof_download": "Tải bằng chứng",
        "proof_check": "Kiểm tra phiếu của tôi",
        "proof_hint": (
            "Bằng chứng cho thấy phiếu đã vào sổ công khai và được tính; có sau khoảng hai phút."
        ),
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
        "case_opened": (
            "Ý kiến chưa hài lòng của Ông/Bà đã được chuyển tới lãnh đạo đơn vị. Đơn vị trả "
            "lời ngay trên trang này, chậm nhất ngày {due}."
        ),
        "keep_page": (
            "Trang này là cách để đơn vị trả lời Ông/Bà mà không cần biết Ông/Bà là ai: xin "
            "lưu đường dẫn hoặc mã phiếu để xem lại."
        ),
        "cases_title": "Phản hồi của đơn vị",
        "case_you_wrote": "Nội dung Ông/Bà gửi",
        "case_ballot": "Phiếu chưa hài lòng",
        "case_waiting": "Đơn vị chưa trả lời. Hạn trả lời: {due}.",
        "case_overdue": "Đơn vị đã quá hạn trả lời ({due}).",
        "case_answered": "Trả lời ngày {day}",
        "rate_handling": "Ông/Bà có hài lòng với cách đơn vị xử lý không?",
        "handling_yes": "Hài lòng",
        "handling_no": "Không hài lòng",
        "handling_rated": "Ông/Bà đã đánh giá việc xử lý: {verdict}.",
        "handling_thanks": "Cảm ơn Ông/Bà đã đánh giá việc xử lý.",
        "feedback_title": "Gửi phản ánh, kiến nghị",
        "feedback_label": "Nội dung phản ánh, kiến nghị",
        "feedback_hint": "Tối đa {n} ký tự. Không cần ghi họ tên.",
        "contact_label": "Số điện thoại hoặc thư điện tử để đơn vị liên hệ lại (không bắt buộc)",
        "consent_label": (
            "Tôi đồng ý để đơn vị dùng thông tin liên hệ này chỉ để trả lời phản ánh này. "
            "Thông tin được xoá 90 ngày sau khi phản ánh được đóng, và không hiện cho cán bộ "
            "được đánh giá."
        ),
        "feedback_submit": "Gửi phản ánh",
        "feedback_sent": "Đã gửi phản ánh. Đơn vị trả lời trên trang này, chậm nhất ngày {due}.",
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
        "send_failed_title": "Your rating has not been sent yet",
        "send_failed_network": (
            "The network is slow or down, so the rating did not reach the server. Your answers "
            "are kept: please press “Send again”. Sending again still counts one rating."
        ),
        "send_failed_server": (
            "The server is busy and did not take the rating. Your answers are kept: please wait "
            "a moment and press “Send again”. Sending again still counts one rating."
        ),
        "retry": "Send again",
        "open_new": "Open a new form",
        "open_new_hint": "For the next person to rate.",
        "kiosk_reset": "A new form opens by itself in a few seconds.",
        "kiosk_missing": "Please choose a level for each marked question.",
        "idle_title": "Are you still there?",
        "idle_body_before": "This form will be cleared in",
        "idle_body_after": "seconds so the next person starts afresh.",
        "idle_continue": "Continue",
        "idle_clear": "Clear and start again",
        "errors_title": "The form is not complete",
        "errors_intro": "Please check these questions:",
        "comment_hint": "At most {n} characters. Please do not write your name or phone number.",
        "thanks_title": "Thank you for your rating!",
        "thanks_body": "Your answers have been recorded.",
        "receipt": "Receipt",
        "receipt_hint": "You may keep this code to refer to your rating.",
        "proof_download": "Download the proof",
        "proof_check": "Check my rating",
        "proof_hint": (
            "The proof shows your rating is in the public log and counted; ready in about two "
            "minutes."
        ),
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
        "case_opened": (
            "Your dissatisfaction has been passed to the unit's head. The unit replies on this "
            "page, by {due} at the latest."
        ),
        "keep_page": (
            "This page is how the unit replies to you without knowing who you are: please keep "
            "its address or the receipt code."
        ),
        "cases_title": "The unit's reply",
        "case_you_wrote": "What you sent",
        "case_ballot": "A dissatisfied rating",
        "case_waiting": "The unit has not replied yet. Reply due by {due}.",
        "case_overdue": "The unit's reply is overdue (due {due}).",
        "case_answered": "Replied on {day}",
        "rate_handling": "Are you satisfied with how the unit handled it?",
        "handling_yes": "Satisfied",
        "handling_no": "Not satisfied",
        "handling_rated": "You rated the handling: {verdict}.",
        "handling_thanks": "Thank you for rating how it was handled.",
        "feedback_title": "Send feedback or a request",
        "feedback_label": "Your feedback or request",
        "feedback_hint": "At most {n} characters. No need to give your name.",
        "contact_label": "Phone number or e-mail address for a call back (optional)",
        "consent_label": (
            "I agree that the unit uses these contact details only to answer this feedback. "
            "They are erased 90 days after the case is closed, and never shown to the officers "
            "being rated."
        ),
        "feedback_submit": "Send feedback",
        "feedback_sent": "Feedback sent. The unit replies on this page, by {due} at the latest.",
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
