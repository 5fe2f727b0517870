"""The citizen's form, shared by every way it is reached (the office's open QR, a dossier's or a
counter's link, a kiosk): reading what was sent, drawing the form again with each problem beside
its question, and the thank-you with the receipt."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from app.ballots import service
from app.ballots.intake import Intake
from app.ballots.office_info import OPEN, OfficeInfo, Provenance
from app.ballots.validation import SINGLE_FIELDS, Problem, Submission, as_int
from app.core.config import Settings
from app.core.errors import DatabaseUnavailable, DomainError, InvalidBallot
from app.core.receipts import format_receipt
from app.core.workdays import due_after
from app.models import BallotPublic, Office
from app.signals.record import Observed
from app.web import gate
from app.web.deps import get_intake
from app.web.rendering import is_htmx, render
from app.web.texts import texts

MAX_FORM_FIELDS = 120
URLENCODED = "application/x-www-form-urlencoded"
SHORT_FORM = 6  # questions: the six criteria need no count of how many are left
LONG_WORD = 9  # letters; longer words do not fit a level's card side by side on a 360 px phone
KIOSK_RESET_SECONDS = 8


@dataclass(frozen=True)
class Kiosk:
    """A form on a kiosk, used by one person after another: answers someone left are cleared
    (``idle`` seconds without a touch, then a question, then ``prompt`` seconds), and the
    thank-you gives way to a fresh form."""

    idle: int
    prompt: int

    @classmethod
    def of(cls, settings: Settings) -> Kiosk:
        return cls(settings.kiosk_idle_seconds, settings.kiosk_prompt_seconds)


# A page whose address is a device's credential (a kiosk's form and thank-you, a counter screen,
# a lobby display): never cached, never sent on as a referrer.
DEVICE_PAGE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


async def read_form(request: Request) -> FormData:
    """The form as sent. A browser's form (URL-encoded) is read with the standard library's
    ``parse_qsl``, at half the cost of Starlette's streaming parser (17 against 29 µs a ballot,
    measured as bench/ballot_cost.py reads forms), with the same result: the body is whole
    already (``EdgeGuard``), its non-ASCII bytes percent-encoded, and names and values decoded
    as UTF-8."""
    ctype = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if ctype != URLENCODED:
        return await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    body = (await request.body()).decode("latin-1")
    try:
        fields = parse_qsl(body, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError as exc:
        too_many = f"Too many fields. Maximum number of fields is {MAX_FORM_FIELDS}."
        raise HTTPException(400, too_many) from exc
    pairs: list[tuple[str, str | UploadFile]] = list(fields)
    return FormData(pairs)


async def posted(request: Request) -> tuple[Intake, FormData]:
    """What a ballot form's handler starts from: the app's intake and the form. Read here, not
    declared as the handler's dependencies: FastAPI's solving of those cost each ballot about
    20 µs of the event loop, the thread every request shares (bench/ballot_cost.py)."""
    return await get_intake(request), await read_form(request)


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
    kiosk: Kiosk | None = None,
) -> dict[str, object]:
    labels = [lv.label_en if lang == "en" else lv.label_vi for lv in office.survey.scale.levels]
    return {
        "kiosk": kiosk,
        # A word too long for a narrow card ("Dissatisfied"): on a phone, the levels are listed
        # one under another rather than side by side, so none is cut off.
        "long_labels": any(len(word) > LONG_WORD for label in labels for word in label.split()),
        # A long survey says where the citizen is in it ("Câu 7/22"), question by question.
        "long_form": len(office.survey.questions) > SHORT_FORM,
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
    kiosk: Kiosk | None = None,
) -> Response:
    """Validate and store a ballot sent by a form; the form again with the problems beside
    each question, or the receipt. On a ``kiosk`` the receipt is shown in place (never put in
    the address bar or the history) and resets to a fresh form by itself."""
    lang = "en" if form.get("lang") == "en" else "vi"
    idem = str(form.get("idem") or "")[: service.IDEMPOTENCY_KEY_MAX] or uuid.uuid4().hex

    def again(errors: dict[str, str], note: str, status: int, headers: dict[str, str]) -> Response:
        """The form as it was sent, every answer kept."""
        context = form_context(
            office,
            lang=lang,
            counter=as_int(submission.counter),
            idem=idem,
            values={k: str(v) for k, v in submission.answers.items()},
            comment=submission.comment or "",
            errors=errors,
            action=action,
            notice=note,
            stamp=str(form.get("stamp") or "")[:80],
            kiosk=kiosk,
        )
        return render(
            request, "citizen/form.html", context, block="survey", status_code=status,
            headers=headers,
        )  # fmt: skip

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
        return again({loc[-1]: (vi, en)[field] for loc, vi, en in exc.errors}, notice, 422, {})
    outcome = await intake.store(prepared)
    if isinstance(outcome, DatabaseUnavailable):
        # Nothing was stored: the same form again, answers kept, sent again with one press
        # (the same key: a ballot that did get in meanwhile gives back its receipt).
        message = outcome.message if lang == "en" else outcome.message_vi
        return again({}, message, 503, outcome.headers or {})
    if isinstance(outcome, DomainError):
        raise outcome
    ballot = outcome.ballot
    query = "&".join(
        q for q, wanted in (("lang=en", lang == "en"), ("again=1", outcome.replayed)) if wanted
    )
    receipt_url = f"/s/{quote(office.code, safe='')}/r/{ballot.receipt}" + (
        f"?{query}" if query else ""
    )
    if not kiosk and not is_htmx(request):  # a browser's form: on to the receipt's page
        response: Response = RedirectResponse(receipt_url, status_code=303)
    else:  # the receipt in place of the form
        context = {
            **thanks_context(office, ballot, lang, provenance.source, log=keeps_log(request)),
            "replayed": outcome.replayed,
        }
        if prepared.opens_case and not outcome.replayed:
            context["case_due"] = due_after(ballot.submitted_at, office.case_days)
        headers = DEVICE_PAGE if kiosk else {"HX-Push-Url": receipt_url}
        if kiosk:
            context |= {"next_url": action, "reset_after": KIOSK_RESET_SECONDS}
        block = "survey" if is_htmx(request) else None
        response = render(request, "citizen/thanks.html", context, block=block, headers=headers)
    gate.ensure_device(request, response)
    return response


def thanks_context(
    office: OfficeInfo | Office, ballot: BallotPublic, lang: str, source: str, *, log: bool
) -> dict[str, object]:
    """What the thank-you (receipt) page shows; ``log``: the deployment keeps a signed log, so
    the receipt's proof can be downloaded."""
    proof = f"/s/{quote(office.code, safe='')}/r/{quote(ballot.receipt, safe='')}/proof"
    return {
        "next_url": _next_form(office.code, ballot, lang) if source == "open" else None,
        "reset_after": None,
        "replayed": False,
        "rated_before": False,
        "office": office,
        "ballot": ballot,
        "lang": lang,
        "t": texts(lang),
        "format_receipt": format_receipt,
        # The receipt's cases (``citizen/_cases.html``), filled where they are read.
        "cases": [],
        "case_due": None,
        "feedback_due": None,
        "handling_thanks": False,
        "feedback_error": "",
        "feedback_text": "",
        "feedback_contact": "",
        "proof_url": proof if log else None,
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


def submission_from_form(form: FormData) -> Submission:
    """Form fields ``q.<question>``, ``comment`` and ``counter``; a question sent twice is an
    error rather than a silent pick of one value."""
    answers: dict[str, object] = {}
    errors: list[Problem] = []
    for name, value in form.multi_items():
        if not name.startswith("q."):
            continue
        key = name[2:]
        if key in answers:
            errors.append((("answers", key), "Mỗi câu chỉ chọn một mức.", "answered twice"))
        answers[key] = value if isinstance(value, str) else None
    for name in SINGLE_FIELDS:
        if len(form.getlist(name)) > 1:
            errors.append(
                ((name,), "Phiếu gửi lên bị trùng trường, xin tải lại trang.", "sent twice")
            )

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


def keeps_log(request: Request) -> bool:
    return request.app.state.hailong.log_key is not None
