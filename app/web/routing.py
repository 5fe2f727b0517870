"""The route class every router uses: a sync handler's transaction ends in its own thread job.

FastAPI runs a sync handler in one thread job and, for a handler that returns data rather than
a Response, serializes the result in another, before the session dependency's exit commits. A
request would hold its pooled connection (on SQLite: the write lock) while it waits for that
second thread; with every thread busy waiting for a connection or the lock, nothing moves. So
the transaction is committed (or, on an error, rolled back by the dependency's exit) as soon
as the handler returns, in the handler's own job.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from sqlmodel import Session

from app.core.db import finish


class TransactionRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _finishing(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _finishing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    def handler(*args: Any, **kwargs: Any) -> Any:
        result = endpoint(*args, **kwargs)
        for value in kwargs.values():
            if isinstance(value, Session):
                finish(value)
        return result

    return handler
