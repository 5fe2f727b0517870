"""The screenshots in docs/, taken from a fresh demo in Debian's Chromium (never by hand):

    make screenshots        (or: .venv/bin/python scripts/screenshots.py [--out docs])

A new SQLite file gets the demo province (``hailong demo``), an inspector and a lobby display;
a server runs on it for the time of the shots. Shots: the lobby display on a 1920x1080 TV, an
office dashboard on a desk screen, the printed units ranking (its first A4 page, and the whole
PDF), and the citizen form on a 360 px phone."""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "anh-chup-man-hinh-2026"
UNIT = "16003.MC"  # the demo's one-stop unit of xã Thiệu Hóa
PROVINCE = "38"


def _hailong(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return done.stdout + done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(base: str) -> None:
    for _ in range(100):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "HAILONG_DATABASE_URL": f"sqlite:///{tmp}/demo.db",
            "HAILONG_PUBLIC_URL": base,
        }
        _hailong(env, "migrate")
        _hailong(env, "demo")
        _hailong(
            env, "user", "add", "thanhtra.anh", "--role", "inspector", "--password-stdin",
            stdin=PASSWORD,
        )  # fmt: skip
        added = _hailong(env, "device", "add", "TV sảnh chờ", "--office", UNIT, "--kind", "display")
        display = re.search(r"/device/(hld_\S+)", added)
        assert display, added
        server = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait(base)
            _shoot(base, display.group(1), args.out)
        finally:
            server.terminate()
            server.wait(timeout=20)
    print(f"screenshots written to {args.out}")


def _shoot(base: str, display: str, out: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        tv = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
        tv.goto(f"{base}/device/{display}")
        tv.wait_for_selector("#figures[data-connected=true]")
        tv.screenshot(path=out / "display.png")

        phone = browser.new_context(
            viewport={"width": 360, "height": 740},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="vi-VN",
        ).new_page()
        phone.goto(f"{base}/s/{UNIT}")
        phone.locator("#q-polite").get_by_text("Rất hài lòng", exact=True).click()
        phone.locator("#q-attentive").get_by_text("Hài lòng", exact=True).click()
        phone.evaluate("window.scrollTo(0, 0)")
        phone.screenshot(path=out / "form-phone.png")

        desk = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")
        desk.goto(f"{base}/login")
        desk.get_by_label("Tên đăng nhập").fill("thanhtra.anh")
        desk.get_by_label("Mật khẩu").fill(PASSWORD)
        desk.get_by_role("button", name="Đăng nhập").click()
        desk.wait_for_url(f"{base}/staff")
        desk.goto(f"{base}/staff/offices/{UNIT}?period=month")
        desk.screenshot(path=out / "dashboard.png", full_page=True)
        desk.goto(f"{base}/staff/offices/{PROVINCE}/units/report?period=year")
        desk.pdf(path=out / "ranking.pdf", prefer_css_page_size=True)
        desk.emulate_media(media="print")
        desk.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
        desk.screenshot(path=out / "ranking.png")
        browser.close()


if __name__ == "__main__":
    main()
