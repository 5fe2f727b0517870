"""Who hears of a case, in the transaction that changes it: a new case mails the unit's heads
at once; an overdue one mails them and the parent unit's inspectors, once; webhooks on the
office or above it hear of cases opened, answered and overdue. Nothing here names the citizen:
no receipt, no contact."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import Connection

from app.core.config import get_settings
from app.core.locale import format_local
from app.core.workdays import last_day
from app.models import Case
from app.models.cases import ORIGINS
from app.models.types import utcnow
from app.offices.tree import Tree
from app.outbox.queue import (
    Event,
    Hook,
    Mail,
    ask_heads,
    ask_hooks,
    enqueue,
    heads_of,
    inspectors_of,
    messages,
    store,
)

CASE = Case.__table__  # type: ignore[attr-defined]
BRAND = "[Hài lòng]"


@dataclass(frozen=True)
class CaseNews:
    """What a notice says of a case."""

    id: int
    office_id: int
    office_code: str
    office_name: str
    path: tuple[int, ...]  # the office and its ancestors, nearest first
    origin: str
    text: str | None
    opened_at: datetime
    due_at: datetime
    answer: str | None = None
    answered_at: datetime | None = None

    def data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "office": self.office_code,
            "origin": self.origin,
            "text": self.text,
            "opened_at": self.opened_at,
            "due_at": self.due_at,
            "answered_at": self.answered_at,
            "answer": self.answer,
        }

    @property
    def link(self) -> str:
        base = get_settings().public_url
        return f"{base}/staff/offices/{quote(self.office_code, safe='')}/cases#case-{self.id}"


def mail(subject: str, paragraphs: list[str], link: str, action: str) -> Mail:
    """A notice as plain text and its HTML twin."""
    text = "\n\n".join([*paragraphs, f"{action}: {link}", "— hailong (Hài lòng)"])
    html = "".join(f"<p>{escape(p)}</p>" for p in paragraphs) + (
        f'<p><a href="{escape(link)}">{escape(action)}</a></p><p>— hailong (Hài lòng)</p>'
    )
    return Mail(subject=f"{BRAND} {subject}", text=text, html=html)


def _due(case: CaseNews) -> str:
    return last_day(case.due_at).strftime("%d/%m/%Y")


def _said(case: CaseNews) -> list[str]:
    return [f"Nội dung: “{case.text}”"] if case.text else ["(Người dân không ghi nội dung.)"]


Receivers = tuple[dict[int, list[str]], list[Hook]]


def receivers(
    conn: Connection, office_ids: Iterable[int], paths: Iterable[int]
) -> Callable[[], Receivers]:
    """Who hears of new cases of these offices (their heads; the webhooks on these paths):
    asked now, read when called, so that inside ``Bulk.overlapped`` the questions go out with
    the statements that store the cases."""
    heads, hooks = ask_heads(conn, office_ids), ask_hooks(conn, paths)
    return lambda: (heads(), hooks())


def opened(conn: Connection, cases: list[CaseNews], told: Receivers | None = None) -> None:
    """Tell the heads of each case's unit, and the webhooks above it, of new cases: a batch's
    receivers read in two queries (``told``, if already read), its messages stored in one
    statement."""
    if told is None:
        paths = {office for c in cases for office in c.path}
        told = receivers(conn, {c.office_id for c in cases}, paths)()
    heads, hooks = told
    rows = []
    for case in cases:
        to = heads.get(case.office_id, [])
        notice = (
            mail(
                f"Phản ánh mới số {case.id} – {case.office_name}",
                [
                    f"{case.office_name} có một phản ánh mới "
                    f"({ORIGINS[case.origin][0].lower()}) lúc {format_local(case.opened_at)}, "
                    f"hạn trả lời hết ngày {_due(case)}.",
                    *_said(case),
                ],
                case.link,
                "Xem và trả lời",
            )
            if to
            else None
        )
        event = Event(
            "case.opened", f"case-{case.id}-opened", case.office_id, case.data(), case.opened_at
        )
        rows += messages(event, mail=notice, to=to, path=case.path, hooks=hooks)
    store(conn, rows)


def answered(conn: Connection, case: CaseNews) -> None:
    """Tell the webhooks above the case's unit that it was answered (each answer its own
    event: an answer may be corrected while the case is open)."""
    moment = utcnow()
    event = Event(
        "case.answered", f"case-{case.id}-answered-{int(moment.timestamp() * 1000)}",
        case.office_id, case.data(), moment,
    )  # fmt: skip
    enqueue(conn, event, path=case.path)


def overdue(conn: Connection, tree: Tree, now: datetime | None = None) -> int:
    """Tell of every case that went past its due time unanswered and was not told of yet: its
    unit's heads and the parent unit's inspectors, and the webhooks; how many."""
    moment = now or utcnow()
    rows = list(
        conn.execute(
            sa.select(CASE).where(
                CASE.c.answered_at.is_(None),
                CASE.c.status != "closed",
                CASE.c.due_at < moment,
                CASE.c.overdue_noticed_at.is_(None),
            )
        )
    )
    if not rows:
        return 0
    heads = heads_of(conn, {row.office_id for row in rows})
    for row in rows:
        case = news(tree, row)
        parent = tree.offices[row.office_id][2]
        to = [*heads.get(row.office_id, []), *inspectors_of(conn, parent)]
        notice = mail(
            f"Phản ánh số {case.id} đã quá hạn – {case.office_name}",
            [
                f"Phản ánh số {case.id} của {case.office_name}, mở lúc "
                f"{format_local(case.opened_at)}, đã quá hạn trả lời (hết ngày {_due(case)}) "
                "mà chưa được trả lời.",
                *_said(case),
            ],
            case.link,
            "Xem phản ánh",
        )
        event = Event("case.overdue", f"case-{case.id}-overdue", row.office_id, case.data(), moment)
        enqueue(conn, event, mail=notice, to=to, path=case.path)
    conn.execute(
        sa.update(CASE)
        .where(CASE.c.id.in_([row.id for row in rows]))
        .values(overdue_noticed_at=moment)
    )
    return len(rows)


def news(tree: Tree, row: Any) -> CaseNews:
    """A stored case (a row or a ``Case``) as its notices tell it."""
    code, name, _ = tree.offices[row.office_id]
    return CaseNews(
        id=row.id,
        office_id=row.office_id,
        office_code=code,
        office_name=name,
        path=tuple(tree.path(row.office_id)),
        origin=row.origin,
        text=row.text,
        opened_at=row.opened_at,
        due_at=row.due_at,
        answer=row.answer,
        answered_at=row.answered_at,
    )
