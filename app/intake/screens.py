"""Device pages: the counter screen's rotating QR, redrawn each window, and "thank you" when a
ballot comes through it. Opened with the device's own token (its URL), never a staff login, so
it keeps working for months and never shows a sign-in form."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from markupsafe import Markup
from sqlmodel import Session

from app.core.db import ShortSessionsDep
from app.core.deps import SessionDep
from app.core.errors import NotFound
from app.core.routing import TransactionRoute
from app.core.templates import render
from app.dashboards.live import BallotWatch
from app.intake import links, service
from app.intake.deps import KeysDep, PublicUrl
from app.intake.links import Keys
from app.models import Office
from app.offices.qr import qr_svg_inline, survey_url
from app.responses.texts import texts

router = APIRouter(route_class=TransactionRoute, tags=["devices"], include_in_schema=False)
KEEPALIVE_SECONDS = 20.0


class DeviceNotFound(NotFound):
    code = "device_not_found"
    message_vi = (
        "Không tìm thấy thiết bị này, hoặc thiết bị đã bị thu hồi. Xin liên hệ bộ phận quản trị "
        "để được cấp lại đường dẫn."
    )


def _device(session: Session, token: str) -> service.Credential:
    found = service.credential(session, token)
    if found is None or found.kind == "integration":
        raise DeviceNotFound("No such device, or it was revoked")
    return found


def _panel(
    session: Session, keys: Keys, public_url: str, device: service.Credential
) -> dict[str, Any]:
    office = session.get(Office, device.office_id)
    if office is None:
        raise DeviceNotFound("The device's office is gone")
    now = time.time()
    if device.kind == "counter-screen" and device.counter is not None:
        window = links.counter_window(keys, now)
        token = links.mint_counter(keys, office.code, device.counter, device.id, window)
        url = links.rating_url(public_url, token)
        officer = service.officer_on_duty(session, office.id or 0, device.counter)
        next_in = ((window + 1) * keys.counter_seconds - now) * 1000
    else:  # a display or kiosk page: the office's own QR, which does not change
        window, url, officer, next_in = 0, survey_url(public_url, office.code), None, 300_000
    return {
        "office_name": office.name,
        "counter": device.counter,
        "qr_svg": Markup(qr_svg_inline(url)),  # noqa: S704 - drawn here, no user text in it
        "officer": officer,
        "window": window,
        "seconds": keys.counter_seconds,
        "next_in_ms": int(next_in),
        "t": texts("vi"),
        "lang": "vi",
    }


@router.get("/device/{token}", response_class=HTMLResponse)
def device_page(
    request: Request,
    token: str,
    session: SessionDep,
    keys: KeysDep,
    public_url: PublicUrl,
    block: Annotated[Literal["panel"] | None, Query()] = None,
) -> HTMLResponse:
    """The device's page; ``block=panel`` is the part redrawn each window."""
    device = _device(session, token)
    context = _panel(session, keys, public_url, device)
    base = f"/device/{quote(token, safe='')}"
    context |= {"panel_url": f"{base}?block=panel", "events_url": f"{base}/events"}
    headers = {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",  # the URL is the device's credential
        "X-Next-In": str(context["next_in_ms"]),
    }
    return render(request, "intake/screen.html", context, block=block, headers=headers)


def watched_device(token: str, sessions: ShortSessionsDep) -> int:
    """Checked before the stream starts, in a short session of its own."""
    with sessions() as session:
        return _device(session, token).id


@router.get("/device/{token}/events")
async def device_events(
    request: Request, device_id: Annotated[int, Depends(watched_device)]
) -> StreamingResponse:
    """Server-sent events: ``ballot`` when a ballot comes through this screen's QR. Holds no
    database connection or thread while idle; the stream is renewed now and then."""
    watch: BallotWatch = request.app.state.ballot_watch
    seconds: float = request.app.state.live_stream_seconds
    watch.admit()

    async def stream() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        async with watch.subscribe() as queue:
            yield "retry: 3000\n\n"
            while (left := deadline - loop.time()) > 0:
                try:
                    found = await asyncio.wait_for(queue.get(), min(left, KEEPALIVE_SECONDS))
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if device_id in found.devices:
                    yield "event: ballot\ndata: {}\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
