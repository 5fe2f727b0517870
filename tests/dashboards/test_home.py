from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.stats.periods import today
from app.surveys.catalog import SurveyCatalog
from tests.factories import add_ballots, make_office, make_user, sign_in


def _tree(db: Session, catalog: SurveyCatalog) -> None:
    make_office(db, catalog, code="H-P", name="Tỉnh Hòa Bình", kind="province")
    make_office(db, catalog, code="H-A", name="Xã An Lạc", parent="H-P")
    make_office(db, catalog, code="H-B", name="Xã Bình Thanh", parent="H-P")
    add_ballots(db, catalog, "H-A", [5, 4, 4, 2], today())
    add_ballots(db, catalog, "H-B", [3], today())


def test_home_lists_the_scope_province_first_with_this_month(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    _tree(db, registered)
    sign_in(client, make_user(db, "inspector", "H-P"))
    html = client.get("/staff").text
    assert html.index("Tỉnh Hòa Bình") < html.index("Xã An Lạc") < html.index("Xã Bình Thanh")
    rows = re.findall(r'<tr class="depth-(\d)">.*?</tr>', html, re.S)
    assert rows == ["0", "1", "1"]
    # The province counts its whole sub-tree: 5 ballots, 18 of 30 answers satisfied or better.
    province = html[html.index("Tỉnh Hòa Bình") : html.index("Xã An Lạc")]
    assert "60,0\u00a0%" in province
    assert "<td>5</td>" in province
    assert "<title>Các đơn vị – Hài lòng — hailong</title>" in html
    assert 'href="/staff/audit"' in html  # the header, for an inspector
    assert "Đăng xuất" in html


def test_an_officer_of_one_unit_lands_on_its_dashboard(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    _tree(db, registered)
    sign_in(client, make_user(db, "officer", "H-A"))
    response = client.get("/staff", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/offices/H-A"
    page = client.get("/staff/offices/H-A").text
    assert 'aria-current="page">Bảng theo dõi</a>' in page
    assert 'href="/staff/audit"' not in page  # the audit log is the inspectors'
