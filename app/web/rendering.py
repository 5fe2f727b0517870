"""Jinja2 templates, under ``app/web/templates``: one folder per route module (``base/`` for the
shared layout), a template named ``<folder>/<file>``. ``render`` returns the full page, or for
an htmx request only the named block, from the same template.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.core.locale import format_change, format_local, format_number, format_percent, to_local
from app.core.workdays import last_day
from app.models.sources import SOURCES

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


@lru_cache
def static_url(path: str) -> str:
    """A cache-busting URL: the file's content hash rides along, so it can be cached forever."""
    digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]
    return f"/static/{path}?v={digest}"


@lru_cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static_url"] = static_url
    env.globals["signed_in"] = signed_in
    env.globals["SOURCES"] = SOURCES  # how a ballot came, in words
    env.filters["local_time"] = format_local
    env.filters["pct"] = format_percent
    env.filters["num"] = format_number
    env.filters["change"] = format_change
    env.filters["vn_day"] = lambda moment: to_local(moment).strftime("%d/%m/%Y")
    env.filters["due_day"] = lambda due: last_day(due).strftime("%d/%m/%Y")
    # The shared components, for every template and every block rendered on its own (a block
    # does not see its template's top-level imports).
    env.globals["ui"] = env.get_template("base/_ui.html").module
    return env


@dataclass(frozen=True)
class SignedIn:
    username: str = ""
    csrf: str = ""
    inspects: bool = False
    administers: bool = False
    # For inspectors and admins: the office whose flags page the header links, and how many
    # ratings await review there.
    awaiting: tuple[str, int] | None = None


def signed_in(request: Request | None) -> SignedIn:
    """Who is signed in, for the staff pages' header (set on the request by the auth check)."""
    state = getattr(request, "state", None)
    user, login = getattr(state, "user", None), getattr(state, "login", None)
    if user is None:
        return SignedIn()
    return SignedIn(
        username=user.username,
        csrf=getattr(login, "csrf_token", ""),
        inspects=user.role in ("inspector", "admin"),
        administers=user.role == "admin",
        awaiting=getattr(state, "awaiting", None),
    )


def render_string(name: str, context: dict[str, Any], block: str | None = None) -> str:
    template = environment().get_template(name)
    if block is None:
        return template.render(context)
    return "".join(template.blocks[block](template.new_context(context)))


def is_htmx(request: Request) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    context = {"request": request, "lang": "vi", **context}
    html = render_string(name, context, block if block and is_htmx(request) else None)
    return HTMLResponse(html, status_code=status_code, headers=headers)


class JSONBody(JSONResponse):
    """A JSON answer a handler builds itself, written by orjson: a province's ranking (0.7 MB)
    in 0.9-1.2 ms, against 2.9-4.6 ms with pydantic-core's serializer, which FastAPI's own
    fast path uses (``bench/national.py``). Data a sync handler returns is first validated
    against its annotation in a thread job of its own: for a figures answer that hop cost more
    than the writing."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
