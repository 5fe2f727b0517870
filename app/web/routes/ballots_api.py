"""The JSON API for kiosks, tablets and one-stop software."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response

from app.ballots import late, service
from app.ballots.intake import Intake
from app.ballots.office_info import OPEN, OfficeInfo, Provenance
from app.ballots.validation import Submission
from app.core.errors import DomainError, Forbidden, InvalidInput
from app.models import BallotPublic, OfficePublic
from app.offices import service as offices
from app.sources.service import Credential
from app.surveys.service import survey_for_office
from app.web import gate
from app.web.deps import CatalogDep, IntakeDep, KeysDep, SessionDep, SettingsDep
from app.web.identity import NotAuthenticated, bearer_token
from app.web.openapi import api_errors
from app.web.routing import TransactionRoute
from app.web.schemas import ResponseCreate

router = APIRouter(
    route_class=TransactionRoute,
    prefix="/api/v1",
    tags=["responses"],
    responses=api_errors(400, 404, 422, 431),
)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Any unique string (a UUID is best). Sending the same key again returns "
        "the first receipt instead of storing a second ballot.",
    ),
]
ERRORS = api_errors(401, 403, 404, 409, 413, 429)


@router.post(
    "/offices/{code}/responses",
    status_code=201,
    response_model=BallotPublic,
    responses={200: {"description": "A replay: the ballot this key already stored"}, **ERRORS},
)
async def create_response(
    request: Request,
    code: str,
    body: ResponseCreate,
    intake: IntakeDep,
    response: Response,
    keys: KeysDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
    authorization: Annotated[
        str | None,
        Header(description="A kiosk's device token (Bearer …), so its ballots say so"),
    ] = None,
) -> BallotPublic:
    """Store one ballot. Acknowledged (201) only once it is committed. Anonymous, or from a
    kiosk with its device token; staff and integration tokens may not cast ballots."""
    # Async on purpose: the request waits for the group-commit writer, not for a thread.
    key = _check_key(idempotency_key) if idempotency_key is not None else uuid.uuid4().hex
    submission = Submission(
        answers=body.answers, comment=body.comment, counter=body.counter, survey=body.survey
    )
    office = await intake.office(code)
    kiosk = await _kiosk(intake, authorization, office)
    provenance = Provenance(source="kiosk", device_id=kiosk.id) if kiosk else OPEN
    # A kiosk is one device rated on by many citizens: only anonymous senders are limited.
    observed = await gate.admit(request, office.id, limited=kiosk is None)
    if body.cast_at_ms is None:
        prepared = service.prepare(
            office,
            submission,
            channel="api",
            idempotency_key=key,
            strict_replay=True,
            provenance=provenance,
            observed=observed,
        )
    else:
        if kiosk is None or idempotency_key is None:
            raise InvalidInput("Only a kiosk's queue, with its Idempotency-Key, sends cast_at_ms")
        if body.survey_version is None or body.signature is None:
            raise InvalidInput("A queued rating needs survey, survey_version and signature")
        prepared = await late.prepare_queued(
            intake,
            office,
            late.Queued(body.cast_at_ms, body.survey_version, body.signature),
            submission,
            key=key,
            device_id=kiosk.id,
            secret=keys.device_secret(kiosk.id, kiosk.salt) if kiosk.salt else None,
            observed=observed,
            max_days=settings.late_ballot_days,
        )
    outcome = await intake.store(prepared)
    if isinstance(outcome, DomainError):
        raise outcome
    if outcome.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return outcome.ballot


async def _kiosk(
    intake: Intake, authorization: str | None, office: OfficeInfo
) -> Credential | None:
    if authorization is None:
        return None
    token = bearer_token(authorization)
    if token is None:
        raise NotAuthenticated("Send a kiosk's token as Authorization: Bearer …")
    found = await intake.credential(token)
    if found is None or found.kind != "kiosk" or found.office_id != office.id:
        # Whoever is graded (an officer's token), or software that registers dossiers, must
        # not be able to cast a rating in a citizen's place.
        raise Forbidden(
            "Only a kiosk of this office, or an anonymous citizen, may cast a ballot",
            message_vi="Chỉ người dân, hoặc máy đánh giá của đơn vị, mới được gửi phiếu.",
        )
    return found


def _check_key(key: str) -> str:
    if (
        not 1 <= len(key) <= service.IDEMPOTENCY_KEY_MAX
        or not key.isascii()
        or not key.isprintable()
    ):
        raise InvalidInput("Idempotency-Key: 1 to 128 printable ASCII characters")
    return key


@router.get("/offices/{code}", response_model=OfficePublic, responses=api_errors(404))
def get_office(code: str, session: SessionDep) -> OfficePublic:
    return offices.to_public(session, offices.get_by_code(session, code))


@router.get("/offices/{code}/survey", responses=api_errors(404))
def get_office_survey(code: str, session: SessionDep, catalog: CatalogDep) -> dict[str, Any]:
    """The survey this office uses now, to render a ballot on a kiosk."""
    office = offices.get_by_code(session, code)
    return survey_for_office(session, catalog, office).canonical_json()
