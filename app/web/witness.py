"""The witness's HTTP face (``hailong witness serve``): C2SP tlog-witness's ``add-checkpoint``,
and its verifier key at ``/key`` for whoever sets up a log to use it."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response

from app.transparency.witness import Witness

MAX_BODY = 64 * 1024  # a checkpoint, 63 proof lines and a few signatures fit many times over


def witness_app(witness: Witness) -> FastAPI:
    app = FastAPI(title="hailong witness", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return PlainTextResponse("the request is too large\n", status_code=413)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return PlainTextResponse("the request is not UTF-8\n", status_code=400)
        answer = witness.add_checkpoint(body)
        return Response(answer.body, status_code=answer.status, media_type=answer.content_type)

    @app.get("/key", response_class=PlainTextResponse)
    def key() -> str:
        return witness.verifier_key + "\n"

    return app
