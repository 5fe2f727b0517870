"""Checking a ballot as sent against its survey: every problem found at once, none stored."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.core.errors import InvalidBallot
from app.core.text import CONTROL_CHARS, REPLACEMENT, clean_text
from app.surveys.definition import SurveyDefinition

ASCII_NUMBER = re.compile(r"[0-9]{1,4}")
# Fields of the form that carry one value; a second copy is refused, never silently preferred.
SINGLE_FIELDS = ("comment", "counter", "survey", "idem", "lang")
Problem = tuple[tuple[str, ...], str, str]  # (location, Vietnamese message, English message)


@dataclass
class Submission:
    """A ballot as the citizen or the kiosk sent it, not yet trusted."""

    answers: Mapping[str, object]
    comment: str | None = None
    counter: object = None
    survey: str | None = None
    # Problems found while reading the transport (e.g. a form field sent twice).
    parse_errors: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class CleanBallot:
    answers: dict[str, int]
    comment: str | None
    counter: int | None


def as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    # ASCII digits only: str.isdigit() also accepts "²" (which int() refuses) and "５" or "٥"
    # (which int() reads as 5): a ballot must say what it means in plain digits.
    if isinstance(value, str) and ASCII_NUMBER.fullmatch(value.strip()):
        return int(value.strip())
    return None


def validate(
    survey: SurveyDefinition, submission: Submission, counters: frozenset[int]
) -> CleanBallot:
    errors = list(submission.parse_errors)
    answers: dict[str, int] = {}
    allowed, asked = survey.values, survey.by_key
    for key, raw in submission.answers.items():
        if key not in asked:
            errors.append(
                (("answers", key), "Câu hỏi không có trong phiếu.", f"unknown question {key!r}")
            )
            continue
        if raw is None or raw == "":
            continue
        value = as_int(raw)
        if value is None or value not in allowed:
            message = f"must be one of {sorted(allowed)}"
            errors.append((("answers", key), "Lựa chọn không hợp lệ, xin chọn lại.", message))
            continue
        answers[key] = value
    flagged = {loc[-1] for loc, _, _ in errors}
    for key in survey.required_keys:
        if key not in answers and key not in flagged:
            errors.append(
                (
                    ("answers", key),
                    "Xin Ông/Bà chọn một mức đánh giá cho câu này.",
                    "this question is required",
                )
            )
    comment = _clean_comment(submission.comment, survey, errors)
    counter = _clean_counter(submission.counter, counters, errors)
    if submission.survey is not None and submission.survey != survey.key:
        errors.append(
            (
                ("survey",),
                "Phiếu khảo sát đã thay đổi, xin tải lại trang.",
                f"this office uses survey {survey.key!r}",
            )
        )
    if errors:
        raise InvalidBallot(errors)
    return CleanBallot(answers=answers, comment=comment, counter=counter)


def _clean_comment(raw: str | None, survey: SurveyDefinition, errors: list[Problem]) -> str | None:
    if raw is None:
        return None
    text = clean_text(raw).strip()
    if not text:
        return None
    if not survey.comment.enabled:
        errors.append((("comment",), "Phiếu này không nhận góp ý.", "comments are disabled"))
    elif len(text) > survey.comment.max_length:
        limit = survey.comment.max_length
        errors.append(
            (
                ("comment",),
                f"Góp ý dài {len(text)} ký tự, tối đa {limit} ký tự.",
                f"at most {limit} characters",
            )
        )
    elif CONTROL_CHARS.search(text):
        errors.append((("comment",), "Góp ý chứa ký tự không hợp lệ.", "control characters"))
    elif REPLACEMENT in text:
        errors.append(
            (
                ("comment",),
                "Góp ý có ký tự không đọc được (không phải UTF-8), xin gõ lại.",
                "the comment is not valid UTF-8",
            )
        )
    return text


def _clean_counter(raw: object, counters: frozenset[int], errors: list[Problem]) -> int | None:
    if raw is None or raw == "":
        return None
    number = as_int(raw)
    if number is None or number not in counters:
        errors.append((("counter",), "Quầy không tồn tại tại đơn vị này.", "unknown counter"))
        return None
    return number
