"""Figures changed by a decision rather than by a ballot (an exclusion, a reinstatement, a
cluster excluded): the code that decides calls ``changed`` in its transaction, and every
subscriber (each running app's figures cache and live screens) hears which offices, at once and
again once the transaction commits, so that figures computed in between are not kept either.
(Ballots reach the same caches through the ballot watcher, which sees every worker's ballots.)
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

Listener = Callable[[frozenset[int]], None]
_listeners: list[weakref.WeakMethod[Listener]] = []


def subscribe(listener: Listener) -> None:
    """``listener``, a bound method, hears every change while its object lives."""
    _listeners.append(weakref.WeakMethod(listener))


def changed(session: Session, offices: Iterable[int]) -> None:
    ids = frozenset(offices)

    def tell(_: Any = None) -> None:
        for ref in list(_listeners):
            listener = ref()
            if listener is None:
                _listeners.remove(ref)
            else:
                listener(ids)

    tell()
    event.listen(session, "after_commit", tell, once=True)
