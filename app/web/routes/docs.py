"""OpenAPI docs served from ``static/``: FastAPI's default page pulls Swagger UI from a CDN,
which an intranet-only office network cannot reach."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from app.web.rendering import static_url
from app.web.routing import TransactionRoute

SWAGGER = "vendor/swagger-ui-5.35.0"
router = APIRouter(route_class=TransactionRoute, include_in_schema=False)


@router.get("/docs")
def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="hailong API",
        swagger_js_url=static_url(f"{SWAGGER}/swagger-ui-bundle.js"),
        swagger_css_url=static_url(f"{SWAGGER}/swagger-ui.css"),
        swagger_favicon_url="data:,",
    )
