"""The citizen's pages: the survey form a QR code opens, and the receipt after it."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from app.core.deps import CatalogDep, SessionDep
from app.core.errors import InvalidBallot
from app.core.templates import is_htmx, render
from app.models import Office
from app.offices import service as offices
from app.responses import service
from app.responses.texts import texts
from app.surveys.definition import SurveyDefinition
from app.surveys.service import survey_for_office

router = APIRouter(tags=["citizen"], include_in_schema=False)

Lang = Annotated[Literal["vi", "en"], Query()]
MAX_FORM_FIELDS = 120


async def read_form(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)


def _form_context(
    office: Office,
    survey: SurveyDefinition,
    *,
    lang: str,
    counter: int | None,
    idem: str,
    values: dict[str, str] | None = None,
    comment: str = "",
    errors: dict[str, str] | None = None,
) -> dict[str, object]:
    return {
        "office": office,
        "survey": survey,
        "lang": lang,
        "t": texts(lang),
        "counter": counter,
        "idem": idem,
        "values": values or {},
        "comment": comment,
        "errors": errors or {},
        "action": f"/s/{quote(office.code, safe='')}",
    }


@router.get("/s/{office_code}", response_class=HTMLResponse)
def survey_form(
    request: Request,
    office_code: str,
    session: SessionDep,
    catalog: CatalogDep,
    lang: Lang = "vi",
    counter: Annotated[int | None, Query(ge=1, le=999)] = None,
) -> HTMLResponse:
    office = offices.get_by_code(session, office_code)
    offices.require_counter(session, office, counter)
    survey = survey_for_office(session, catalog, office)
    context = _form_context(office, survey, lang=lang, counter=counter, idem=uuid.uuid4().hex)
    # No "no-store": Back must bring the same form (and its idempotency key) from the cache.
    return render(
        request, "responses/form.html", context, headers={"Cache-Control": "private, max-age=0"}
    )


@router.post("/s/{office_code}", response_class=HTMLResponse)
def submit_form(
    request: Request,
    office_code: str,
    session: SessionDep,
    catalog: CatalogDep,
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    lang = "en" if form.get("lang") == "en" else "vi"
    submission = service.submission_from_form(form)
    idem = str(form.get("idem") or "")[: service.IDEMPOTENCY_KEY_MAX] or uuid.uuid4().hex
    try:
        ballot, _ = service.submit(
            session,
            catalog,
            office_code,
            submission,
            channel="web",
            idempotency_key=idem,
            strict_replay=False,
        )
    except InvalidBallot as exc:
        office = offices.get_by_code(session, office_code)
        survey = survey_for_office(session, catalog, office)
        field = 1 if lang == "en" else 0
        errors = {loc[-1]: (vi, en)[field] for loc, vi, en in exc.errors}
        counter = service.counter_or_none(submission.counter)
        context = _form_context(
            office,
            survey,
            lang=lang,
            counter=counter,
            idem=idem,
            values={k: str(v) for k, v in submission.answers.items()},
            comment=submission.comment or "",
            errors=errors,
        )
        return render(request, "responses/form.html", context, block="survey", status_code=422)
    receipt_url = f"/s/{quote(office_code, safe='')}/r/{ballot.receipt}" + (
        "?lang=en" if lang == "en" else ""
    )
    if is_htmx(request):
        office = offices.get_by_code(session, office_code)
        return render(
            request,
            "responses/thanks.html",
            _thanks_context(office, ballot, lang),
            block="survey",
            headers={"HX-Push-Url": receipt_url},
        )
    return RedirectResponse(receipt_url, status_code=303)


def _thanks_context(office: Office, ballot: object, lang: str) -> dict[str, object]:
    return {
        "office": office,
        "ballot": ballot,
        "lang": lang,
        "t": texts(lang),
        "format_receipt": service.format_receipt,
    }


@router.get("/s/{office_code}/r/{receipt}", response_class=HTMLResponse)
def thanks(
    request: Request,
    office_code: str,
    receipt: str,
    session: SessionDep,
    lang: Lang = "vi",
) -> HTMLResponse:
    ballot = service.find_receipt(session, office_code, receipt)
    office = offices.get_by_code(session, office_code)
    return render(request, "responses/thanks.html", _thanks_context(office, ballot, lang))
