"""A citizen's receipt proves its ballot is in the public log: the receipt page offers the
proof within seconds of the checkpoint, and "Kiểm tra phiếu của tôi" checks it in Chromium
(WebCrypto's Ed25519 and SHA-256), refusing a changed proof or another receipt."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import LiveServer, phone
from tests.browser.test_citizen_form import answer_all
from tests.serving import wait_for

pytestmark = pytest.mark.browser


def _check(page, base: str, proof: Path, receipt: str) -> str:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/kiem-tra")
    page.get_by_label("Tệp bằng chứng").set_input_files(str(proof))
    page.get_by_label("Mã phiếu (không bắt buộc)").fill(receipt)
    page.get_by_role("button", name="Kiểm tra").click()
    result = page.locator("#verify-result h2")
    result.wait_for()
    return str(page.locator("#verify-result").inner_text())


def test_a_receipt_proves_its_ballot_in_the_browser(  # type: ignore[no-untyped-def]
    browser, live_server: LiveServer, tmp_path: Path
) -> None:
    office = "E2E.21"
    context = phone(browser)
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{office}")
    answer_all(page, "Hài lòng")
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
    receipt = page.locator("[data-receipt]").get_attribute("data-receipt") or ""
    url = f"{live_server.url}/s/{office}/r/{receipt}/proof"
    wait_for(lambda: httpx.get(url).status_code != 404, what="the receipt's proof never came")
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải bằng chứng").click()
    proof = tmp_path / "proof.tlog-proof"
    download.value.save_as(proof)
    assert proof.read_text().startswith("c2sp.org/tlog-proof@v1\n")

    text = _check(page, live_server.url, proof, f"{receipt[:5]}-{receipt[5:]}".lower())
    assert "Bằng chứng hợp lệ" in text
    assert "Mã phiếu Ông/Bà nhập khớp với phiếu này." in text
    assert re.search(rf"tại đơn vị mã {re.escape(office)} là mục thứ [\d.]+ trong sổ", text)

    assert "Bằng chứng không hợp lệ" in _check(page, live_server.url, proof, "ABCDEFGHJK")
    lines = proof.read_text().split("\n")
    extra = lines[1]  # "extra <base64 of the entry>": one character of the entry changed
    lines[1] = extra[:20] + ("A" if extra[20] != "A" else "B") + extra[21:]
    changed = tmp_path / "changed.tlog-proof"
    changed.write_text("\n".join(lines))
    text = _check(page, live_server.url, changed, "")
    assert "Bằng chứng không hợp lệ" in text
    assert "Lý do:" in text
    context.close()
