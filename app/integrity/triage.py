"""Triage for inspectors: flags awaiting review grouped into clusters (rule × unit × day), a
few ballots of each, and what each cluster weighs in the unit's figures. The decisions on a
cluster are ``cluster_decisions.py``."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.auth.scope import can_inspect, require_office, visible
from app.core.bulk import any_of
from app.core.errors import InvalidInput, NotFound
from app.core.locale import format_decimal, to_local
from app.integrity.exclusions import (
    DecisionForbidden,
    answers_of,
)
from app.models import Ballot, Office, User
from app.offices.service import get_by_code
from app.offices.tree import Tree, load_tree
from app.signals.rules import EVIDENCE_VI, RULES, Rule
from app.stats import service as stats
from app.stats.counted import excluded_ids, pending
from app.stats.maths import CATEGORIES, Tally, assemble, scales, tally
from app.stats.periods import Period, period_of
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import survey_version

ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
SAMPLE = 5
MAX_CLUSTERS = 60


@dataclass
class WhatIf:
    period: Period
    headline: float | None
    headline_without: float | None
    rank: tuple[int, int] | None
    rank_without: tuple[int, int] | None
    counted: int  # of the cluster's ballots, those the figures count now
    among: str = ""  # which ranking the ranks are places in (``stats.service.peers_of``)


@dataclass
class Cluster:
    key: str
    rule: Rule
    office_id: int
    office_code: str
    office_name: str
    day: date
    first: datetime
    last: datetime
    ballot_ids: list[int]
    evidence: dict[str, Any]
    sample: list[Ballot] = field(default_factory=list)
    # Each sampled ballot's answers in its survey's order: (question, value or None).
    answers: dict[int, list[tuple[str, int | None]]] = field(default_factory=dict)
    what_if: WhatIf | None = None


def cluster_key(rule: str, office_code: str, day: date) -> str:
    return f"{rule}|{office_code}|{day.isoformat()}"


def parse_key(key: str) -> tuple[str, str, date]:
    try:
        rule, code, day = key.split("|")
        if rule not in RULES:
            raise ValueError(rule)
        return rule, code, date.fromisoformat(day)
    except ValueError as exc:
        raise InvalidInput(
            "cluster: not a cluster of this page", message_vi="Không có nhóm phiếu này."
        ) from exc


@dataclass(frozen=True)
class Scope:
    """What a triage page covers: an office's sub-tree, or (``office`` None) every office the
    inspector sees."""

    office: Office | None
    tree: Tree
    ids: list[int]

    def holds(self, office_id: int | None) -> bool:
        return office_id in self.ids


def inspected(session: Session, user: User, code: str | None) -> Scope:
    """The offices an inspector or admin triages: ``code``'s sub-tree, or without one all of
    theirs."""
    if not can_inspect(user):
        raise DecisionForbidden(
            "Only inspectors and admins review flagged ratings",
            message_vi="Chỉ đoàn kiểm tra hoặc quản trị được xem và quyết định phiếu nghi vấn.",
        )
    tree = load_tree(session)
    if code is None:
        seen = visible(tree, user)
        return Scope(None, tree, sorted(tree.offices if seen is None else seen))
    office = get_by_code(session, code)
    require_office(session, user, office)
    return Scope(office, tree, list(tree.subtree(office.id or 0)))


def pending_rows(session: Session, office_ids: list[int]) -> list[Any]:
    flags = pending().subquery()
    return list(
        session.connection().execute(
            sa.select(
                flags.c.ballot_id,
                flags.c.office_id,
                flags.c.rule,
                flags.c.evidence,
                flags.c.ballot_at,
            )
            .where(any_of(session, flags.c.office_id, office_ids))
            .order_by(flags.c.ballot_at.desc())
        )
    )


def _group(row: Any) -> tuple[str, int, date]:
    """A cluster: one rule's flags at one office on one day (Vietnam time)."""
    return (row.rule, row.office_id, to_local(row.ballot_at).date())


def awaiting(session: Session, office_ids: list[int]) -> tuple[int, int]:
    """The ballots awaiting review in these offices, and the clusters they make."""
    rows = pending_rows(session, office_ids)
    return len({row.ballot_id for row in rows}), len({_group(row) for row in rows})


def clusters(
    session: Session,
    catalog: SurveyCatalog,
    user: User,
    code: str | None,
    min_responses: int = 30,
) -> tuple[Office | None, list[Cluster], int]:
    """The sub-tree's clusters awaiting review, newest first (at most ``MAX_CLUSTERS``), each
    with a sample and its weight in the unit's figures; and the count of flagged ballots."""
    scope = inspected(session, user, code)
    tree = scope.tree
    groups: dict[tuple[str, int, date], list[Any]] = defaultdict(list)
    ballots: set[int] = set()
    for row in pending_rows(session, scope.ids):
        groups[_group(row)].append(row)
        ballots.add(row.ballot_id)
    found = []
    for (rule, office_id, day), rows in list(groups.items())[:MAX_CLUSTERS]:
        office_code, name, _ = tree.offices[office_id]
        ids = sorted({r.ballot_id for r in rows})
        found.append(
            Cluster(
                key=cluster_key(rule, office_code, day),
                rule=RULES[rule],
                office_id=office_id,
                office_code=office_code,
                office_name=name,
                day=day,
                first=min(r.ballot_at for r in rows),
                last=max(r.ballot_at for r in rows),
                ballot_ids=ids,
                evidence=json.loads(rows[-1].evidence),
            )
        )
    _samples(session, catalog, found)
    for cluster in found:
        cluster.what_if = what_if(session, catalog, tree, cluster, min_responses)
    return scope.office, found, len(ballots)


def _samples(session: Session, catalog: SurveyCatalog, found: list[Cluster]) -> None:
    """A few ballots of each cluster, with their answers in the order their survey asks them
    (as the ballots page shows them: an inspector compares the two)."""
    wanted = {i for c in found for i in c.ballot_ids[:SAMPLE]}
    if not wanted:
        return
    rows = {b.id: b for b in session.exec(select(Ballot).where(col(Ballot.id).in_(wanted)))}
    answers = answers_of(session, sorted(wanted))
    for cluster in found:
        cluster.sample = [rows[i] for i in cluster.ballot_ids[:SAMPLE] if i in rows]
        for ballot in cluster.sample:
            survey = survey_version(session, catalog, ballot.survey_key, ballot.survey_version)
            given = answers.get(ballot.id or 0, {})
            cluster.answers[ballot.id or 0] = [
                (q.text_vi, given.get(q.key)) for q in (survey.questions if survey else [])
            ]


def what_if(
    session: Session, catalog: SurveyCatalog, tree: Tree, cluster: Cluster, min_responses: int
) -> WhatIf:
    """The unit's headline and rank among its peers over the cluster's month, now and without
    the cluster's ballots (those the figures count: of a compared survey, a counted source, not
    already excluded)."""
    office = session.get(Office, cluster.office_id)
    if office is None:  # pragma: no cover - a foreign key
        raise NotFound("office not found")
    period = period_of("month", cluster.day)
    survey, comparison = stats.choose(session, catalog, office, None)
    peers, among = stats.peers_of(tree, cluster.office_id)
    entries = stats.figures_by_subtree(
        session, catalog, tree, peers, survey, period,
        comparison=comparison, min_responses=min_responses, reconcile=False,
    )  # fmt: skip
    mine = next(e for e in entries if e.office_id == cluster.office_id)
    before = (mine.figures.headline, mine.rank if office.parent_id else None)
    start, end = period.bounds_utc()
    counts = tree.counted(cluster.office_id)
    taken = session.exec(
        select(Ballot).where(
            col(Ballot.id).in_(cluster.ballot_ids),
            col(Ballot.survey_key).in_(comparison.surveys),
            col(Ballot.submitted_at) >= start,
            col(Ballot.submitted_at) < end,
            col(Ballot.id).not_in(excluded_ids()),
        )
    ).all()
    taken = [b for b in taken if (b.source or "open") in counts]
    versions = stats.versions_of(session, catalog, comparison.surveys)
    questions = set(comparison.questions) if comparison.shared else None
    given = answers_of(session, [b.id or 0 for b in taken])
    answer_rows = [
        (b.survey_key, b.survey_version, key, value, 1)
        for b in taken
        for key, value in given.get(b.id or 0, {}).items()
        if questions is None or key in questions
    ]
    ballot_rows = [(b.survey_key, b.survey_version, b.level or 0, 1) for b in taken]
    minus = tally(scales(versions), answer_rows, ballot_rows)
    figures = mine.figures
    none = [0] * len(CATEGORIES)
    left = Tally(
        answers={
            c.key: [
                c.shares.counts.get(category, 0) - taken_out
                for category, taken_out in zip(
                    CATEGORIES, minus.answers.get(c.key, none), strict=True
                )
            ]
            for c in figures.criteria
        },
        ballots={k: n - minus.ballots.get(k, 0) for k, n in figures.ballots.counts.items()},
        unclassified=figures.unclassified - minus.unclassified,
    )
    mine.figures = assemble(
        survey, left, questions=comparison.questions if comparison.shared else None,
        min_responses=min_responses,
    )  # fmt: skip
    stats.rank(entries)
    return WhatIf(
        period=period,
        headline=before[0],
        headline_without=mine.figures.headline,
        rank=before[1],
        rank_without=mine.rank if office.parent_id else None,
        counted=len(taken),
        among=among,
    )


def _vietnamese(value: Any) -> Any:
    """An evidence value as a Vietnamese reader writes it: "4,0" seconds, days as dd/mm/yyyy."""
    if isinstance(value, float):
        return format_decimal(value)
    if isinstance(value, str) and ISO_DAY.fullmatch(value):
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    return value


def explain(cluster: Cluster) -> str:
    """What the rule saw, in a Vietnamese sentence."""
    evidence = {name: _vietnamese(value) for name, value in cluster.evidence.items()}
    if "usual_share" in cluster.evidence:
        evidence["usual_share"] = f"{cluster.evidence['usual_share'] * 100:.0f}"
    name = cluster.rule.name
    if name == "too-fast" and evidence.get("form_time") == "missing":
        name = "too-fast-unsigned"
    return EVIDENCE_VI[name].format_map(defaultdict(lambda: "?", evidence))
