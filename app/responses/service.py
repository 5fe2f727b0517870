"""Taking in a ballot: validate it whole, store it once, acknowledge only what is stored."""

from __future__ import annotations

import hashlib
import json
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select
from starlette.datastructures import FormData

from app.core.db import begin_write
from app.core.errors import Conflict, InvalidBallot, NotFound
from app.models import Answer, Ballot, BallotPublic, Counter, Office
from app.models.types import utcnow
from app.offices.service import get_by_code
from app.surveys.catalog import SurveyCatalog
from app.surveys.definition import SurveyDefinition
from app.surveys.service import survey_for_office

# No 0/O, 1/I/L or U: a receipt is read aloud and copied by hand.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_LENGTH = 10
IDEMPOTENCY_KEY_MAX = 128

BALLOT: Table = Ballot.__table__  # type: ignore[attr-defined]
ANSWER: Table = Answer.__table__  # type: ignore[attr-defined]


@dataclass
class Submission:
    """A ballot as the citizen or the kiosk sent it, not yet trusted."""

    answers: Mapping[str, object]
    comment: str | None = None
    counter: object = None
    survey: str | None = None
    # Problems found while parsing the transport (e.g. a form field sent twice).
    parse_errors: list[tuple[tuple[str, ...], str, str]] = field(default_factory=list)


@dataclass
class CleanBallot:
    answers: dict[str, int]
    comment: str | None
    counter: int | None


def new_receipt() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def format_receipt(receipt: str) -> str:
    half = len(receipt) // 2
    return f"{receipt[:half]}-{receipt[half:]}"


def normalise_receipt(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 4:
        return int(value.strip())
    return None


def validate(survey: SurveyDefinition, submission: Submission, counters: set[int]) -> CleanBallot:
    errors = list(submission.parse_errors)
    answers: dict[str, int] = {}
    allowed = {level.value for level in survey.scale.levels}
    for key, raw in submission.answers.items():
        if survey.question(key) is None:
            errors.append(
                (("answers", key), "Câu hỏi không có trong phiếu.", f"unknown question {key!r}")
            )
            continue
        if raw is None or raw == "":
            continue
        value = _as_int(raw)
        if value is None or value not in allowed:
            errors.append(
                (
                    ("answers", key),
                    "Lựa chọn không hợp lệ, xin chọn lại.",
                    f"must be one of {sorted(allowed)}",
                )
            )
            continue
        answers[key] = value
    for question in survey.questions:
        if (
            question.required
            and question.key not in answers
            and question.key not in {loc[-1] for loc, _, _ in errors}
        ):
            errors.append(
                (
                    ("answers", question.key),
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


def _clean_comment(
    raw: str | None, survey: SurveyDefinition, errors: list[tuple[tuple[str, ...], str, str]]
) -> str | None:
    if raw is None:
        return None
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n")).strip()
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
    elif any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        errors.append((("comment",), "Góp ý chứa ký tự không hợp lệ.", "control characters"))
    return text


def _clean_counter(
    raw: object, counters: set[int], errors: list[tuple[tuple[str, ...], str, str]]
) -> int | None:
    if raw is None or raw == "":
        return None
    number = _as_int(raw)
    if number is None or number not in counters:
        errors.append((("counter",), "Quầy không tồn tại tại đơn vị này.", "unknown counter"))
        return None
    return number


def _fingerprint(survey: SurveyDefinition, ballot: CleanBallot) -> str:
    blob = json.dumps(
        [survey.ref, sorted(ballot.answers.items()), ballot.comment, ballot.counter],
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _insert_ignoring_conflicts(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing()


def office_counters(session: Session, office: Office) -> set[int]:
    return set(session.exec(select(Counter.number).where(Counter.office_id == office.id)))


def submit(
    session: Session,
    catalog: SurveyCatalog,
    office_code: str,
    submission: Submission,
    *,
    channel: str,
    idempotency_key: str,
    strict_replay: bool,
    submitted_at: datetime | None = None,
    is_demo: bool = False,
) -> tuple[BallotPublic, bool]:
    """Store one ballot, or find the one this idempotency key already stored.

    Returns the receipt and whether it was a replay. With ``strict_replay`` (the API), reusing
    a key for different answers is a conflict; the web form instead keeps the first ballot, as
    a citizen pressing Back and submitting again meant the same visit.
    """
    begin_write(session)
    office = get_by_code(session, office_code)
    survey = survey_for_office(session, catalog, office)
    clean = validate(survey, submission, office_counters(session, office))
    fingerprint = _fingerprint(survey, clean)
    moment = submitted_at or utcnow()
    values: dict[str, Any] = {
        "office_id": office.id,
        "counter": clean.counter,
        "survey_key": survey.key,
        "survey_version": survey.version,
        "channel": channel,
        "idempotency_key": idempotency_key,
        "request_hash": fingerprint,
        "comment": clean.comment,
        "submitted_at": moment,
        "is_demo": is_demo,
    }
    for _ in range(5):
        receipt = new_receipt()
        stmt = _insert_ignoring_conflicts(session, BALLOT).values(receipt=receipt, **values)
        ballot_id = session.exec(stmt.returning(BALLOT.c.id)).scalar()
        if ballot_id is not None:
            break
        existing = session.exec(
            select(Ballot).where(
                Ballot.office_id == office.id, Ballot.idempotency_key == idempotency_key
            )
        ).first()
        if existing is not None:
            if strict_replay and existing.request_hash != fingerprint:
                raise Conflict(
                    "Idempotency-Key was already used for a different ballot",
                    message_vi="Mã gửi phiếu đã được dùng cho một phiếu khác.",
                )
            return _public(existing, office), True
    else:  # pragma: no cover - five receipt collisions in a row
        raise RuntimeError("could not allocate a receipt")
    if clean.answers:
        session.exec(
            insert(ANSWER),
            params=[
                {"ballot_id": ballot_id, "question_key": k, "value": v}
                for k, v in clean.answers.items()
            ],
        )
    return (
        BallotPublic(
            receipt=receipt,
            office=office.code,
            survey=survey.key,
            survey_version=survey.version,
            counter=clean.counter,
            submitted_at=moment,
        ),
        False,
    )


def _public(ballot: Ballot, office: Office) -> BallotPublic:
    return BallotPublic(
        receipt=ballot.receipt,
        office=office.code,
        survey=ballot.survey_key,
        survey_version=ballot.survey_version,
        counter=ballot.counter,
        submitted_at=ballot.submitted_at,
    )


def find_receipt(session: Session, office_code: str, receipt: str) -> BallotPublic:
    office = get_by_code(session, office_code)
    ballot = session.exec(
        select(Ballot).where(
            Ballot.office_id == office.id, Ballot.receipt == normalise_receipt(receipt)
        )
    ).first()
    if ballot is None:
        raise NotFound(f"No ballot with receipt {receipt!r} at this office")
    return _public(ballot, office)


def submission_from_form(form: FormData) -> Submission:
    """Form fields ``q.<question>``, ``comment`` and ``counter``; a question sent twice is an
    error rather than a silent pick of one value."""
    answers: dict[str, object] = {}
    errors: list[tuple[tuple[str, ...], str, str]] = []
    for name, value in form.multi_items():
        if not name.startswith("q."):
            continue
        key = name[2:]
        if key in answers:
            errors.append((("answers", key), "Mỗi câu chỉ chọn một mức.", "answered twice"))
        answers[key] = value if isinstance(value, str) else None

    def text(name: str) -> str | None:
        value = form.get(name)
        return value if isinstance(value, str) and value else None

    return Submission(
        answers=answers,
        comment=text("comment"),
        counter=text("counter"),
        survey=text("survey"),
        parse_errors=errors,
    )


def counter_or_none(raw: object) -> int | None:
    return _as_int(raw)
