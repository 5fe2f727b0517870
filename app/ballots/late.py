"""Ballots a kiosk took while offline and sends later from its queue: each says when it was
cast and on which version of the survey, signed with the kiosk's own secret
(``app/sources/device_keys.py``). It is stored with that time (so it counts in the period it
was cast) and the time it arrived; it is refused, with a reason the kiosk shows its staff, when
the signature fails, when it claims to come from the future or from longer ago than
``HAILONG_LATE_BALLOT_DAYS``, or names a survey version the office never used."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from app.ballots.intake import Intake
from app.ballots.office_info import OfficeInfo, Provenance
from app.ballots.service import PreparedBallot, prepare
from app.ballots.validation import Submission
from app.core.errors import InvalidInput
from app.models.types import utcnow
from app.signals.record import Observed
from app.sources import device_keys
from app.surveys.definition import SurveyDefinition

# A kiosk's clock may run a little ahead of the server's; more than this is not a clock.
FUTURE_SLACK = timedelta(minutes=5)


class LateRefused(InvalidInput):
    """A queued ballot the server will not store (it would be refused again if resent)."""

    code = "queued_ballot_refused"


@dataclass(frozen=True)
class Queued:
    """What a queued ballot carries beyond its answers."""

    cast_ms: int  # when it was cast, by the kiosk's clock (Unix milliseconds)
    survey_version: int
    signature: str  # HMAC-SHA-256 of ``device_keys.entry_message``, base64url


def cast_time(queued: Queued, *, now: datetime, max_days: int) -> datetime:
    cast = datetime.fromtimestamp(queued.cast_ms / 1000, UTC)
    if cast > now + FUTURE_SLACK:
        raise LateRefused(
            "The cast time is in the future",
            message_vi="Thời điểm đánh giá ghi trên phiếu ở tương lai: đồng hồ của máy "
            "đánh giá bị sai, xin chỉnh lại giờ của máy.",
        )
    if cast < now - timedelta(days=max_days):
        raise LateRefused(
            f"Cast more than {max_days} days ago",
            message_vi=f"Phiếu được đánh giá cách đây hơn {max_days} ngày, quá thời hạn "
            "nhận phiếu gửi muộn.",
        )
    return cast


def check_signature(
    secret: bytes | None,
    queued: Queued,
    *,
    idem: str,
    survey_key: str,
    answers: Mapping[str, int | None],
    comment: str | None,
) -> None:
    message = device_keys.entry_message(
        idem, queued.cast_ms, survey_key, queued.survey_version, answers, comment
    )
    if secret is None or not device_keys.entry_signed(secret, message, queued.signature):
        raise LateRefused(
            "The queued ballot's signature does not match",
            message_vi="Chữ ký của phiếu không khớp (phiếu đã bị sửa, hoặc máy đánh giá "
            "đã được cấp lại): phiếu không được ghi nhận.",
        )


def survey_as_cast(found: SurveyDefinition | None, current: SurveyDefinition) -> SurveyDefinition:
    """The survey version the ballot was cast on: the office's survey, at any version it has
    been published at."""
    if found is None or found.key != current.key or found.version > current.version:
        raise LateRefused(
            "No such version of this office's survey",
            message_vi="Phiếu được đánh giá theo một mẫu phiếu mà đơn vị không dùng.",
        )
    return found


async def prepare_queued(
    intake: Intake,
    office: OfficeInfo,
    queued: Queued,
    submission: Submission,
    *,
    key: str,
    device_id: int,
    secret: bytes | None,
    observed: Observed,
    max_days: int,
) -> PreparedBallot:
    """A kiosk's queued rating, checked and ready for the writer: its time is when it was cast,
    its survey the version it was cast on. Its key covers its answers, as the kiosk's form's
    does: a rating whose form post did get through before the network went is not stored
    twice."""
    survey_key = submission.survey or ""
    check_signature(
        secret,
        queued,
        idem=key,
        survey_key=survey_key,
        answers=submission.answers,  # type: ignore[arg-type]
        comment=submission.comment,
    )
    now = utcnow()
    cast = cast_time(queued, now=now, max_days=max_days)
    survey = survey_as_cast(await intake.survey(survey_key, queued.survey_version), office.survey)
    if survey is not office.survey:  # the same survey, so the same shared criteria
        office = replace(office, survey=survey)
    return prepare(
        office,
        submission,
        channel="api",
        idempotency_key=key,
        strict_replay=False,
        key_covers_answers=True,
        submitted_at=cast,
        received_at=now,
        provenance=Provenance(source="kiosk", device_id=device_id),
        observed=observed,
    )
