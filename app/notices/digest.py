"""The weekly digest: on Monday from 07:00 (Vietnam time), each subscribed account gets one
mail on its sub-tree: last week's headline and its change, the cases waiting and overdue, and
the ratings awaiting an inspector."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from app.cases import figures as case_figures
from app.cases.notices import mail
from app.core.config import get_settings
from app.core.errors import DomainError
from app.core.locale import VN_TZ, format_change, format_number, format_percent, to_local
from app.integrity import triage
from app.models import User
from app.offices.tree import Tree, load_tree
from app.outbox.queue import Event, enqueue
from app.stats import service as stats
from app.stats.periods import date_range
from app.surveys.catalog import SurveyCatalog

SEND_AT = time(7, 0)


def week_start(now: datetime) -> datetime:
    """The latest Monday 07:00 in Vietnam at or before ``now``."""
    local = to_local(now)
    monday = local.date() - timedelta(days=local.weekday())
    start = datetime.combine(monday, SEND_AT, VN_TZ)
    return start if start <= local else start - timedelta(days=7)


def send_digests(
    session: Session, catalog: SurveyCatalog, monday: date, now: datetime, min_responses: int
) -> int:
    """The digest of the week before ``monday`` to every subscribed account; how many."""
    tree = load_tree(session)
    users = session.exec(
        select(User).where(
            col(User.digest).is_(True), col(User.is_active).is_(True), col(User.email).is_not(None)
        )
    )
    sent = 0
    for user in users:
        roots = [user.office_id] if user.office_id is not None else tree.tops
        paragraphs = [
            line
            for root in roots
            if root in tree.offices
            for line in _lines(session, catalog, tree, root, monday, now, user, min_responses)
        ]
        if not paragraphs:
            continue
        start = (monday - timedelta(days=7)).strftime("%d/%m/%Y")
        end = (monday - timedelta(days=1)).strftime("%d/%m/%Y")
        notice = mail(
            f"Bản tin tuần {start} – {end}",
            [f"Tuần từ {start} đến {end}:", *paragraphs],
            f"{get_settings().public_url}/staff",
            "Mở trang quản lý",
        )
        event = Event("digest", f"digest-{user.id}-{monday.isoformat()}", user.office_id, {}, now)
        enqueue(session.connection(), event, mail=notice, to=[user.email or ""])
        sent += 1
    return sent


def _lines(
    session: Session,
    catalog: SurveyCatalog,
    tree: Tree,
    root: int,
    monday: date,
    now: datetime,
    user: User,
    min_responses: int,
) -> list[str]:
    code, name, _ = tree.offices[root]
    week = date_range(monday - timedelta(days=7), monday - timedelta(days=1))
    try:
        summary = stats.summarize(session, catalog, code, week, min_responses=min_responses)
    except DomainError:  # an office whose survey has no figures to give
        return []
    fig = summary.office.figures
    ids = tree.subtree(root)
    waiting, overdue = case_figures.waiting(session, ids, now)
    lines = [
        f"{name}: {format_number(fig.ballot_count)} phiếu; tỷ lệ hài lòng "
        f"{format_percent(fig.headline)} (so với tuần trước: {format_change(summary.change)} "
        "điểm phần trăm).",
        f"Phản ánh chờ trả lời: {format_number(waiting)}, trong đó quá hạn: "
        f"{format_number(overdue)}.",
    ]
    if user.role in ("inspector", "admin"):
        ballots, groups = triage.awaiting(session, ids)
        lines.append(
            f"Phiếu nghi vấn chờ xem xét: {format_number(ballots)}, trong "
            f"{format_number(groups)} nhóm."
        )
    return lines
