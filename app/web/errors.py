"""The one place that turns errors into pages (Vietnamese first) or JSON."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core import metrics
from app.core.errors import DatabaseUnavailable, DomainError, OfficeNotFound, OutOfScope
from app.stats.periods import DAYS_VI
from app.web.params import LABELS_VI
from app.web.rendering import render
from app.web.state import state

log = logging.getLogger("hailong")


def wants_json(request: Request) -> bool:
    path = request.url.path
    # The log's resources are read by programs (monitors, witnesses, verifiers), not people.
    return path.startswith(("/api/", "/log/")) or path in ("/healthz", "/readyz", "/metrics")


# A staff page about an office the account may not see, or that does not exist: one answer
# for both, so that nobody learns which offices exist outside their scope.
UNSEEN_VI = "Tài khoản của Ông/Bà không xem được đơn vị này"
UNSEEN_HINT_VI = (
    "Đơn vị này nằm ngoài phạm vi được giao cho tài khoản, hoặc không có đơn vị nào mang mã "
    "này. Nếu cần xem, xin liên hệ quản trị hệ thống."
)


def _page(
    request: Request,
    status: int,
    message_vi: str,
    headers: dict[str, str] | None = None,
    hint_vi: str = "",
) -> Response:
    if status == 429 and request.headers.get("HX-Request") == "true":
        # htmx swaps a 429 (``htmx-config``): the page explaining it replaces the whole page,
        # not the form that was sent.
        headers = {**(headers or {}), "HX-Retarget": "body", "HX-Reswap": "innerHTML"}
    # A page that could not be read for now comes back by itself when the server says to.
    retry = (headers or {}).get("Retry-After", "")
    refresh = int(retry) if status == 503 and request.method == "GET" and retry.isdigit() else 0
    return render(
        request,
        "base/error.html",
        {
            "status": status,
            "message_vi": message_vi,
            "hint_vi": hint_vi,
            "refresh": refresh,
            "staff": request.url.path.startswith("/staff"),
        },
        status_code=status,
        headers=headers,
    )


def _invalid_params_vi(exc: RequestValidationError) -> str:
    """Which of the page's parameters were wrong, in the words on the page."""
    names = []
    for error in exc.errors():
        loc = error.get("loc", ())
        name = str(loc[-1]) if loc else ""
        label = LABELS_VI.get(name, name)
        if label and label not in names:
            names.append(label)
    message = "Giá trị không hợp lệ" + (f": {', '.join(names)}." if names else ".")
    if any(n in ("Từ ngày", "Đến ngày") for n in names):
        message += f" Xin ghi ngày theo ngày/tháng/năm, ví dụ 01/12/2026. {DAYS_VI}"
    return message


def _logged(request: Request) -> str:
    return state(request).redactor.path(request.url.path)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if exc.status_code < 500:
            metrics.refusals.labels(reason=exc.code).inc()
        if wants_json(request):
            headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else exc.headers
            return JSONResponse(exc.body(), status_code=exc.status_code, headers=headers)
        if exc.status_code == 401:  # a page: send the browser to sign in, and back afterwards
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            login = f"/login?next={quote(target, safe='')}"
            if request.headers.get("HX-Request") == "true":
                return Response(status_code=204, headers={"HX-Redirect": login})
            return RedirectResponse(login, status_code=303)
        if request.url.path.startswith("/staff/") and isinstance(exc, OutOfScope | OfficeNotFound):
            return _page(request, 403, UNSEEN_VI, hint_vi=UNSEEN_HINT_VI)
        return _page(request, exc.status_code, exc.message_vi, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        metrics.refusals.labels(reason="validation").inc()
        if wants_json(request):
            errors = [
                {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()
            ]
            return JSONResponse({"detail": errors, "code": "invalid_request"}, status_code=422)
        return _page(request, 400, _invalid_params_vi(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code < 500:
            metrics.refusals.labels(reason=f"http_{exc.status_code}").inc()
        if wants_json(request):
            return JSONResponse(
                {"detail": exc.detail, "code": f"http_{exc.status_code}"},
                status_code=exc.status_code,
                headers=getattr(exc, "headers", None),
            )
        messages = {
            404: "Không tìm thấy trang này.",
            405: "Phương thức không được hỗ trợ.",
        }
        vi = messages.get(exc.status_code, "Yêu cầu không hợp lệ.")
        headers = getattr(exc, "headers", None)
        return _page(request, exc.status_code, vi, headers)

    async def _unreachable(request: Request, exc: Exception) -> Response:
        # The database refused or dropped the connection (a restart, a failover): nothing of
        # the request was committed; say when to come back instead of a 500.
        log.warning(
            "database unreachable on %s %s: %s",
            request.method,
            _logged(request),
            str(exc).splitlines()[0],
        )
        return await _domain(request, DatabaseUnavailable())

    for unreachable in (OperationalError, InterfaceError, DisconnectionError):
        app.add_exception_handler(unreachable, _unreachable)

    @app.exception_handler(PoolTimeout)
    async def _busy(request: Request, exc: PoolTimeout) -> Response:
        # Every pooled connection stayed busy for the pool's whole timeout: an overload, not a
        # fault. Say when to come back; live pages and API clients retry by themselves.
        log.warning("no database connection free on %s %s", request.method, _logged(request))
        headers = {"Retry-After": "2"}
        if wants_json(request):
            body = {"detail": "The server is busy; retry shortly", "code": "busy"}
            return JSONResponse(body, status_code=503, headers=headers)
        return _page(request, 503, "Hệ thống đang bận, xin thử lại sau giây lát.", headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, _logged(request))
        if wants_json(request):
            return JSONResponse({"detail": "Internal error", "code": "internal"}, status_code=500)
        return _page(request, 500, "Hệ thống đang gặp sự cố, xin Ông/Bà thử lại sau.")
