"""Rankings compare like with like: units on different surveys that ask the same six criteria
are ranked together on those criteria; a unit on another survey is listed as not comparable,
never as "0 phiếu"."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.ballots.service import submit
from app.ballots.validation import Submission
from app.core.locale import VN_TZ
from app.surveys.catalog import SurveyCatalog
from tests.factories import SIX, bearer, make_office, make_user, sign_in

PERIOD = "from=2026-05-01&to=2026-05-31"


def _ballot(db: Session, catalog: SurveyCatalog, code: str, answers: dict, comment=None) -> None:  # type: ignore[no-untyped-def]
    submit(
        db,
        catalog,
        code,
        Submission(answers=answers, comment=comment),
        channel="api",
        idempotency_key=uuid.uuid4().hex,
        strict_replay=True,
        submitted_at=datetime(2026, 5, 6, 9, tzinfo=VN_TZ),
    )


@pytest.fixture
def province(db: Session, registered: SurveyCatalog) -> dict[str, int]:
    """Four units, four surveys; returns each unit's satisfied answers to the six criteria."""
    make_office(db, registered, code="CMP", kind="province")
    make_office(db, registered, code="CMP.CC", name="Một cửa năm mức", parent="CMP")
    make_office(db, registered, code="CMP.3M", parent="CMP", survey="cong-chuc-3-muc")
    make_office(db, registered, code="CMP.SP", parent="CMP", survey="sipas")
    make_office(db, registered, code="CMP.VC", parent="CMP", survey="co-so-vat-chat")
    sipas = registered.surveys["sipas"]
    facilities = registered.surveys["co-so-vat-chat"]
    satisfied: dict[str, int] = {"CMP.CC": 0, "CMP.3M": 0, "CMP.SP": 0}
    for i in range(40):
        five = 5 if i % 4 == 0 else (4 if i % 4 != 3 else 2)  # 30 of 40 satisfied or better
        _ballot(db, registered, "CMP.CC", dict.fromkeys(SIX, five), comment="năm mức")
        satisfied["CMP.CC"] += 6 * (five >= 4)
        three = 3 if i % 2 else (2 if i % 5 else 1)  # 3 Rất hài lòng, 2 Hài lòng, 1 Không
        _ballot(db, registered, "CMP.3M", dict.fromkeys(SIX, three))
        satisfied["CMP.3M"] += 6 * (three >= 2)
        # SIPAS: the officer criteria mostly satisfied, the other sixteen mostly not.
        officer = 4 if i % 10 else 2
        answers = {q.key: (officer if q.key in SIX else 2) for q in sipas.questions if q.required}
        _ballot(db, registered, "CMP.SP", answers)
        satisfied["CMP.SP"] += 6 * (officer >= 4)
        _ballot(
            db,
            registered,
            "CMP.VC",
            {q.key: 5 for q in facilities.questions},
            comment="ghế chờ tốt",
        )
    return satisfied


def test_children_rank_units_of_every_survey_sharing_the_criteria(
    client: TestClient, db: Session, province: dict[str, int]
) -> None:
    headers = bearer(db, make_user(db, "inspector", "CMP"))
    body = client.get(f"/api/v1/offices/CMP/children?{PERIOD}", headers=headers).json()
    assert body["compared"]["criteria_set"] == "cong-chuc"
    assert set(body["compared"]["surveys"]) == {"cong-chuc", "cong-chuc-3-muc", "sipas"}
    units = {c["office"]["code"]: c for c in body["children"]}
    for code, good in province.items():
        assert units[code]["ballots"] == 40, code
        assert units[code]["headline"] == pytest.approx(good / 240), code
        assert units[code]["rank"]["of"] == 3
    facilities = units["CMP.VC"]
    assert facilities["comparable"] is False
    assert facilities["rank"] is None
    assert facilities["unranked"]["message"] == "không cùng bộ tiêu chí"
    # SIPAS is ranked on its six officer criteria (90 %), not on its 22 (about 25 %).
    assert units["CMP.SP"]["headline"] == pytest.approx(0.9)
    # The province's headline counts all three surveys' answers to the six criteria.
    summary = client.get(f"/api/v1/offices/CMP/summary?{PERIOD}", headers=headers).json()
    assert summary["ballots"] == 120
    assert summary["headline"] == pytest.approx(sum(province.values()) / 720)


def test_one_survey_narrows_to_it(
    client: TestClient, db: Session, province: dict[str, int]
) -> None:
    headers = bearer(db, make_user(db, "inspector", "CMP"))
    body = client.get(f"/api/v1/offices/CMP/children?{PERIOD}&survey=sipas", headers=headers).json()
    units = {c["office"]["code"]: c for c in body["children"]}
    assert units["CMP.SP"]["ballots"] == 40
    assert len(units["CMP.SP"]["criteria"]) == len(body["compared"]["questions"])
    assert len(body["compared"]["questions"]) == 22
    assert units["CMP.SP"]["headline"] < 0.5
    assert units["CMP.CC"]["unranked"]["reason"] == "not_comparable"


def test_pages_say_not_comparable_and_show_comments_counted(
    client: TestClient, db: Session, province: dict[str, int]
) -> None:
    sign_in(client, make_user(db, "inspector", "CMP"))
    page = client.get(f"/staff/offices/CMP/units?{PERIOD}").text
    assert "không cùng bộ tiêu chí" in page
    row = re.search(r"<tr[^>]*>\s*<td[^>]*>(?:(?!</tr>).)*CMP\.VC(?:(?!</tr>).)*</tr>", page, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    assert cells[3] == "—"  # its ballots are not "0": they are not counted here at all
    # Pickers show the surveys' titles, not their file names.
    assert ">Đánh giá sự hài lòng về cơ sở vật chất nơi giải quyết thủ tục hành chính<" in page
    assert ">co-so-vat-chat<" not in page
    dashboard = client.get(f"/staff/offices/CMP?{PERIOD}").text
    assert "năm mức" in dashboard
    assert "ghế chờ tốt" not in dashboard  # a facilities ballot: not in these figures
    assert "Sáu tiêu chí về công chức" in dashboard
