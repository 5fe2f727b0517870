"""Each office's rollup rows count its whole sub-tree: a sub-tree's figures are read from its
root's rows alone. Checked against a recount from the raw ballots on both databases, with
policies that differ down the tree, exclusions, and an office moved to another parent."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from app.ballots.office_info import OPEN, Provenance
from app.ballots.service import submit
from app.ballots.validation import Submission
from app.core.locale import VN_TZ
from app.integrity.exclusions import decide
from app.models import Answer, Ballot, Exclusion, Office
from app.offices.service import update_office
from app.offices.tree import load_tree
from app.stats.periods import Period, date_range, period_of
from app.stats.service import figures_by_subtree
from app.surveys.catalog import SurveyCatalog
from tests.factories import make_office, make_tree, make_user, six_answers
from tests.stats.recount import (
    recount,
    recount_compared,
    recount_moments,
    stored,
    stored_compared,
    stored_moments,
)

SOURCES = [
    OPEN,
    Provenance("counter", device_id=1),
    Provenance("kiosk", device_id=2),
    Provenance("dossier", dossier_hash=None),
]
PERIODS = [
    period_of("month", date(2026, 5, 1)),
    date_range(date(2026, 4, 20), date(2026, 5, 9)),
    period_of("year", date(2026, 1, 1)),
]


def _tree(db: Session, catalog: SurveyCatalog) -> dict[str, Office]:
    """Two offices count other sources than their parent, one under the other."""
    offices = make_tree(db, catalog, south_unit_survey="sipas")
    update_office(db, offices["b"].code, catalog, count_sources="counter,dossier")
    update_office(db, offices["b1"].code, catalog, count_sources="open")
    return offices


def _rate(db: Session, catalog: SurveyCatalog, offices: dict[str, Office], n: int) -> None:
    rng = random.Random(11)
    start = datetime(2026, 4, 15, 8, tzinfo=VN_TZ)
    for _ in range(n):
        office = rng.choice(list(offices.values()))
        source = rng.choice(SOURCES)
        if source.source == "dossier":
            source = Provenance("dossier", dossier_hash=uuid.uuid4().hex * 2)
        survey = catalog.surveys[office.survey_key or catalog.default_key]
        answers = (
            {q.key: rng.choice([1, 2, 3, 4, 5]) for q in survey.questions if q.required}
            if office.survey_key == "sipas"
            else six_answers(rng.choice([1, 2, 3] if "3-muc" in survey.key else [2, 3, 4, 5]))
        )
        submit(
            db,
            catalog,
            office.code,
            Submission(answers=answers),
            channel="api",
            idempotency_key=uuid.uuid4().hex,
            strict_replay=True,
            submitted_at=start + timedelta(minutes=rng.randint(0, 60 * 24 * 30)),
            provenance=source,
        )


def _raw(db: Session, catalog: SurveyCatalog, root: int, period: Period) -> dict[str, Any]:
    """The root's figures the slow way: every ballot of its sub-tree, by its office's policy."""
    tree = load_tree(db)
    survey = catalog.surveys[catalog.default_key]
    shared = catalog.criteria[catalog.comparison(survey).key]
    start, end = period.bounds_utc()
    excluded: dict[int, bool] = {}
    for ballot_id, out in db.exec(select(Exclusion.ballot_id, Exclusion.excluded)).all():
        excluded[ballot_id] = out
    offices = set(tree.subtree(root))
    criteria: dict[str, Counter[str]] = {q: Counter() for q in shared.questions}
    levels: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    uncounted: Counter[str] = Counter()
    n_excluded = 0
    for ballot in db.exec(select(Ballot).where(Ballot.office_id.in_(offices))).all():  # type: ignore[union-attr]
        if not start <= ballot.submitted_at < end or ballot.survey_key not in shared.surveys:
            continue
        if excluded.get(ballot.id or 0):
            n_excluded += 1
            continue
        source = ballot.source or "open"
        sources[source] += 1
        if source not in tree.counted(ballot.office_id):
            uncounted[source] += 1
            continue
        version = catalog.surveys[ballot.survey_key]
        answers = dict(
            db.exec(
                select(Answer.question_key, Answer.value).where(Answer.ballot_id == ballot.id)
            ).all()
        )
        level = version.classify(answers)
        levels[level.category if level else "unclassified"] += 1
        for question in shared.questions:
            if question in answers:
                found = version.scale.level(answers[question])
                criteria[question][found.category if found else "?"] += 1
    return {
        "ballots": +levels,
        "criteria": {q: +c for q, c in criteria.items() if c},
        "sources": +sources,
        "uncounted": +uncounted,
        "excluded": n_excluded,
    }


def _read(db: Session, catalog: SurveyCatalog, roots: list[int], period: Period) -> dict[int, Any]:
    survey = catalog.surveys[catalog.default_key]
    entries = figures_by_subtree(db, catalog, load_tree(db), roots, survey, period)
    out = {}
    for entry in entries:
        fig = entry.figures
        levels = Counter(fig.ballots.counts)
        levels["unclassified"] += fig.unclassified
        out[entry.office_id] = {
            "ballots": +levels,
            "criteria": {c.key: +Counter(c.shares.counts) for c in fig.criteria if c.shares.total},
            "sources": +Counter(fig.sources),
            "uncounted": +Counter(fig.uncounted),
            "excluded": fig.excluded,
        }
    return out


def _check(db: Session, catalog: SurveyCatalog, offices: dict[str, Office]) -> None:
    ids = [o.id or 0 for o in offices.values()]
    for period in PERIODS:
        # Each office on its own, and all of them at once (nested roots, as the summary export).
        together = _read(db, catalog, ids, period)
        for office_id in ids:
            expected = _raw(db, catalog, office_id, period)
            assert _read(db, catalog, [office_id], period)[office_id] == expected
            assert together[office_id] == expected
    conn = db.connection()
    assert stored(conn) == recount(conn)
    assert stored_moments(conn) == recount_moments(conn, catalog.criteria)
    assert stored_compared(conn) == recount_compared(conn, catalog.criteria)


def test_subtree_rows_equal_a_recount(db: Session, registered: SurveyCatalog) -> None:
    offices = _tree(db, registered)
    _rate(db, registered, offices, 160)
    _check(db, registered, offices)
    nation = _read(db, registered, [offices["nation"].id or 0], PERIODS[2])
    assert sum(nation[offices["nation"].id or 0]["sources"].values()) > 100

    # Exclusions take ballots out of every ancestor's rows; reinstating puts them back.
    inspector = make_user(db, "inspector")
    ballots = db.exec(select(Ballot).order_by(Ballot.id)).all()  # type: ignore[arg-type]
    for ballot in ballots[::9]:
        decide(db, registered, inspector, ballot.receipt, "phiếu thử nghiệm", exclude=True)
    decide(db, registered, inspector, ballots[9].receipt, "loại nhầm phiếu", exclude=False)
    _check(db, registered, offices)

    # A unit moved to the other province takes its sub-tree's counts along.
    update_office(db, offices["b"].code, registered, parent=offices["south"].code)
    _check(db, registered, offices)
    south = _read(db, registered, [offices["south"].id or 0], PERIODS[2])
    assert south[offices["south"].id or 0]["sources"].total() > 0


def test_the_tree_is_read_again_only_when_an_office_changes(
    db: Session, registered: SurveyCatalog
) -> None:
    root = make_office(db, registered, kind="province")
    first = load_tree(db)
    assert load_tree(db) is first  # nothing changed: this worker's copy
    unit = make_office(db, registered, parent=root.code)
    second = load_tree(db)
    assert second is not first
    assert unit.id in second.offices
    update_office(db, unit.code, registered, name="Bộ phận một cửa (đổi tên)")
    third = load_tree(db)
    assert third is not second
    assert third.offices[unit.id or 0][1] == "Bộ phận một cửa (đổi tên)"
    assert load_tree(db) is third


def test_month_and_year_to_date_read_whole_buckets_and_agree(
    db: Session, registered: SurveyCatalog
) -> None:
    from app.stats.periods import segments, today

    offices = _tree(db, registered)
    now = datetime.now(VN_TZ)
    rated = [o for o in offices.values() if o.survey_key != "sipas"]
    for i, office in enumerate(rated):
        submit(
            db,
            registered,
            office.code,
            Submission(answers=six_answers(3 if "3-muc" in (office.survey_key or "") else 4)),
            channel="api",
            idempotency_key=uuid.uuid4().hex,
            strict_replay=True,
            submitted_at=now - timedelta(minutes=i),
            provenance=SOURCES[i % 3],
        )
    day = today()
    for period in (
        date_range(day.replace(day=1), day),
        date_range(day.replace(month=1, day=1), day),
    ):
        # Up to today: nothing later can be stored, so whole months (or the year) are read.
        assert all(grain != "d" for grain, _, _ in segments(period, known_until=day))
        for office in offices.values():
            office_id = office.id or 0
            assert _read(db, registered, [office_id], period)[office_id] == _raw(
                db, registered, office_id, period
            )
    earlier = date_range(day.replace(day=1), day - timedelta(days=1)) if day.day > 1 else None
    if earlier is not None:  # a period ending before today is still read day by day
        assert segments(earlier, known_until=day)[-1][0] == "d"
