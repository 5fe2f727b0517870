"""The public log's resources (C2SP tlog-tiles names them under ``/log/``): for now its
verifier key, which anyone checking a receipt's proof needs."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from app.core.errors import NotFound
from app.web.deps import StateDep
from app.web.routing import TransactionRoute

router = APIRouter(route_class=TransactionRoute, tags=["log"])


@router.get("/log/key", response_class=PlainTextResponse)
def log_key(state: StateDep) -> PlainTextResponse:
    """The log's verifier key in signed-note form (``name+hash+key``), as
    ``hailong log keygen`` printed it; 404 while the deployment keeps no log."""
    if state.log_key is None:
        raise NotFound(
            "this deployment keeps no public log yet",
            message_vi="Hệ thống chưa có sổ công khai.",
        )
    return PlainTextResponse(
        state.log_key + "\n", headers={"Cache-Control": "public, max-age=3600"}
    )
