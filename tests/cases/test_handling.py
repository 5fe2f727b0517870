"""Handling a case: who may, what each sees, the audit log, and what is refused."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.cases import citizen, service
from app.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.models import AuditEvent, Ballot, Case, Office
from app.surveys.catalog import SurveyCatalog
from tests.cases.conftest import dissatisfied, head_of
from tests.factories import make_office, make_user


def _case(db: Session, office: Office) -> Case:
    return db.exec(select(Case).where(Case.office_id == office.id)).one()


def test_the_head_answers_and_the_citizen_reads_it_on_the_receipt(
    db: Session, registered: SurveyCatalog, unit: Office
) -> None:
    dissatisfied(db, registered, unit)
    case = _case(db, unit)
    head = head_of(db, unit)
    taken = service.set_status(db, head, case.id or 0, "in_progress")
    assert taken.status == "in_progress"
    answered = service.answer(db, head, case.id or 0, "  Đã sửa máy lấy số thứ tự.  ")
    assert (answered.status, answered.answer) == ("answered", "Đã sửa máy lấy số thứ tự.")
    first_answer_at = answered.answered_at
    again = service.answer(db, head, case.id or 0, "Đã sửa máy và nhắc nhở cán bộ.")
    assert again.answered_at == first_answer_at  # on time or not is judged by the first
    [seen] = citizen.cases_of_receipt(db, unit.id or 0, case.receipt or "")
    assert seen.answer == "Đã sửa máy và nhắc nhở cán bộ."
    assert seen.may_rate
    service.set_status(db, head, case.id or 0, "closed")
    with pytest.raises(Conflict):
        service.answer(db, head, case.id or 0, "Thêm nữa")
    actions = db.exec(select(AuditEvent.action).where(AuditEvent.target == f"case {case.id}")).all()
    assert sorted(actions) == ["case_answer", "case_answer", "case_status", "case_status"]


def test_officers_see_their_units_cases_without_who_and_cannot_answer(
    db: Session, registered: SurveyCatalog, unit: Office
) -> None:
    ballot_id = dissatisfied(db, registered, unit)
    ballot = db.get(Ballot, ballot_id)
    assert ballot is not None
    ballot.officer_code = "CB01"  # the officer who served, as a dossier's rating records
    db.add(ballot)
    case = _case(db, unit)
    case.contact = "0912345678"
    db.add(case)
    db.flush()
    officer = make_user(db, "officer", unit.code)
    [seen] = service.list_cases(db, officer, unit.code)
    assert (seen.receipt, seen.contact, seen.officer, seen.handles) == (None, None, None, False)
    with pytest.raises(Forbidden):
        service.answer(db, officer, seen.id, "Xin lỗi")
    [by_head] = service.list_cases(db, head_of(db, unit), unit.code)
    assert (by_head.receipt, by_head.contact, by_head.officer) == (
        ballot.receipt,
        "0912345678",
        "CB01",
    )


def test_cases_out_of_scope_are_not_found(
    db: Session, registered: SurveyCatalog, unit: Office
) -> None:
    dissatisfied(db, registered, unit)
    case = _case(db, unit)
    other = make_office(db, registered)
    stranger = head_of(db, other)
    with pytest.raises(NotFound):
        service.get_case(db, stranger, case.id or 0)
    with pytest.raises(NotFound):
        service.answer(db, stranger, case.id or 0, "x")
    inspector = make_user(db, "inspector")
    assert service.get_case(db, inspector, case.id or 0).id == case.id


def test_bad_answers_and_moves_are_refused_with_nothing_stored(
    db: Session, registered: SurveyCatalog, unit: Office
) -> None:
    dissatisfied(db, registered, unit)
    case = _case(db, unit)
    head = head_of(db, unit)
    for text in ("   ", "x" * 4001, "có ký tự \x07 lạ"):
        with pytest.raises(InvalidInput):
            service.answer(db, head, case.id or 0, text)
    with pytest.raises(Conflict):
        service.set_status(db, head, case.id or 0, "closed")  # not answered yet
    with pytest.raises(InvalidInput):
        service.list_cases(db, head, unit.code, "lost")
    db.refresh(case)
    assert (case.status, case.answer) == ("new", None)


def test_a_comment_becomes_a_case_once(
    db: Session, registered: SurveyCatalog, unit: Office
) -> None:
    from app.ballots.service import submit
    from app.ballots.validation import Submission
    from tests.factories import six_answers

    ballot, _ = submit(
        db,
        registered,
        unit.code,
        Submission(answers=six_answers(5), comment="Nên có thêm ghế chờ"),
        channel="api",
        idempotency_key="k1",
        strict_replay=True,
    )
    assert db.exec(select(Case).where(Case.office_id == unit.id)).first() is None
    head = head_of(db, unit)
    opened = service.open_from_comment(db, head, ballot.receipt)
    assert (opened.origin, opened.text) == ("staff", "Nên có thêm ghế chờ")
    assert service.open_from_comment(db, head, ballot.receipt).id == opened.id
    with pytest.raises(Forbidden):
        service.open_from_comment(db, make_user(db, "officer", unit.code), ballot.receipt)


def test_a_flagged_or_excluded_ballot_keeps_its_case_and_shows_it(
    db: Session, registered: SurveyCatalog, unit: Office
) -> None:
    from app.integrity.exclusions import decide

    ballot_id = dissatisfied(db, registered, unit)
    ballot = db.get(Ballot, ballot_id)
    assert ballot is not None
    inspector = make_user(db, "inspector")
    decide(db, registered, inspector, ballot.receipt, "Phiếu thử nghiệm", exclude=True)
    [seen] = service.list_cases(db, inspector, unit.code)
    assert seen.standing == "excluded"
