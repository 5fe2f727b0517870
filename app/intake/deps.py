"""Who is asking on the integration routes, and the keys that sign rating links."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.auth.deps import NotAuthenticated, bearer_token
from app.core.config import Settings
from app.core.db import ShortSessionsDep
from app.core.errors import Forbidden
from app.intake import service
from app.intake.links import Keys


async def get_keys(request: Request) -> Keys:
    keys: Keys | None = getattr(request.app.state, "keys", None)
    if keys is None:
        settings: Settings = request.app.state.settings
        keys = Keys.from_secret(settings.secret_key, settings.counter_qr_seconds)
        request.app.state.keys = keys
    return keys


async def get_public_url(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return settings.public_url


def current_integration(request: Request, sessions: ShortSessionsDep) -> service.Credential:
    """The integration a bearer token belongs to. Staff and device tokens are refused: only the
    one-stop software registers dossiers and announces counters."""
    token = bearer_token(request.headers.get("Authorization"))
    if token is None:
        raise NotAuthenticated("An integration's bearer token is required")
    with sessions() as session:
        found = service.credential(session, token)
    if found is not None and found.kind == "integration":
        return found
    if found is not None or not token.startswith(service.INTEGRATION_PREFIX):
        raise Forbidden(
            "Only an integration (one-stop software) may do this",
            message_vi="Chỉ phần mềm một cửa được cấp quyền mới làm được việc này.",
        )
    raise NotAuthenticated("Invalid or revoked integration token")


KeysDep = Annotated[Keys, Depends(get_keys)]
PublicUrl = Annotated[str, Depends(get_public_url)]
CurrentIntegration = Annotated[service.Credential, Depends(current_integration)]
