"""The citizen's pages: the survey form a QR code opens, and the receipt after it."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from app.core.deps import CatalogDep, SessionDep
from app.core.errors import DomainError, InvalidBallot
from app.core.routing import TransactionRoute
from app.core.templates import is_htmx, render
from app.models import BallotPublic, Office
from app.offices import service as offices
from app.responses import receipts, service
from app.responses.intake import Intake, IntakeDep
from app.responses.offices import OPEN, OfficeInfo, Provenance, load_office_info
from app.responses.texts import texts
from app.responses.validation import Submission, as_int, submission_from_form
from app.signals import gate
from app.signals.record import Observed

router = APIRouter(route_class=TransactionRoute, tags=["citizen"], include_in_schema=False)

Lang = Annotated[Literal["vi", "en"], Query()]
VISIT_COOKIE = "hl_visit"
VISIT_KEY = re.compile(r"[0-9a-f]{32}")
VISIT_SECONDS = 15 * 60
MAX_FORM_FIELDS = 120
KIOSK_RESET_SECONDS = 8
# A page whose address is a device's credential (a kiosk's form and thank-you, a counter screen,
# a lobby display): never cached, never sent on as a referrer.
DEVICE_PAGE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


async def read_form(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)


def form_context(
    office: OfficeInfo,
    *,
    lang: str,
    counter: int | None,
    idem: str,
    values: dict[str, str] | None = None,
    comment: str = "",
    errors: dict[str, str] | None = None,
    action: str | None = None,
    notice: str = "",
    stamp: str = "",
    kiosk: bool = False,
) -> dict[str, object]:
    return {
        "kiosk": kiosk,
        "office": office,
        "survey": office.survey,
        "numbers": {q.key: n for n, q in enumerate(office.survey.questions, start=1)},
        "lang": lang,
        "t": texts(lang),
        "counter": counter,
        "idem": idem,
        "values": values or {},
        "comment": comment,
        "errors": errors or {},
        "action": action or f"/s/{quote(office.code, safe='')}",
        "already_sent": False,
        "notice": notice,
        "stamp": stamp,  # when the form was served, signed (``app/signals/keys.py``)
    }


@router.get("/s/{office_code}", response_class=HTMLResponse)
def survey_form(
    request: Request,
    office_code: str,
    session: SessionDep,
    catalog: CatalogDep,
    lang: Lang = "vi",
    counter: Annotated[int | None, Query(ge=1, le=999)] = None,
    new: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    office = load_office_info(session, catalog, office_code)
    _open_counts(office)
    offices.check_counter(office.code, office.counters, counter)
    recent = None if new else _recent_visit(request)
    context = form_context(
        office,
        lang=lang,
        counter=counter,
        idem=recent or uuid.uuid4().hex,
        stamp=gate.stamp_for(request, office.id),
    )
    context["already_sent"] = recent is not None
    # No "no-store": Back should bring the same form (and its idempotency key) from the cache.
    response = render(
        request, "responses/form.html", context, headers={"Cache-Control": "private, max-age=0"}
    )
    gate.ensure_device(request, response)
    return response


class OpenQrNotCounted(DomainError):
    """This unit counts ratings bound to a transaction only: scan the QR on the counter's
    screen or on the dossier's receipt slip instead."""

    status_code = 403
    code = "open_qr_not_counted"
    message_vi = (
        "Đơn vị này chỉ tính các đánh giá gắn với hồ sơ hoặc tại quầy. Xin Ông/Bà quét mã QR "
        "trên màn hình tại quầy, hoặc mã QR in trên giấy tiếp nhận và hẹn trả kết quả, để "
        "đánh giá. Cảm ơn Ông/Bà!"
    )


def _open_counts(office: OfficeInfo) -> None:
    """Where the open QR does not count, say how to rate instead of taking a rating that would
    be left out of the figures."""
    if "open" not in office.counts:
        raise OpenQrNotCounted()


def _recent_visit(request: Request) -> str | None:
    key = request.cookies.get(VISIT_COOKIE, "")
    return key if VISIT_KEY.fullmatch(key) else None


def _remember_visit(request: Request, response: Response, office_code: str, key: str) -> None:
    """Back, reload or a browser that dropped the page all lead to the same form key for a while,
    so pressing Submit again replays the receipt instead of storing a second ballot."""
    response.set_cookie(
        VISIT_COOKIE,
        key,
        max_age=VISIT_SECONDS,
        path=f"/s/{quote(office_code, safe='')}",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


@router.post("/s/{office_code}", response_class=HTMLResponse)
async def submit_form(
    request: Request,
    office_code: str,
    intake: IntakeDep,
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    # Async on purpose: the request waits for the group-commit writer, not for a thread.
    office = await intake.office(office_code)
    _open_counts(office)
    observed = await gate.admit(request, office.id, form)
    submission = submission_from_form(form)
    response = await take_ballot(request, intake, office, form, submission, observed=observed)
    if response.status_code < 400:
        idem = str(form.get("idem") or "")[: service.IDEMPOTENCY_KEY_MAX]
        _remember_visit(request, response, office.code, idem)
    return response


async def take_ballot(
    request: Request,
    intake: Intake,
    office: OfficeInfo,
    form: FormData,
    submission: Submission,
    *,
    observed: Observed,
    provenance: Provenance = OPEN,
    action: str | None = None,
    notice: str = "",
    kiosk: bool = False,
) -> Response:
    """Validate and store a ballot sent by a form; the form again with the problems beside
    each question, or the receipt. On a ``kiosk`` the receipt is shown in place (never put in
    the address bar or the history) and resets to a fresh form by itself."""
    lang = "en" if form.get("lang") == "en" else "vi"
    idem = str(form.get("idem") or "")[: service.IDEMPOTENCY_KEY_MAX] or uuid.uuid4().hex
    try:
        prepared = service.prepare(
            office,
            submission,
            channel="web",
            idempotency_key=idem,
            strict_replay=False,
            key_covers_answers=True,
            provenance=provenance,
            observed=observed,
        )
    except InvalidBallot as exc:
        field = 1 if lang == "en" else 0
        context = form_context(
            office,
            lang=lang,
            counter=as_int(submission.counter),
            idem=idem,
            values={k: str(v) for k, v in submission.answers.items()},
            comment=submission.comment or "",
            errors={loc[-1]: (vi, en)[field] for loc, vi, en in exc.errors},
            action=action,
            notice=notice,
            stamp=str(form.get("stamp") or "")[:80],
            kiosk=kiosk,
        )
        return render(request, "responses/form.html", context, block="survey", status_code=422)
    outcome = await intake.store(prepared)
    if isinstance(outcome, DomainError):
        raise outcome
    ballot = outcome.ballot
    query = "&".join(
        q for q, wanted in (("lang=en", lang == "en"), ("again=1", outcome.replayed)) if wanted
    )
    receipt_url = f"/s/{quote(office.code, safe='')}/r/{ballot.receipt}" + (
        f"?{query}" if query else ""
    )
    source = provenance.source
    context = {**thanks_context(office, ballot, lang, source), "replayed": outcome.replayed}
    if kiosk:
        context |= {"next_url": action, "reset_after": KIOSK_RESET_SECONDS}
        block = "survey" if is_htmx(request) else None
        response: Response = render(
            request, "responses/thanks.html", context, block=block, headers=DEVICE_PAGE
        )
    elif not is_htmx(request):
        response = RedirectResponse(receipt_url, status_code=303)
    else:
        response = render(
            request,
            "responses/thanks.html",
            context,
            block="survey",
            headers={"HX-Push-Url": receipt_url},
        )
    gate.ensure_device(request, response)
    return response


def thanks_context(
    office: OfficeInfo | Office, ballot: BallotPublic, lang: str, source: str
) -> dict[str, object]:
    return {
        "next_url": _next_form(office.code, ballot, lang) if source == "open" else None,
        "reset_after": None,
        "replayed": False,
        "rated_before": False,
        "office": office,
        "ballot": ballot,
        "lang": lang,
        "t": texts(lang),
        "format_receipt": receipts.format_receipt,
    }


def _next_form(office_code: str, ballot: BallotPublic, lang: str) -> str:
    """A fresh form for the next person, where the form came from the office's open QR (a
    dossier's link rates once, and a counter's QR is scanned again by the next person)."""
    query = [("new", "1")]
    if ballot.counter:
        query.append(("counter", str(ballot.counter)))
    if lang == "en":
        query.append(("lang", "en"))
    return f"/s/{quote(office_code, safe='')}?{urlencode(query)}"


@router.get("/s/{office_code}/r/{receipt}", response_class=HTMLResponse)
def thanks(
    request: Request,
    office_code: str,
    receipt: str,
    session: SessionDep,
    lang: Lang = "vi",
    again: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    ballot, source = receipts.find_receipt(session, office_code, receipt)
    office = offices.get_by_code(session, office_code)
    context = {**thanks_context(office, ballot, lang, source), "replayed": again}
    return render(request, "responses/thanks.html", context)
