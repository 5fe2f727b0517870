"""The ranking an inspector prints for the meeting: printed to PDF by Chromium on A4, it reads as
an official report, repeats the table's headings on each page, and leaves no heading alone at
the bottom of a page."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from pypdf import PdfReader
from sqlmodel import Session

from app.auth.service import create_user
from app.core.db import build_engine
from app.models import UserCreate
from app.stats.periods import today as vietnam_today
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import register_catalog
from tests.browser.conftest import PASSWORD, signed_in
from tests.conftest import fresh_database
from tests.factories import add_ballots, make_office
from tests.serving import serve

pytestmark = [pytest.mark.browser, pytest.mark.one_database]
UNITS = 70
HEADINGS = ("1. Xếp hạng các đơn vị", "2. Các đơn vị chưa được xếp hạng", "3. Phương pháp")


def _squeezed(text: str) -> str:
    # PDF text comes back with spaces around combining marks ("T Ỉ NH"): compare without any.
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def province(backend: str, catalog: SurveyCatalog) -> Iterator[str]:
    url = fresh_database(backend, "report")
    engine = build_engine(url, pool_size=1)
    today = vietnam_today()  # the day the server's month is counted in
    with Session(engine) as session:
        register_catalog(session, catalog)
        make_office(session, catalog, code="RP", name="Tỉnh Thanh Hóa", kind="province")
        for n in range(UNITS):
            code = f"RP.{n:02d}"
            make_office(session, catalog, code=code, name=f"Bộ phận một cửa xã số {n}", parent="RP")
            add_ballots(session, catalog, code, [5, 4, 3 + n % 3][: 1 + n % 3], today)
        make_office(
            session, catalog, code="RP.X", name="Bộ phận một cửa chưa có phiếu", parent="RP"
        )
        create_user(
            session,
            UserCreate.model_construct(
                username="thanhtra.tinh", role="inspector", office=None, password=PASSWORD
            ),
        )
        session.commit()
    engine.dispose()
    # Two ballots make a rank here, so that 70 ranked units run over several pages.
    with serve(url, env={"HAILONG_MIN_RESPONSES": "2"}) as base:
        yield base


def test_ranking_prints_as_an_official_report(browser, province: str) -> None:  # type: ignore[no-untyped-def]
    desk, page = signed_in(browser, province, "/staff/offices/RP/units/report", "thanhtra.tinh")
    try:
        pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
    finally:
        desk.close()
    pages = [page.extract_text() for page in pdf.pages]
    assert len(pages) >= 3
    first = _squeezed(pages[0])
    for words in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập – Tự do – Hạnh phúc",
        "TỈNH THANH HÓA",
        "Số: …… /BC-……",
        "ngày …… tháng …… năm ……",
        "BÁO CÁO",
        "1. Xếp hạng các đơn vị",  # the table starts on the first page, the method after it
        "Khoảng tin cậy 95 %",
        "Phiếu chờ xem xét",
        "Bộ phận một cửa xã số",
    ):
        assert _squeezed(words) in first, words
    ranked = _squeezed("Hạng Đơn vị Tỷ lệ hài lòng Khoảng tin cậy 95 % Số phiếu Phiếu chờ xem xét")
    unranked = _squeezed("TT Đơn vị Số phiếu Lý do")
    rows = [n for n, text in enumerate(pages) if "Bộphậnmộtcửaxãsố" in _squeezed(text)]
    assert len(rows) >= 2  # the tables run over pages…
    for n in rows:  # …and each page of them has the table's headings
        assert ranked in _squeezed(pages[n]) or unranked in _squeezed(pages[n]), n
    for n, text in enumerate(pages):
        lines = [line for line in text.splitlines() if line.strip()]
        last = _squeezed(lines[-1]) if lines else ""
        assert last not in {_squeezed(h) for h in HEADINGS}, f"heading alone at the foot of {n}"
    whole = _squeezed("".join(pages))
    assert whole.count(_squeezed("Bộ phận một cửa xã số")) == UNITS
    assert _squeezed("Bộ phận một cửa chưa có phiếu") in whole  # listed apart, with why
    assert _squeezed("Chưa đủ 2 phiếu") in whole
    assert _squeezed("3. Phương pháp") in whole
    assert _squeezed("Công chức có thái độ giao tiếp lịch sự") in whole
    closing = _squeezed(pages[-1])
    assert _squeezed("Nơi nhận:") in closing
    assert _squeezed("THỦ TRƯỞNG CƠ QUAN") in closing  # the signature with the recipients
