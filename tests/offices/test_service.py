from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from app.core.errors import Conflict, InvalidInput, OfficeNotFound
from app.models import Office, OfficeCreate
from app.offices.service import create_office, get_by_code, import_csv, to_public
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import survey_for_office
from tests.factories import make_office


def _count(db: Session) -> int:
    return db.exec(select(func.count()).select_from(Office)).one()


def test_agency_codes_and_a_tree(db: Session, registered: SurveyCatalog) -> None:
    make_office(db, registered, code="38", name="Tỉnh Thanh Hóa", kind="province")
    make_office(
        db,
        registered,
        code="000.00.06.H56",
        name="Sở Xây dựng",
        parent="38",
        kind="department",
        survey="sipas",
    )
    unit = make_office(
        db,
        registered,
        code="000.06.01.H56",
        name="Bộ phận một cửa",
        parent="000.00.06.H56",
        counters=3,
    )
    public = to_public(db, unit)
    assert public.parent == "000.00.06.H56"
    assert public.kind == "one-stop"
    assert public.counters == [1, 2, 3]
    # No survey of its own: the nearest ancestor's applies.
    assert survey_for_office(db, registered, unit).key == "sipas"
    assert survey_for_office(db, registered, get_by_code(db, "38")).key == "cong-chuc"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "bad code!", "name": "X"}, "code 'bad code!'"),
        ({"code": "A1", "name": "X", "kind": "huyen"}, "kind 'huyen'"),
        ({"code": "A1", "name": "X", "survey_key": "nope"}, "survey 'nope'"),
        ({"code": "A1", "name": "   "}, "name: must not be empty"),
    ],
)
def test_invalid_offices_are_refused(
    db: Session, registered: SurveyCatalog, data: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        create_office(db, OfficeCreate.model_construct(**{"kind": "one-stop", **data}), registered)


def test_duplicate_code_and_unknown_parent(db: Session, registered: SurveyCatalog) -> None:
    make_office(db, registered, code="X1")
    with pytest.raises(Conflict):
        make_office(db, registered, code="X1")
    with pytest.raises(OfficeNotFound):
        make_office(db, registered, code="X2", parent="nowhere")


CSV_OK = """code,name,parent,kind,survey
000.06.01.H56,Bộ phận một cửa Sở Xây dựng,000.00.06.H56,one-stop,
000.00.06.H56,Sở Xây dựng,38,department,sipas
38,"Tỉnh Thanh Hóa, demo",,province,
16003.MC,Bộ phận một cửa xã Thiệu Hóa,38,,cong-chuc-3-muc
"""


def test_import_with_parents_after_children(db: Session, registered: SurveyCatalog) -> None:
    result = import_csv(db, "\ufeff" + CSV_OK, registered)
    assert result.created == 4
    child = get_by_code(db, "000.06.01.H56")
    assert to_public(db, child).parent == "000.00.06.H56"
    assert get_by_code(db, "38").name == "Tỉnh Thanh Hóa, demo"
    assert get_by_code(db, "16003.MC").kind == "one-stop"


def test_a_bad_row_names_its_line_and_nothing_is_imported(
    db: Session, registered: SurveyCatalog
) -> None:
    before = _count(db)
    bad = CSV_OK.replace("16003.MC,Bộ phận một cửa xã Thiệu Hóa,38,,", "16003 MC,Bộ phận,38,xa,")
    with pytest.raises(InvalidInput) as info:
        import_csv(db, bad, registered)
    assert "line 5: code '16003 MC'" in info.value.message
    assert "line 5: kind 'xa'" in info.value.message
    assert _count(db) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,name\nA,B\n", "line 1: the header must be exactly code,name,parent,kind,survey"),
        ("code,name,parent,kind,survey\nA,B,C,one-stop,\n", "line 2: parent 'C' is neither"),
        ("code,name,parent,kind,survey\nA,B,,one-stop\n", "line 2: expected 5 fields, found 4"),
        ("code,name,parent,kind,survey\nA,B,,,\nA,C,,,\n", "line 3: code 'A' repeats line 2"),
        ("code,name,parent,kind,survey\nA,B,C,,\nC,D,A,,\n", "parents form a cycle"),
    ],
)
def test_import_errors(db: Session, registered: SurveyCatalog, text: str, message: str) -> None:
    before = _count(db)
    with pytest.raises(InvalidInput, match=message):
        import_csv(db, text, registered)
    assert _count(db) == before


def test_import_refuses_codes_already_stored(db: Session, registered: SurveyCatalog) -> None:
    make_office(db, registered, code="38")
    with pytest.raises(InvalidInput, match="line 4: an office with code '38' already exists"):
        import_csv(db, CSV_OK, registered)
