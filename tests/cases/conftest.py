from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import Session

from app.core.locale import VN_TZ
from app.models import Office, User
from app.surveys.catalog import SurveyCatalog
from tests.factories import make_office, make_user, rate, six_answers

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=VN_TZ)


@pytest.fixture
def unit(db: Session, registered: SurveyCatalog) -> Office:
    return make_office(db, registered)


def head_of(db: Session, office: Office) -> User:
    user = make_user(db, "officer", office.code)
    user.is_head = True
    db.add(user)
    db.flush()
    return user


def dissatisfied(db: Session, catalog: SurveyCatalog, office: Office, at: datetime = MONDAY) -> int:
    """A ballot with one criterion "Không hài lòng": it opens a case."""
    return rate(db, catalog, office.code, six_answers(4, complies=2), at)
