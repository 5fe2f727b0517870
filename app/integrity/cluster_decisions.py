"""An inspector's decisions on a cluster of flagged ratings (rule × unit × day), each one audit
event naming the cluster: exclude its ballots, find it legitimate, or, when it was excluded by
mistake, put its ballots back into the figures. Each asks the inspector to confirm the number
of ballots they saw: a cluster that grew or shrank meanwhile is shown again, not decided."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.scope import can_inspect
from app.core.bulk import any_of
from app.core.errors import InvalidInput, NotFound
from app.core.locale import to_local
from app.integrity.exclusions import clean_reason, move
from app.integrity.triage import inspected, parse_key, pending_rows
from app.models import Ballot, User
from app.offices.service import get_by_code
from app.offices.tree import load_tree
from app.signals.reviews import settle
from app.signals.rules import RULES, Rule
from app.stats import changes
from app.stats.counted import FLAG, REVIEW, excluded_ids, pending
from app.surveys.catalog import SurveyCatalog

DECISIONS = {"exclude": "excluded", "legitimate": "legitimate"}
RECENT_EXCLUDED = 20  # excluded clusters listed for reinstatement, newest decision first


@dataclass
class ExcludedCluster:
    """A cluster an inspector excluded, with those of its ballots still out of the figures."""

    key: str
    rule: Rule
    office_code: str
    office_name: str
    day: datetime
    ballot_ids: list[int]
    username: str
    at: datetime
    reason: str


def awaiting(session: Session, user: User) -> tuple[str | None, int] | None:
    """For the staff navigation of an inspector or admin: the office whose flags page they open
    (their own; None: every office they see) and how many ratings await review there."""
    if not can_inspect(user):
        return None
    flags = pending().subquery()
    query = sa.select(sa.func.count(sa.distinct(flags.c.ballot_id)))
    code = None
    if user.office_id is not None:
        tree = load_tree(session)
        if user.office_id not in tree.offices:
            return None
        code = tree.offices[user.office_id][0]
        query = query.where(any_of(session, flags.c.office_id, list(tree.subtree(user.office_id))))
    return code, int(session.connection().execute(query).scalar_one())


def _confirmed(count: int, confirmed: int | None, what: str) -> None:
    if confirmed is None:
        raise InvalidInput(
            "confirm: tick the box that confirms the number of ballots",
            message_vi=f"Xin đánh dấu ô xác nhận {what} trước khi gửi.",
        )
    if confirmed != count:
        raise InvalidInput(
            f"confirm: the cluster now holds {count} ballots, not {confirmed}",
            message_vi=f"Nhóm phiếu đã thay đổi: nay có {count} phiếu, không phải {confirmed}. "
            "Xin xem lại trước khi quyết định.",
        )


def decide(
    session: Session,
    catalog: SurveyCatalog,
    user: User,
    code: str | None,
    key: str,
    decision: str,
    reason: str,
    address: str = "",
    *,
    confirmed: int | None,
) -> int:
    """Settle one cluster: ``exclude`` its ballots, or find it ``legitimate``; how many
    ballots."""
    scope = inspected(session, user, code)
    if decision not in DECISIONS:
        raise InvalidInput("decision: exclude or legitimate")
    rule, office_code, day = parse_key(key)
    office = get_by_code(session, office_code)
    if not scope.holds(office.id):
        raise NotFound("No such cluster here", message_vi="Không có nhóm phiếu này.")
    reason = clean_reason(reason)
    rows = [
        r
        for r in pending_rows(session, [office.id or 0])
        if r.rule == rule and to_local(r.ballot_at).date() == day
    ]
    ids = sorted({r.ballot_id for r in rows})
    if not ids:
        raise InvalidInput(
            "cluster: nothing awaits review in it (decided meanwhile?)",
            message_vi="Nhóm phiếu này không còn phiếu chờ xem xét (có thể vừa được quyết định).",
        )
    what = "loại phiếu" if decision == "exclude" else "các phiếu hợp lệ"
    _confirmed(len(ids), confirmed, what)
    if decision == "exclude":
        settle(session, ids, "excluded", key, reason, user.username)
        ballots = list(session.exec(select(Ballot).where(col(Ballot.id).in_(ids))))
        move(session, catalog, user, ballots, reason, exclude=True, category=f"cluster:{rule}")
        action = "exclude_cluster"
    else:
        settle(session, ids, "legitimate", key, reason, user.username, rule=rule)
        changes.changed(session, [office.id or 0])  # its count of ratings awaiting review
        action = "flags_legitimate"
    audit.record(
        session,
        user.username,
        action,
        _target(rule, office.code, day.strftime("%d/%m/%Y"), len(ids)),
        reason,
        address,
        office.id,
    )
    session.flush()
    return len(ids)


def _target(rule: str, office_code: str, day: str, count: int) -> str:
    return f"{RULES[rule].title_vi} · {office_code} · {day}: {count} phiếu"


def excluded_clusters(session: Session, user: User, code: str | None) -> list[ExcludedCluster]:
    """The sub-tree's clusters excluded as a whole, newest decision first, with those of their
    ballots still excluded (a cluster put back, or each of its ballots, drops out)."""
    scope = inspected(session, user, code)
    tree, offices = scope.tree, scope.ids
    out = excluded_ids()
    rows = session.connection().execute(
        sa.select(
            REVIEW.c.cluster, FLAG.c.ballot_id, REVIEW.c.username, REVIEW.c.at, REVIEW.c.reason
        )
        .select_from(REVIEW.join(FLAG, FLAG.c.id == REVIEW.c.flag_id))
        .where(
            REVIEW.c.decision == "excluded",
            REVIEW.c.cluster != "",
            any_of(session, FLAG.c.office_id, offices),
            FLAG.c.ballot_id.in_(out),
        )
        .order_by(REVIEW.c.at.desc())
    )
    found: dict[str, ExcludedCluster] = {}
    for cluster, ballot_id, username, at, reason in rows:
        if cluster not in found:
            if len(found) == RECENT_EXCLUDED:
                continue
            rule, office_code, day = parse_key(cluster)
            office_id = tree.ids.get(office_code)
            if office_id is None:
                continue
            found[cluster] = ExcludedCluster(
                key=cluster,
                rule=RULES[rule],
                office_code=office_code,
                office_name=tree.offices[office_id][1],
                day=datetime(day.year, day.month, day.day),
                ballot_ids=[],
                username=username,
                at=at,
                reason=reason,
            )
        if ballot_id not in found[cluster].ballot_ids:
            found[cluster].ballot_ids.append(ballot_id)
    return list(found.values())


def reinstate(
    session: Session,
    catalog: SurveyCatalog,
    user: User,
    code: str | None,
    key: str,
    reason: str,
    address: str = "",
    *,
    confirmed: int | None,
) -> int:
    """Put a cluster excluded by mistake back into the figures: every ballot of it still
    excluded, in one decision and one audit event; its flags are then reviewed and legitimate
    (the inspector has looked at them twice). How many ballots."""
    parse_key(key)
    reason = clean_reason(reason)
    cluster = next((c for c in excluded_clusters(session, user, code) if c.key == key), None)
    if cluster is None:
        raise InvalidInput(
            "cluster: none of its ballots is excluded (put back meanwhile?)",
            message_vi="Nhóm phiếu này không còn phiếu nào bị loại (có thể vừa được khôi phục).",
        )
    ids = sorted(cluster.ballot_ids)
    _confirmed(len(ids), confirmed, "khôi phục phiếu")
    ballots = list(session.exec(select(Ballot).where(col(Ballot.id).in_(ids))))
    move(
        session,
        catalog,
        user,
        ballots,
        reason,
        exclude=False,
        category=f"cluster:{cluster.rule.name}",
    )
    flags = sa.select(FLAG.c.id).where(FLAG.c.ballot_id.in_(ids), FLAG.c.rule == cluster.rule.name)
    session.connection().execute(
        REVIEW.update()
        .where(REVIEW.c.flag_id.in_(flags), REVIEW.c.cluster == key)
        .values(decision="legitimate", reason=reason, username=user.username[:64])
    )
    office_id = ballots[0].office_id if ballots else None
    day = cluster.day.strftime("%d/%m/%Y")
    audit.record(
        session,
        user.username,
        "reinstate_cluster",
        _target(cluster.rule.name, cluster.office_code, day, len(ids)),
        reason,
        address,
        office_id,
    )
    session.flush()
    return len(ids)
