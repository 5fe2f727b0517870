"""A case opens with every ballot below "satisfied" somewhere, in the ballot's transaction."""

from __future__ import annotations

from sqlmodel import Session, select

from app.cases.opening import opens_case
from app.core.workdays import due_after
from app.models import Ballot, Case, Office
from app.surveys.catalog import SurveyCatalog
from tests.cases.conftest import MONDAY, dissatisfied
from tests.factories import make_office, rate, six_answers


def _cases(db: Session, office: Office) -> list[Case]:
    return list(db.exec(select(Case).where(Case.office_id == office.id)))


def test_the_rule_is_the_surveys_satisfied_levels(registered: SurveyCatalog) -> None:
    five = registered.get("cong-chuc")
    assert not opens_case(five, six_answers(4))
    assert opens_case(five, six_answers(5, complies=3))  # "Bình thường" is below satisfied
    three = registered.get("cong-chuc-3-muc")
    best, *_, worst = sorted(three.values, reverse=True)
    assert not opens_case(three, dict.fromkeys(three.required_keys, best))
    assert opens_case(three, dict.fromkeys(three.required_keys, worst))


def test_a_dissatisfied_ballot_opens_a_case_due_in_ten_working_days(
    db: Session, registered: SurveyCatalog, unit: Office
) -> None:
    rate(db, registered, unit.code, 5, MONDAY)
    rate(db, registered, unit.code, 4, MONDAY)
    ballot_id = dissatisfied(db, registered, unit)
    [case] = _cases(db, unit)
    ballot = db.get(Ballot, ballot_id)
    assert ballot is not None
    assert (case.ballot_id, case.receipt, case.origin, case.status) == (
        ballot_id,
        ballot.receipt,
        "ballot",
        "new",
    )
    assert case.opened_at == ballot.submitted_at
    assert case.due_at == due_after(MONDAY, 10)


def test_working_days_are_inherited_down_the_tree(db: Session, registered: SurveyCatalog) -> None:
    province = make_office(db, registered, kind="province")
    province.case_days = 5
    db.add(province)
    db.flush()
    unit = make_office(db, registered, parent=province.code)
    dissatisfied(db, registered, unit)
    [case] = _cases(db, unit)
    assert case.due_at == due_after(MONDAY, 5)


def test_a_replayed_ballot_opens_no_second_case(
    db: Session, registered: SurveyCatalog, unit: Office
) -> None:
    from app.ballots.service import submit
    from app.ballots.validation import Submission

    for _ in range(2):
        submit(
            db,
            registered,
            unit.code,
            Submission(answers=six_answers(1), comment="Máy lấy số thứ tự bị hỏng"),
            channel="api",
            idempotency_key="same-key",
            strict_replay=True,
        )
    [case] = _cases(db, unit)
    assert case.text == "Máy lấy số thứ tự bị hỏng"
