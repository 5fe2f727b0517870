"""Device pages, each opened with the device's own token (its URL), never a staff login, so it
keeps working for months and never shows a sign-in form: the counter screen's rotating QR,
redrawn each window, and "thank you" when a ballot comes through it; the lobby display's
figures; the kiosk, a tablet by the counter showing the unit's form full screen, whose ballots
say they came from it, and which opens a fresh form by itself after the thank-you, so nothing
of one person's rating stays for the next."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from markupsafe import Markup
from sqlmodel import Session

from app.ballots.office_info import Provenance, load_office_info
from app.dashboards import push
from app.dashboards.ballot_watch import Arrivals
from app.dashboards.push import Watched
from app.dashboards.views import lobby_page
from app.models import Office
from app.offices.qr import qr_svg_inline, survey_url
from app.offices.tree import load_tree
from app.sources import links, service
from app.sources.links import Keys
from app.surveys.catalog import SurveyCatalog
from app.web import gate
from app.web.ballot_form import (
    DEVICE_PAGE,
    Kiosk,
    form_context,
    posted,
    submission_from_form,
    take_ballot,
)
from app.web.deps import (
    CatalogDep,
    KeysDep,
    PublicUrl,
    SessionDep,
    SettingsDep,
    ShortSessionsDep,
)
from app.web.live import lobby_watched
from app.web.rendering import STATIC_DIR, is_htmx, render
from app.web.routing import TransactionRoute
from app.web.state import state
from app.web.texts import texts

router = APIRouter(route_class=TransactionRoute, tags=["devices"], include_in_schema=False)
KEEPALIVE_SECONDS = 20.0


def _device(session: Session, token: str) -> service.Credential:
    found = service.credential(session, token)
    if found is None or found.kind == "integration":
        raise service.DeviceNotFound("No such device, or it was revoked")
    return found


def _panel(
    session: Session, keys: Keys, public_url: str, device: service.Credential
) -> dict[str, Any]:
    office = session.get(Office, device.office_id)
    if office is None:
        raise service.DeviceNotFound("The device's office is gone")
    now = time.time()
    # Drawn here, the QR is the server's code, even for a screen that draws its own (its script
    # replaces it, and asks for none after that): no lookup of the screen's clock per drawing.
    if device.counter is not None:  # a counter screen, or a lobby display with a counter
        window = links.counter_window(keys, now)
        token = links.mint_counter(keys, office.code, device.counter, device.id, window)
        url = links.rating_url(public_url, token)
        officer = service.officer_on_duty(session, office.id or 0, device.counter)
        next_in = ((window + 1) * keys.counter_seconds - now) * 1000
    else:  # a display of the whole office: the office's own QR, which does not change
        window, url, officer, next_in = 0, survey_url(public_url, office.code), None, 300_000
    return {
        "office_name": office.name,
        "office_code": office.code,
        "device_id": device.id,
        "public_url": public_url,
        "keyed": device.kind == "counter-screen" and device.salt is not None,
        "counter": device.counter,
        "qr_svg": Markup(qr_svg_inline(url)),  # noqa: S704 - drawn here, no user text in it
        "officer": officer,
        "window": window,
        "seconds": keys.counter_seconds,
        "next_in_ms": int(next_in),
        "t": texts("vi"),
        "lang": "vi",
    }


@router.get("/device/sw.js")
def kiosk_service_worker() -> FileResponse:
    """The kiosk's service worker, served from /device/ so that its scope covers the kiosks'
    pages (``static/js/kiosk-sw.js`` says what it keeps)."""
    return FileResponse(
        STATIC_DIR / "js" / "kiosk-sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/device/{token}/manifest.webmanifest")
def kiosk_manifest(token: str, session: SessionDep) -> JSONResponse:
    """What makes the kiosk's page an installable app: it opens full screen on its own form."""
    device = _device(session, token)
    if device.kind != "kiosk":
        raise service.DeviceNotFound("Only a kiosk installs as an app")
    office = session.get(Office, device.office_id)
    address = _address(token)
    icons = [
        {"src": f"/static/icons/kiosk-{size}.png", "sizes": f"{size}x{size}", "type": "image/png"}
        for size in (192, 512)
    ]
    manifest = {
        "name": f"Đánh giá sự hài lòng – {office.name if office else device.name}",
        "short_name": "Đánh giá",
        "lang": "vi",
        "start_url": address,
        "scope": address,
        "display": "fullscreen",
        "background_color": "#ffffff",
        "theme_color": "#7a1f1f",
        "icons": icons,
    }
    return JSONResponse(manifest, media_type="application/manifest+json", headers=DEVICE_PAGE)


@router.get("/device/{token}", response_class=HTMLResponse)
def device_page(
    request: Request,
    token: str,
    session: SessionDep,
    keys: KeysDep,
    public_url: PublicUrl,
    catalog: CatalogDep,
    settings: SettingsDep,
    block: Annotated[Literal["panel", "figures"] | None, Query()] = None,
    lang: Annotated[Literal["vi", "en"], Query()] = "vi",
) -> HTMLResponse:
    """The device's page: a counter screen's QR (``block=panel`` is the part redrawn each
    window), a lobby display's figures (``block=figures``), or a kiosk's form."""
    device = _device(session, token)
    base = f"/device/{quote(token, safe='')}"
    if device.kind == "kiosk":
        return _kiosk_form(request, session, catalog, Kiosk.of(settings), device, token, lang)
    # Only the block a page has, and only for the page's own script (``render`` gives the
    # whole page to anyone else).
    panel = block == "panel" and is_htmx(request)
    if device.kind == "display" and not (panel and device.counter is not None):
        figures_only = block == "figures"
        return _lobby(request, session, catalog, keys, public_url, device, base, figures_only)
    context = _panel(session, keys, public_url, device)
    context |= {
        "panel_url": f"{base}?block=panel",
        "events_url": f"{base}/events",
        "clock_url": f"{base}/clock",
    }
    headers = {**DEVICE_PAGE, "X-Next-In": str(context["next_in_ms"])}
    if device.kind == "display":  # its rotating counter QR, redrawn each window
        return render(request, "dashboards/lobby.html", context, block="qr", headers=headers)
    return render(
        request, "devices/screen.html", context, block="panel" if panel else None, headers=headers
    )


def drawing_screen(token: str, session: SessionDep) -> service.Credential:
    """A live screen that draws its own QR; looked up before the request's fields are read,
    so that a wrong address is not found whatever it sends."""
    device = _device(session, token)
    if device.salt is None or device.counter is None:
        raise service.DeviceNotFound("This device draws no QR of its own")
    return device


@router.post("/device/{token}/clock", status_code=204)
def device_clock(
    session: SessionDep,
    device: Annotated[service.Credential, Depends(drawing_screen)],
    t: Annotated[int, Form(ge=0, le=2**53)],
) -> Response:
    """A screen says what its clock reads (Unix milliseconds): its offset from the server's is
    kept, so the codes it draws while offline are checked against its own clock."""
    offset = service.learn_clock(session, device.id, t)
    return Response(status_code=204, headers={"X-Clock-Offset": str(offset)})


def _lobby(
    request: Request,
    session: Session,
    catalog: SurveyCatalog,
    keys: Keys,
    public_url: str,
    device: service.Credential,
    base: str,
    figures_only: bool,
) -> HTMLResponse:
    """The lobby display; one set up for a counter shows that counter's rotating QR (its
    ratings then count as the counter's), redrawn each window as the counter screen's is."""
    cache = state(request).figures_cache
    rotating = device.counter is not None
    context = lobby_page(session, catalog, device.office_id, public_url, cache, qr=not rotating)
    context |= {"events_url": f"{base}/events", "refresh_url": f"{base}?block=figures"}
    if rotating:
        context |= _panel(session, keys, public_url, device) | {"panel_url": f"{base}?block=panel"}
    block = "figures" if figures_only else None
    return render(request, "dashboards/lobby.html", context, block=block, headers=DEVICE_PAGE)


def watched_device(
    token: str, sessions: ShortSessionsDep, catalog: CatalogDep, request: Request
) -> int | Watched:
    """Checked before the stream starts, in a short session of its own: a counter screen's id,
    or what a lobby display's stream pushes."""
    with sessions() as session:
        device = _device(session, token)
        if device.kind != "display":
            return device.id
        offices = frozenset(load_tree(session).subtree(device.office_id))
    cache = state(request).figures_cache
    return lobby_watched(device.office_id, offices, catalog, cache)


@router.get("/device/{token}/events")
async def device_events(
    request: Request, watching: Annotated[int | Watched, Depends(watched_device)]
) -> StreamingResponse:
    """Server-sent events: for a counter screen, ``ballot`` when a ballot comes through its QR;
    for a lobby display, ``figures`` (its new block) as the office's ballots arrive, at most
    once a second. Holds no database connection or thread while idle; the stream is renewed
    now and then."""
    app = state(request)
    watch, seconds = app.ballot_watch, app.live_stream_seconds
    watch.admit()
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    if isinstance(watching, Watched):
        fragments = app.fragments
        return StreamingResponse(
            push.stream(watch, fragments, watching, seconds),
            media_type="text/event-stream",
            headers=headers,
        )
    device_id = watching

    def wants(arrivals: Arrivals) -> bool:
        return device_id in arrivals.devices

    async def stream() -> AsyncIterator[str]:
        async with watch.listen(wants, seconds=seconds, quiet=KEEPALIVE_SECONDS) as listener:
            yield "retry: 3000\n\n"
            while (due := await listener.next()) != "end":
                # The keep-alive is an event the screen sees (a comment would not reach its
                # script): a connection the office's router dropped without a word is told
                # from a quiet one by its silence.
                yield (
                    "event: ballot\ndata: {}\n\n"
                    if due == "event"
                    else "event: alive\ndata: {}\n\n"
                )
            if watch.closing:
                yield watch.farewell()

    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


def _address(token: str) -> str:
    return f"/device/{quote(token, safe='')}"


def _kiosk_form(
    request: Request,
    session: Session,
    catalog: SurveyCatalog,
    kiosk: Kiosk,
    device: service.Credential,
    token: str,
    lang: str,
) -> HTMLResponse:
    office = load_office_info(session, catalog, device.office_code)
    context = form_context(
        office,
        lang=lang,
        counter=None,
        idem=uuid.uuid4().hex,
        action=_address(token),
        stamp=gate.stamp_for(request, office.id),
        kiosk=kiosk,
    )
    return render(request, "citizen/form.html", context, headers=DEVICE_PAGE)


async def kiosk_submit(request: Request) -> Response:
    token = request.path_params["token"]
    # Async on purpose, as the open form: the request waits for the writer, not for a thread.
    intake, form = await posted(request)
    settings = state(request).settings
    device = await intake.credential(token)
    if device is None or device.kind != "kiosk":
        raise service.DeviceNotFound("No such kiosk, or it was revoked")
    office = await intake.office(device.office_code)
    # One device rated on by many citizens: not limited per sender (as the kiosk API).
    observed = await gate.admit(request, office.id, form, limited=False)
    return await take_ballot(
        request,
        intake,
        office,
        form,
        submission_from_form(form),
        observed=observed,
        provenance=Provenance(source="kiosk", device_id=device.id),
        action=_address(token),
        kiosk=Kiosk.of(settings),
    )


# A plain Starlette route, as the open form's (``citizen.py`` says why).
router.add_route("/device/{token}", kiosk_submit, methods=["POST"], include_in_schema=False)
