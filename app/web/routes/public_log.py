"""The public log's resources, as C2SP tlog-tiles names them under ``/log/`` (its verifier
key, its latest checkpoint, its tiles and entry bundles), and a receipt's inclusion proof."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from app.ballots import receipts
from app.core.errors import InvalidInput, NotFound
from app.transparency import published
from app.web.deps import SessionDep, StateDep
from app.web.rendering import render
from app.web.routing import TransactionRoute

router = APIRouter(route_class=TransactionRoute, tags=["log"])
IMMUTABLE = "public, max-age=31536000, immutable"
FRESH = "public, max-age=5"  # the latest checkpoint and partial tiles change as the log grows


def _not_yet(exc: Exception) -> NotFound:
    return NotFound(str(exc), message_vi="Sổ công khai chưa có mục này.")


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


@router.get("/log/checkpoint", response_class=PlainTextResponse)
def checkpoint(session: SessionDep) -> PlainTextResponse:
    """The latest checkpoint: a C2SP tlog-checkpoint signed note, with any cosignatures."""
    try:
        note = published.checkpoint(session.connection())
    except published.NotPublished as exc:
        raise _not_yet(exc) from exc
    return PlainTextResponse(note, headers={"Cache-Control": FRESH})


@router.get("/log/tile/{path:path}")
def tile(path: str, session: SessionDep) -> Response:
    """A tile (``/log/tile/<L>/<N>[.p/<W>]``) or entry bundle (``/log/tile/entries/…``)."""
    try:
        data, full = published.tile(session.connection(), f"tile/{path}")
    except published.TileError as exc:
        raise InvalidInput(str(exc), message_vi="Đường dẫn ô của sổ không hợp lệ.") from exc
    except published.NotPublished as exc:
        raise _not_yet(exc) from exc
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Cache-Control": IMMUTABLE if full else FRESH},
    )


@router.get("/s/{office_code}/r/{receipt}/proof")
def receipt_proof(office_code: str, receipt: str, session: SessionDep) -> Response:
    """The receipt's ``.tlog-proof``: its ballot's entry, index, inclusion hashes and the
    checkpoint they lead to; 404 until a checkpoint covers the ballot."""
    ballot = receipts.find_ballot(session, office_code, receipt)
    try:
        proof = published.ballot_proof(session.connection(), ballot.id or 0)
    except published.NotPublished as exc:
        raise NotFound(
            str(exc),
            message_vi="Phiếu chưa có trong sổ công khai. Xin thử lại sau hai phút.",
        ) from exc
    name = f"phieu-{ballot.receipt}.tlog-proof"
    return Response(
        proof.text(),
        media_type="text/plain; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/kiem-tra", response_class=HTMLResponse)
def verify_page(request: Request, state: StateDep) -> HTMLResponse:
    """ "Kiểm tra phiếu của tôi": checks a receipt's proof in the browser, with the log's key
    (this server's, or one the citizen got elsewhere)."""
    return render(request, "public/verify.html", {"log_key": state.log_key})
