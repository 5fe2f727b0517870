"""The public results on a 360 px phone with no JavaScript: found from /cong-khai, whole on the
screen without sideways scrolling, axe-clean, and honest about too few ballots."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PUBLIC_OFFICE, LiveServer
from tests.browser.test_accessibility import _check, _violations

pytestmark = pytest.mark.browser


def test_public_pages_read_on_a_phone_without_script(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    found: list[str] = []
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="vi-VN", java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/cong-khai")
        page.get_by_role("link", name="Bộ phận một cửa xã Thiệu Hóa").click()
        page.wait_for_url(f"{live_server.url}/cong-khai/{PUBLIC_OFFICE}")
        assert page.get_by_role("heading", name="Bộ phận một cửa xã Thiệu Hóa").is_visible()
        assert page.get_by_text("chưa đủ phiếu", exact=True).is_visible()
        assert page.get_by_role("link", name="bảng tính (CSV)").first.is_visible()
    finally:
        context.close()
    checker = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="vi-VN", bypass_csp=True
    )
    try:
        page = checker.new_page()
        for path in ("/cong-khai", f"/cong-khai/{PUBLIC_OFFICE}", "/cong-khai/du-lieu"):
            _check(page, live_server.url + path, found)
    finally:
        checker.close()
    assert found == []
    assert _violations  # the same checker as every other page
