"""A citizen on a phone: scan the counter's QR code, answer, submit, get a receipt."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest
import zxingcpp
from PIL import Image

from tests.browser.conftest import LiveServer, phone
from tests.factories import SIX

pytestmark = pytest.mark.browser


def scan(live: LiveServer, office: str, counter: int | None = None) -> str:
    """What a phone camera reads off the code printed with `hailong qr`."""
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "qr.png"
        args = ["qr", office, "-o", str(png)] + (["--counter", str(counter)] if counter else [])
        env = {
            **os.environ,
            "HAILONG_DATABASE_URL": live.database_url,
            "HAILONG_PUBLIC_URL": live.url,
        }
        subprocess.run(
            [sys.executable, "-m", "app", *args], env=env, check=True, capture_output=True
        )
        [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.read_bytes())))
    return code.text


def answer_all(page, level: str = "Hài lòng", skip: tuple[str, ...] = ()) -> None:  # type: ignore[no-untyped-def]
    for key in SIX:
        if key not in skip:
            page.locator(f"#q-{key}").get_by_text(level, exact=True).click()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_scan_answer_submit_receipt(browser, live_server: LiveServer, javascript: bool) -> None:  # type: ignore[no-untyped-def]
    office = "E2E.01" if javascript else "E2E.02"
    url = scan(live_server, office, counter=2)
    assert url == f"{live_server.url}/s/{office}?counter=2"
    context = phone(browser, javascript=javascript)
    page = context.new_page()
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(httpx.URL(request.url).host))
    page.goto(url)
    assert page.get_by_role("heading", name="Bộ phận một cửa xã Thiệu Hóa").is_visible()
    assert page.get_by_text("Quầy 2").is_visible()
    answer_all(page, "Hài lòng")
    page.locator("#q-complies").get_by_text("Rất hài lòng", exact=True).click()
    assert page.get_by_role("radio", name="Rất hài lòng").nth(5).is_checked()
    page.get_by_label("Góp ý thêm (không bắt buộc)").fill("Cán bộ nhiệt tình, chu đáo")
    page.get_by_role("button", name="Gửi đánh giá").click()
    heading = page.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!")
    heading.wait_for()
    receipt = page.locator("[data-receipt]").get_attribute("data-receipt")
    assert receipt is not None
    assert re.fullmatch(r"[0-9A-Z]{10}", receipt)
    page.wait_for_url(re.compile(rf"/s/{re.escape(office)}/r/{receipt}$"))
    assert live_server.ballots(office) == 1
    assert hosts == {"127.0.0.1"}
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_double_click_stores_one_ballot(browser, live_server: LiveServer, javascript: bool) -> None:  # type: ignore[no-untyped-def]
    office = "E2E.03" if javascript else "E2E.04"
    context = phone(browser, javascript=javascript)
    page = context.new_page()
    page.goto(scan(live_server, office))
    answer_all(page, "Rất hài lòng")
    page.get_by_role("button", name="Gửi đánh giá").dblclick()
    page.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
    page.wait_for_timeout(300)
    assert live_server.ballots(office) == 1
    context.close()


def test_back_and_resubmit_keeps_one_ballot(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    office = "E2E.05"
    context = phone(browser, javascript=False)
    page = context.new_page()
    page.goto(scan(live_server, office))
    answer_all(page, "Hài lòng")
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
    first = page.locator("[data-receipt]").get_attribute("data-receipt")
    page.go_back()
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
    assert page.locator("[data-receipt]").get_attribute("data-receipt") == first
    assert live_server.ballots(office) == 1
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_missing_answer_is_shown_beside_the_question(
    browser, live_server: LiveServer, javascript: bool
) -> None:  # type: ignore[no-untyped-def]
    office = "E2E.06" if javascript else "E2E.07"
    context = phone(browser, javascript=javascript)
    page = context.new_page()
    page.goto(scan(live_server, office))
    answer_all(page, "Bình thường", skip=("attentive",))
    page.get_by_role("button", name="Gửi đánh giá").click()
    error = page.locator("#e-attentive")
    error.wait_for()
    assert "Xin Ông/Bà chọn một mức đánh giá cho câu này." in error.inner_text()
    # What the citizen chose is still chosen.
    assert page.locator('#q-polite input[value="3"]').is_checked()
    assert live_server.ballots(office) == 0
    page.locator("#q-attentive").get_by_text("Hài lòng", exact=True).click()
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
    assert live_server.ballots(office) == 1
    context.close()


def test_keyboard_only(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    office = "E2E.08"
    context = phone(browser)
    page = context.new_page()
    page.goto(scan(live_server, office))
    first_radio = page.locator('#q-polite input[type="radio"]').first
    first_radio.focus()
    for _ in range(6):
        page.keyboard.press("ArrowDown")  # moves and selects within the group...
        page.keyboard.press("ArrowUp")
        page.keyboard.press("Tab")  # ...Tab moves on to the next question's group
    assert page.locator("#q-complies input:checked").count() == 1
    page.get_by_role("button", name="Gửi đánh giá").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
    assert live_server.ballots(office) == 1
    context.close()


def test_unknown_office_page(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    context = phone(browser)
    page = context.new_page()
    response = page.goto(f"{live_server.url}/s/KHONG-CO")
    assert response is not None
    assert response.status == 404
    assert page.get_by_text("Không tìm thấy đơn vị này").is_visible()
    context.close()


def test_a_second_person_on_the_same_phone_gets_their_own_ballot(
    browser, live_server: LiveServer
) -> None:  # type: ignore[no-untyped-def]
    office = "E2E.12"
    context = phone(browser, javascript=True)
    page = context.new_page()
    url = scan(live_server, office)
    page.goto(url)
    answer_all(page, "Rất hài lòng")
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
    first = page.locator("[data-receipt]").get_attribute("data-receipt")
    # The phone is handed on: the form is opened again and answered differently.
    page.goto(url)
    answer_all(page, "Không hài lòng")
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
    second = page.locator("[data-receipt]").get_attribute("data-receipt")
    assert first
    assert second
    assert second != first
    assert live_server.ballots(office) == 2
    context.close()


# Each level's words as drawn: wider than their box means cut off.
CLIPPED = """() => [...document.querySelectorAll('.choice span')]
  .filter(s => s.scrollWidth > s.clientWidth + 1 || s.getBoundingClientRect().right >
    s.closest('.choice').getBoundingClientRect().right + 1)
  .map(s => s.textContent)"""


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_level_reads_whole_on_a_360_px_phone(  # type: ignore[no-untyped-def]
    browser, live_server: LiveServer, lang: str
) -> None:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="vi-VN"
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/s/E2E.25?lang={lang}")
        assert page.evaluate(CLIPPED) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        word = "Dissatisfied" if lang == "en" else "Không hài lòng"
        label = page.locator(f"#q-{SIX[0]}").get_by_text(word, exact=True)
        box = label.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 360
        answer_all(page, "Satisfied" if lang == "en" else "Hài lòng")  # every card still taps
    finally:
        context.close()
