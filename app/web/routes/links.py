"""The citizen's side of rating links: a dossier's link or a counter screen's QR opens the unit's
form, bound to that transaction; and the QR image of a link, for the receipt slip."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.ballots.office_info import OfficeInfo, Provenance, load_office_info
from app.offices.qr import MEDIA_TYPES, qr_image
from app.sources import dossiers, links, service
from app.sources.links import Keys, Verified
from app.web import gate
from app.web.ballot_form import (
    form_context,
    keeps_log,
    posted,
    submission_from_form,
    take_ballot,
    thanks_context,
)
from app.web.deps import CatalogDep, KeysDep, PublicUrl, SessionDep
from app.web.rendering import render
from app.web.routing import TransactionRoute
from app.web.state import state
from app.web.texts import texts

router = APIRouter(route_class=TransactionRoute, tags=["citizen"], include_in_schema=False)

Lang = Annotated[Literal["vi", "en"], Query()]


def _notice(verified: Verified, lang: str) -> str:
    return texts(lang)["dossier_notice" if verified.source == "dossier" else "counter_notice"]


@router.get("/r/{token}", response_class=HTMLResponse)
def link_form(
    request: Request,
    token: str,
    session: SessionDep,
    catalog: CatalogDep,
    keys: KeysDep,
    lang: Lang = "vi",
) -> HTMLResponse:
    verified = _verified(session, keys, token)
    office = load_office_info(session, catalog, verified.office_code)
    links.in_scope(verified, office.path)
    counter = links.counter_of(verified, office.code, office.counters)
    headers = {"Cache-Control": "no-store"}
    if verified.dossier is not None:
        earlier = dossiers.rating_of(session, office.id, _dossier_hash(keys, office, verified))
        if earlier is not None:
            context = {
                **thanks_context(office, earlier, lang, "dossier", log=keeps_log(request)),
                "rated_before": True,
            }
            return render(request, "citizen/thanks.html", context, headers=headers)
    context = form_context(
        office,
        lang=lang,
        counter=counter,
        idem=uuid.uuid4().hex,
        action=f"/r/{quote(token, safe='')}",
        notice=_notice(verified, lang),
        stamp=gate.stamp_for(request, office.id),
    )
    response = render(request, "citizen/form.html", context, headers=headers)
    gate.ensure_device(request, response)
    return response


def _dossier_hash(keys: Keys, office: OfficeInfo, verified: Verified) -> str:
    return keys.dossier_hash(office.id, verified.dossier or "")


async def link_submit(request: Request) -> Response:
    token = request.path_params["token"]
    # Async on purpose, as the open form: the request waits for the writer, not for a thread.
    intake, form = await posted(request)
    keys = state(request).keys
    found = links.read(token)
    issuer_id, screen_id = links.issuer_of(found), links.screen_of(found)
    issuer = await intake.integration(issuer_id) if issuer_id else None
    screen = await intake.screen(screen_id) if screen_id else None
    # The office is looked up before the token is verified (a forged one stores nothing):
    # its form's signed time says when the citizen scanned the code.
    office = await intake.office(found.claims.office)
    served = gate.served_at(request, office.id, form)
    verified = links.verify(found, keys, lambda _: issuer, screen=screen, served_at=served)
    links.in_scope(verified, office.path)
    counter = links.counter_of(verified, office.code, office.counters)
    # A dossier's link rates once whatever is sent; a counter's QR can be photographed and
    # passed round, so its ratings are counted against the sender's limits like the open QR's.
    observed = await gate.admit(request, office.id, form, limited=verified.dossier is None)
    provenance = Provenance(source="counter", device_id=verified.device)
    if verified.dossier is not None:
        provenance = Provenance(
            source="dossier",
            integration_id=issuer.id if issuer is not None else None,
            officer_code=verified.officer_code,
            dossier_hash=_dossier_hash(keys, office, verified),
        )
    elif counter is not None:
        serving = await intake.serving(office.id, counter)
        if serving is not None:  # the counter announced the dossier it is serving
            provenance = Provenance(
                source="dossier",
                device_id=verified.device,
                integration_id=serving.integration_id,
                officer_code=serving.officer_code,
                dossier_hash=serving.code_hash,
            )
    # The counter is the token's, whatever the form says.
    submission = replace(submission_from_form(form), counter=counter)
    lang = "en" if form.get("lang") == "en" else "vi"
    return await take_ballot(
        request,
        intake,
        office,
        form,
        submission,
        observed=observed,
        provenance=provenance,
        action=f"/r/{quote(token, safe='')}",
        notice=_notice(verified, lang),
    )


# A plain Starlette route, as the open form's (``citizen.py`` says why).
router.add_route("/r/{token}", link_submit, methods=["POST"], include_in_schema=False)


@router.get("/r/{token}/qr.{fmt}")
def link_qr(
    token: str,
    fmt: Literal["png", "svg"],
    session: SessionDep,
    keys: KeysDep,
    public_url: PublicUrl,
) -> Response:
    """The link as a QR image, for the one-stop software to print on the receipt slip."""
    _verified(session, keys, token)
    image = qr_image(links.rating_url(public_url, token), fmt)
    return Response(
        image, media_type=MEDIA_TYPES[fmt], headers={"Cache-Control": "public, max-age=86400"}
    )


def _verified(session: Session, keys: Keys, token: str) -> Verified:
    found = links.read(token)
    screen_id = links.screen_of(found)
    screen = service.screen_clock(session, screen_id) if screen_id else None
    return links.verify(found, keys, lambda i: service.integration_by_id(session, i), screen=screen)
