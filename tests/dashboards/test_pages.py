from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.ballots.service import submit
from app.ballots.validation import Submission
from app.models.types import utcnow
from app.surveys.catalog import SurveyCatalog
from tests.factories import make_office, make_user, sign_in, six_answers


def _ballots(db: Session, catalog: SurveyCatalog, code: str, values: list[int], comment=None):  # type: ignore[no-untyped-def]
    for value in values:
        submit(
            db,
            catalog,
            code,
            Submission(answers=six_answers(value), comment=comment),
            channel="api",
            idempotency_key=uuid.uuid4().hex,
            strict_replay=True,
            submitted_at=utcnow(),
        )


def _setup(db: Session, catalog: SurveyCatalog, client: TestClient) -> None:
    make_office(db, catalog, code="D-P", name="Tỉnh mẫu", kind="province")
    make_office(db, catalog, code="D-A", name="Xã An", parent="D-P")
    make_office(db, catalog, code="D-B", name="Xã Bình", parent="D-P")
    _ballots(db, catalog, "D-A", [4] * 30 + [5] * 8 + [2] * 2, comment="<b>Cán bộ</b> tận tình")
    _ballots(db, catalog, "D-B", [5, 2])
    sign_in(client, make_user(db, "inspector", "D-P"))


def test_office_dashboard(client: TestClient, db: Session, registered: SurveyCatalog) -> None:
    _setup(db, registered, client)
    page = client.get("/staff/offices/D-A?period=month")
    assert page.status_code == 200
    html = page.text
    assert "Xã An" in html
    assert "95,0\u00a0%" in html  # 38 of 40 satisfied or better
    # Xã Bình: too few ballots to rank; the ranking is the province's, and says so.
    assert "Xếp thứ <strong>1/1</strong> trong các đơn vị được xếp hạng của Tỉnh mẫu" in html
    assert "Công chức tuân thủ đúng quy định trong giải quyết công việc" in html
    assert html.count('class="bar"') == 7  # the ballots' bar and one per criterion
    assert "<svg" in html
    assert ' style="' not in html  # the CSP forbids inline styles; charts use attributes
    # Comments are shown escaped.
    assert "&lt;b&gt;Cán bộ&lt;/b&gt; tận tình" in html
    assert "Chưa đủ" not in html
    thin = client.get("/staff/offices/D-B?period=month").text
    assert "Chưa đủ 30 phiếu" in thin


def test_live_partial_and_lobby_display(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    _setup(db, registered, client)
    partial = client.get("/staff/offices/D-A?period=month", headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert partial.text.lstrip().startswith("{#") is False
    assert "<html" not in partial.text
    assert "data-headline" in partial.text
    display = client.get("/staff/offices/D-A/display")
    assert 'class="lobby"' in display.text
    assert 'data-live="/staff/offices/D-A/events?view=display"' in display.text


def test_children_table_sorts(client: TestClient, db: Session, registered: SurveyCatalog) -> None:
    _setup(db, registered, client)
    by_rank = client.get("/staff/offices/D-P/children?period=month").text
    assert by_rank.index("Xã An") < by_rank.index("Xã Bình")
    by_ballots = client.get("/staff/offices/D-P/children?period=month&sort=ballots").text
    assert by_ballots.index("Xã An") < by_ballots.index("Xã Bình")
    by_name = client.get("/staff/offices/D-P/children?period=month&sort=name").text
    assert by_name.index("Xã An") < by_name.index("Xã Bình")
    partial = client.get(
        "/staff/offices/D-P/children?period=month&sort=code", headers={"HX-Request": "true"}
    )
    assert partial.text.lstrip().startswith('<div class="table-scroll"')
    assert '<table class="offices sortable cards">' in partial.text


def test_periods_and_bad_parameters(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    _setup(db, registered, client)
    for unit in ("day", "week", "month", "quarter", "year"):
        assert client.get(f"/staff/offices/D-A?period={unit}").status_code == 200
    today = datetime.now().date().isoformat()
    assert client.get(f"/staff/offices/D-A?from={today}&to={today}").status_code == 200
    assert client.get("/staff/offices/D-A?period=decade").status_code == 400
    bad_range = client.get("/staff/offices/D-A?from=2026-05-02&to=2026-05-01")
    assert bad_range.status_code == 422
    assert "trước hoặc bằng ngày kết thúc" in bad_range.text


def test_printable_report(client: TestClient, db: Session, registered: SurveyCatalog) -> None:
    _setup(db, registered, client)
    page = client.get("/staff/offices/D-A/report?period=month")
    assert page.status_code == 200
    html = page.text
    assert "Kết quả khảo sát sự hài lòng của người dân, tổ chức – Xã An" in html
    assert "Cộng hòa xã hội chủ nghĩa Việt Nam" in html
    assert "Tỉnh mẫu" in html  # the body above it, in the letterhead
    assert "Nơi nhận:" in html
    assert "95,0\u00a0%" in html
    assert "Xếp hạng trong các đơn vị được xếp hạng của Tỉnh mẫu: <strong>1/1</strong>" in html
    assert html.count("<tr>") >= 1 + 6  # the criteria table
    assert "&lt;b&gt;Cán bộ&lt;/b&gt; tận tình" in html
    assert ' style="' not in html


def test_units_page_ranks_every_unit_with_downloads(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    _setup(db, registered, client)
    make_office(db, registered, code="D-A1", name="Một cửa An", parent="D-A")
    _ballots(db, registered, "D-A1", [2, 2, 2])
    page = client.get("/staff/offices/D-P/units?period=month&sort=rank").text
    assert "Các bộ phận một cửa thuộc Tỉnh mẫu" in page
    # Units only: D-A has a unit under it now, so it is not listed itself.
    assert "Một cửa An" in page
    assert ">Xã An<" not in page
    # Both have fewer ballots than the minimum: listed, without a place (in the table, and
    # apart from the comparison chart's bars).
    table = page[page.index('<div id="table">') :]
    assert table.count("chưa đủ phiếu để xếp hạng") == 2
    chart = page[page.index('<details class="comparison"') : page.index('<div id="table">')]
    assert "0 đơn vị được xếp hạng" in chart
    assert "Chưa xếp hạng:</strong> " in chart
    assert chart.count("chưa đủ phiếu để xếp hạng") == 2
    assert "/api/v1/exports/ballots.csv?office=D-P" in page
    assert "/api/v1/exports/summary.csv?office=D-P" in page
    assert "/api/v1/exports/summary.xlsx?office=D-P" in page
    # The file and its manifest are linked with the same snapshot, so they always agree.
    link = re.search(r'href="(/api/v1/exports/ballots\.csv\?[^"]+)"', page).group(1)  # type: ignore[union-attr]
    link = link.replace("&amp;", "&")
    assert "snapshot=" in link
    data = client.get(link)
    manifest = client.get(link.replace("ballots.csv?", "ballots.csv.manifest.json?"))
    assert manifest.json()["sha256"] == hashlib.sha256(data.content).hexdigest()
    saved_as = data.headers["content-disposition"].split('filename="')[1].rstrip('"')
    assert f'filename="{saved_as}.manifest.json"' in manifest.headers["content-disposition"]


def test_ranking_report_to_print(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    _setup(db, registered, client)
    page = client.get("/staff/offices/D-P/units/report?period=month")
    assert page.status_code == 200
    html = page.text
    for words in ("Cộng hòa xã hội chủ nghĩa Việt Nam", "Độc lập – Tự do – Hạnh phúc", "Số: ……"):
        assert words in html
    ranked, unranked = html.split("2. Các đơn vị chưa được xếp hạng")
    assert html.index("1. Xếp hạng các đơn vị") < html.index("3. Phương pháp")
    # Xã An: 38 of 40 satisfied or better, its interval beside it; Xã Bình apart, with why.
    assert re.search(r"<td>1</td><td class=\"left\">Xã An</td><td><strong>95,0\u00a0%", ranked)
    assert "Xã Bình" not in ranked
    assert "Xã Bình" in unranked
    assert "Chưa đủ 30 phiếu" in unranked
    assert "Nơi nhận:" in html
    assert "Thủ trưởng cơ quan" in html


def test_ranking_report_is_only_for_the_scope(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    _setup(db, registered, client)
    client.cookies.clear()
    sign_in(client, make_user(db, "officer", "D-A"))
    assert client.get("/staff/offices/D-P/units/report").status_code in (403, 404)


def test_a_units_ranking_tab_shows_its_place_in_the_provinces_ranking(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    """An officer of a unit that is the only one of its commune opens "Xếp hạng": its place
    among the province's units, as the inspectors publish it, never "1/1" among its siblings,
    and nothing of the other units."""
    make_office(db, registered, code="R-P", name="Tỉnh Rạng", kind="province")
    for n, (values, name) in enumerate(((5, "Một cửa An"), (4, "Một cửa Bình"))):
        make_office(db, registered, code=f"R-C{n}", name=f"Xã {n}", parent="R-P", kind="commune")
        make_office(db, registered, code=f"R-U{n}", name=name, parent=f"R-C{n}")
        _ballots(db, registered, f"R-U{n}", [values] * 30 + [2] * (5 + 10 * n))
    sign_in(client, make_user(db, "officer", "R-U1"))
    page = client.get("/staff/offices/R-U1/units?period=month").text
    assert "các đơn vị được xếp hạng của Tỉnh Rạng" in page
    assert re.search(r'<td data-label="Hạng">2/2</td>', page)
    assert "Một cửa An" not in page
    dashboard = client.get("/staff/offices/R-U1?period=month").text
    assert "Xếp thứ <strong>2/2</strong> trong các đơn vị được xếp hạng của Tỉnh Rạng" in dashboard


def test_early_in_a_month_the_units_page_opens_on_the_last_complete_month(
    client: TestClient, db: Session, registered: SurveyCatalog, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """On the 2nd nobody has enough ballots to be ranked: the inspector's page opens on the
    last complete month and says so, the ranking first and the downloads after it; a month
    asked for by name is shown as asked."""
    from datetime import date

    from app.dashboards import views
    from tests.factories import add_ballots

    monkeypatch.setattr(views, "today", lambda: date(2026, 11, 2))
    make_office(db, registered, code="E-P", name="Tỉnh mẫu", kind="province")
    make_office(db, registered, code="E-A", name="Xã An", parent="E-P")
    make_office(db, registered, code="E-B", name="Xã Bình", parent="E-P")
    add_ballots(db, registered, "E-A", [5] * 30 + [2] * 5, date(2026, 10, 20))
    add_ballots(db, registered, "E-B", [4] * 30 + [1] * 10, date(2026, 10, 21))
    add_ballots(db, registered, "E-A", [5, 5], date(2026, 11, 1))
    sign_in(client, make_user(db, "inspector", "E-P"))
    page = client.get("/staff/offices/E-P/units").text
    assert "Từ 01/11/2026 tới nay chưa đơn vị nào đủ 30 phiếu để xếp hạng" in page
    assert "bảng dưới là tháng 10/2026, tháng gần nhất đã trọn" in page
    assert re.search(r'<td data-label="Hạng">1/2</td>\s*<td data-label="Mã">E-A</td>', page)
    assert 'value="01/10/2026"' in page
    assert 'value="31/10/2026"' in page
    assert page.index("Bảng xếp hạng") < page.index('id="downloads"')
    asked = client.get("/staff/offices/E-P/units?period=month").text
    assert "tháng gần nhất đã trọn" not in asked
    assert not re.search(r'<td data-label="Hạng">\d+/2</td>', asked)


def test_the_index_beside_the_headline_says_what_it_is(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    _setup(db, registered, client)
    page = client.get("/staff/offices/D-A").text
    assert "Chỉ số hài lòng (bình quân tỷ lệ hài lòng của các tiêu chí):" in page
