"""The door of the citizen channels: count the sender against the limits, and note what the
request shows (address, device cookie, the form's signed time) for ``app/signals/record.py``."""

from __future__ import annotations

from datetime import datetime

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from app.models.types import utcnow
from app.signals.keys import form_stamp, read_stamp
from app.signals.limiter import Client
from app.signals.record import Observed
from app.web.identity import client_address, device_of, keep_device, new_device
from app.web.state import state


def _secret(request: Request) -> str:
    return str(state(request).settings.secret_key.get_secret_value())


def client_of(request: Request) -> Client:
    return Client(address=client_address(request), device=device_of(request))


async def admit(
    request: Request, office_id: int, form: FormData | None = None, *, limited: bool = True
) -> Observed:
    """Count the rating against its sender's limits (``TooManyRatings`` beyond them) and note
    what is known of the sender. ``form``: the web form's fields, which carry its signed time."""
    client = client_of(request)
    if limited:
        await state(request).rating_limits.check(office_id, client)
    if form is None:
        return Observed(client=client)
    stamp = read_stamp(_secret(request), office_id, str(form.get("stamp") or ""))
    return Observed(client=client, stamp=stamp, form=True)


def served_at(request: Request, office_id: int, form: FormData) -> float | None:
    """When the form was served (its signed time, as Unix seconds), if it carries one."""
    stamp = read_stamp(_secret(request), office_id, str(form.get("stamp") or ""))
    return stamp.served_at.timestamp() if stamp is not None else None


def stamp_for(request: Request, office_id: int, now: datetime | None = None) -> str:
    return form_stamp(_secret(request), office_id, now or utcnow())


def ensure_device(request: Request, response: Response) -> None:
    """Give a browser its device cookie when it has none."""
    if device_of(request) is None:
        keep_device(request, response, new_device())
