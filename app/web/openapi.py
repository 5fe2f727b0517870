"""What the API declares beyond its routes' own models: the body of every error answer, and the
answer of a file download (``/docs`` shows both)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from app.exports.formats import MEDIA


class Problem(BaseModel):
    """One field's problem: where (``loc``), what (``msg``, and ``msg_vi`` for a ballot)."""

    loc: list[str | int]
    msg: str
    type: str
    msg_vi: str | None = None


class ErrorBody(BaseModel):
    """Every API error: a sentence, or for a 422 the list of problems; and a stable code."""

    detail: str | list[Problem] = Field(description="What went wrong")
    code: str = Field(description="Stable machine-readable code, e.g. office_not_found")
    detail_vi: str | None = Field(
        default=None, description="The same in Vietnamese, for a person to read (a kiosk's staff)"
    )


_DESCRIPTIONS = {
    400: "Bytes that are not text (a NUL, or not UTF-8)",
    401: "No valid session or bearer token",
    403: "This account may not do this",
    404: "Not found, or outside this account's offices (answered alike)",
    409: "Conflicts with what is stored",
    413: "Body too large",
    422: "Invalid parameters or body; each problem listed with its location",
    429: "Too many attempts; wait for Retry-After seconds",
    431: "Request headers too large",
}


def api_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers an API route declares, with their real body shape."""
    return {s: {"model": ErrorBody, "description": _DESCRIPTIONS[s]} for s in statuses}


def file_responses(*formats: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI answer of a download: one media type per format."""
    content = {
        MEDIA[f].split(";")[0]: {"schema": {"type": "string", "format": "binary"}} for f in formats
    }
    return {200: {"description": "The file, streamed", "content": content}}
