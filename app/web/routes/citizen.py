"""The citizen's pages: the survey form a QR code opens, and the receipt after it."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.ballots import receipts, service
from app.ballots.office_info import OfficeInfo, load_office_info
from app.cases import citizen as citizen_cases
from app.core.errors import Conflict, DomainError, InvalidInput
from app.offices import service as offices
from app.web import gate
from app.web.ballot_form import (
    form_context,
    keeps_log,
    posted,
    submission_from_form,
    take_ballot,
    thanks_context,
)
from app.web.deps import CatalogDep, SessionDep
from app.web.params import CaseId
from app.web.rendering import render
from app.web.routing import TransactionRoute

router = APIRouter(route_class=TransactionRoute, tags=["citizen"], include_in_schema=False)

Lang = Annotated[Literal["vi", "en"], Query()]
VISIT_COOKIE = "hl_visit"
VISIT_KEY = re.compile(r"[0-9a-f]{32}")
VISIT_SECONDS = 15 * 60


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
        request, "citizen/form.html", context, headers={"Cache-Control": "private, max-age=0"}
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
        secure=request.scope["scheme"] == "https",
    )


async def submit_form(request: Request) -> Response:
    office_code = request.path_params["office_code"]
    # Async on purpose: the request waits for the group-commit writer, not for a thread.
    intake, form = await posted(request)
    office = await intake.office(office_code)
    _open_counts(office)
    observed = await gate.admit(request, office.id, form)
    submission = submission_from_form(form)
    response = await take_ballot(request, intake, office, form, submission, observed=observed)
    if response.status_code < 400:
        idem = str(form.get("idem") or "")[: service.IDEMPOTENCY_KEY_MAX]
        _remember_visit(request, response, office.code, idem)
    return response


# The ballot posts are plain Starlette routes: they read their own path and form, and FastAPI's
# parameter solving around them cost each ballot ~30 µs of the event loop (docs/benchmarks.md).
router.add_route("/s/{office_code}", submit_form, methods=["POST"], include_in_schema=False)


@router.get("/s/{office_code}/r/{receipt}", response_class=HTMLResponse)
def thanks(
    request: Request,
    office_code: str,
    receipt: str,
    session: SessionDep,
    lang: Lang = "vi",
    again: Annotated[bool, Query()] = False,
    sent: Annotated[int | None, Query(ge=1)] = None,
    rated: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    """The receipt's page: the rating kept, the unit's replies to its cases, and the way to send
    a phản ánh, kiến nghị (``sent``: the case just opened; ``rated``: a handling just rated)."""
    return _receipt_page(
        request, session, office_code, receipt, lang, again=again, sent=sent, rated=rated
    )


def _receipt_page(
    request: Request,
    session: SessionDep,
    office_code: str,
    receipt: str,
    lang: str,
    *,
    again: bool = False,
    sent: int | None = None,
    rated: bool = False,
    feedback: tuple[str, str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    ballot, source = receipts.find_receipt(session, office_code, receipt)
    office = offices.get_by_code(session, office_code)
    found = citizen_cases.cases_of_receipt(session, office.id or 0, ballot.receipt)
    just_sent = next((c for c in found if c.id == sent), None)
    context = {
        **thanks_context(office, ballot, lang, source, log=keeps_log(request)),
        "replayed": again,
        "cases": found,
        "feedback_due": just_sent.due_at if just_sent else None,
        "handling_thanks": rated,
    }
    if feedback is not None:
        context |= dict(
            zip(("feedback_error", "feedback_text", "feedback_contact"), feedback, strict=True)
        )
    return render(request, "citizen/thanks.html", context, status_code=status_code)


def _receipt_url(office_code: str, receipt: str, lang: str, query: str) -> str:
    tail = "&lang=en" if lang == "en" else ""
    return f"/s/{quote(office_code, safe='')}/r/{quote(receipt, safe='')}?{query}{tail}"


@router.post("/s/{office_code}/r/{receipt}/feedback", response_class=HTMLResponse)
def send_feedback(
    request: Request,
    office_code: str,
    receipt: str,
    session: SessionDep,
    text: Annotated[str, Form(max_length=20_000)] = "",
    contact: Annotated[str, Form(max_length=1000)] = "",
    consent: Annotated[bool, Form()] = False,
    lang: Lang = "vi",
) -> Response:
    """A citizen's phản ánh, kiến nghị from their receipt: a case, answered on this page."""
    try:
        case_id = citizen_cases.send_feedback(session, office_code, receipt, text, contact, consent)
    except (InvalidInput, Conflict) as exc:
        message = exc.message if lang == "en" else exc.message_vi
        return _receipt_page(
            request,
            session,
            office_code,
            receipt,
            lang,
            feedback=(message, text[:2000], contact[:254]),
            status_code=exc.status_code,
        )
    return RedirectResponse(_receipt_url(office_code, receipt, lang, f"sent={case_id}"), 303)


@router.post("/s/{office_code}/r/{receipt}/cases/{case_id}/rating")
def rate_handling(
    office_code: str,
    receipt: str,
    case_id: CaseId,
    session: SessionDep,
    satisfied: Annotated[bool, Form()],
    lang: Lang = "vi",
) -> Response:
    """The citizen's one verdict on how a case was handled."""
    citizen_cases.rate_handling(session, office_code, receipt, case_id, satisfied)
    url = _receipt_url(office_code, receipt, lang, "rated=1") + f"#case-{case_id}"
    return RedirectResponse(url, status_code=303)
