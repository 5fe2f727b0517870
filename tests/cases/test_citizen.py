"""The citizen's side: feedback from the receipt, the consent for contacts, rating once, and
erasing contacts on schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.cases import citizen, service
from app.core.errors import Conflict, InvalidInput, NotFound
from app.models import Ballot, Case, Office
from app.models.types import utcnow
from app.surveys.catalog import SurveyCatalog
from tests.cases.conftest import head_of
from tests.factories import rate


def _receipt(db: Session, registered: SurveyCatalog, unit: Office) -> str:
    ballot = db.get(Ballot, rate(db, registered, unit.code, 5, utcnow()))
    assert ballot is not None
    return ballot.receipt


def test_feedback_opens_a_case_that_is_answered_and_rated_once(
    db: Session, registered: SurveyCatalog, unit: Office
) -> None:
    receipt = _receipt(db, registered, unit)
    text = "Máy lấy số thứ tự bị hỏng"
    case_id = citizen.send_feedback(db, unit.code, receipt.lower(), text.encode().decode())
    case = db.get(Case, case_id)
    assert case is not None
    assert (case.origin, case.text, case.contact, case.status) == ("citizen", text, None, "new")
    with pytest.raises(Conflict):  # not answered yet
        citizen.rate_handling(db, unit.code, receipt, case_id, True)
    service.answer(db, head_of(db, unit), case_id, "Đã thay máy mới.")
    citizen.rate_handling(db, unit.code, receipt, case_id, False)
    with pytest.raises(Conflict):
        citizen.rate_handling(db, unit.code, receipt, case_id, True)
    db.refresh(case)
    assert case.handling_satisfied is False


def test_contacts_need_consent_and_must_be_a_phone_or_an_address(
    db: Session, registered: SurveyCatalog, unit: Office
) -> None:
    receipt = _receipt(db, registered, unit)
    with pytest.raises(InvalidInput, match="consent"):
        citizen.send_feedback(db, unit.code, receipt, "Chờ lâu", "0912345678", consent=False)
    with pytest.raises(InvalidInput, match="neither"):
        citizen.send_feedback(db, unit.code, receipt, "Chờ lâu", "gọi cho tôi", consent=True)
    assert db.exec(select(Case).where(Case.office_id == unit.id)).first() is None
    phone = citizen.send_feedback(db, unit.code, receipt, "Chờ lâu", "0912 345.678", True)
    mail = citizen.send_feedback(db, unit.code, receipt, "Chờ lâu", "ten@example.vn", True)
    assert [db.get(Case, i).contact for i in (phone, mail)] == [  # type: ignore[union-attr]
        "0912345678",
        "ten@example.vn",
    ]


def test_feedback_is_limited_and_cleaned(
    db: Session, registered: SurveyCatalog, unit: Office
) -> None:
    receipt = _receipt(db, registered, unit)
    for text in ("", "x" * 2001, "a\x00b"):
        with pytest.raises(InvalidInput):
            citizen.send_feedback(db, unit.code, receipt, text)
    with pytest.raises(NotFound):
        citizen.send_feedback(db, unit.code, "AAAAA-AAAAA", "Chờ lâu")
    decomposed = "Cho\u0301 lâu\u200b"  # NFD and a zero-width space
    case_id = citizen.send_feedback(db, unit.code, receipt, decomposed)
    assert db.get(Case, case_id).text == "Chó lâu"  # type: ignore[union-attr]
    for _ in range(citizen.OPEN_FEEDBACK_MAX - 1):
        citizen.send_feedback(db, unit.code, receipt, "Thêm")
    with pytest.raises(Conflict):
        citizen.send_feedback(db, unit.code, receipt, "Quá nhiều")


def test_contacts_are_erased_90_days_after_closing(
    db: Session, registered: SurveyCatalog, unit: Office
) -> None:
    receipt = _receipt(db, registered, unit)
    head = head_of(db, unit)
    ids = [
        citizen.send_feedback(db, unit.code, receipt, "Chờ lâu", "0912345678", True) for _ in "ab"
    ]
    for case_id in ids:
        service.answer(db, head, case_id, "Đã xử lý")
        service.set_status(db, head, case_id, "closed")
    old = db.get(Case, ids[0])
    assert old is not None
    old.closed_at = utcnow() - timedelta(days=91)
    db.add(old)
    db.flush()
    assert citizen.erase_contacts(db) == 1
    db.expire_all()
    assert [db.get(Case, i).contact for i in ids] == [None, "0912345678"]  # type: ignore[union-attr]
