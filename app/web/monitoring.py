"""Who may read ``/metrics``, and its text (requests are timed by ``app/web/logs.py``).

The values come from ``app/core/metrics.py``; the outbox's depth is read from the database at
each scrape, as it is the same for every worker."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Gauge,
    generate_latest,
)
from sqlmodel import Session

from app.auth import service as auth
from app.core import metrics
from app.core.errors import DomainError
from app.core.networks import in_networks, parse_networks
from app.models.types import utcnow
from app.outbox import admin as outbox
from app.web.identity import bearer_token, client_address
from app.web.state import state

__all__ = ["CONTENT_TYPE_LATEST", "MetricsRefused", "allowed", "scrape"]


class MetricsRefused(DomainError):
    """/metrics is read from the monitoring networks (HAILONG_METRICS_NETWORKS) or with an
    admin's API token."""

    status_code = 403
    code = "metrics_refused"
    message_vi = "Chỉ hệ thống giám sát được đọc số liệu vận hành."


def allowed(request: Request, session: Session) -> None:
    """From a monitoring network (the client's address as resolved behind trusted proxies), or
    with an admin's API token; ``MetricsRefused`` otherwise."""
    networks = parse_networks(state(request).settings.metrics_networks)
    if in_networks(client_address(request), networks):
        return
    token = bearer_token(request.headers.get("Authorization"))
    user = auth.token_user(session, token) if token else None
    if user is None or user.role != "admin":
        raise MetricsRefused()


def scrape(session: Session) -> bytes:
    """The Prometheus text: every worker's values (multiprocess mode) or this process's, then
    the outbox as the database has it."""
    if metrics.MULTIPROCESS:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    return text + generate_latest(_outbox(session))


def _outbox(session: Session) -> CollectorRegistry:
    registry = CollectorRegistry()
    depth, oldest = outbox.waiting(session)
    Gauge(
        "hailong_outbox_waiting", "Mails and webhook calls waiting to be delivered.",
        registry=registry,
    ).set(depth)  # fmt: skip
    age = Gauge(
        "hailong_outbox_oldest_seconds",
        "Age of the oldest mail or webhook call still waiting (0 when none waits).",
        registry=registry,
    )
    age.set(_age(oldest))
    return registry


def _age(oldest: datetime | None) -> float:
    if oldest is None:
        return 0.0
    return max(0.0, (utcnow() - oldest).total_seconds())
