"""A real server (its own process, group-commit writer and all) and Debian's Chromium driven by
Playwright on a phone-sized screen. With HAILONG_REQUIRE_BROWSER=1 (CI) a missing browser fails
the run instead of skipping it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from app.auth.service import create_user
from app.core.db import WRITE, build_engine
from app.models import UserCreate
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import register_catalog
from app.transparency.note import generate
from tests.conftest import fresh_database
from tests.factories import make_office
from tests.serving import serve

CHROMIUM = "/usr/bin/chromium"
REQUIRE = os.environ.get("HAILONG_REQUIRE_BROWSER") == "1"
OFFICES = [f"E2E.{n:02d}" for n in range(1, 31)]
PUBLIC_OFFICE = "E2E.22"
PASSWORD = "mat-khau-truong-bo-phan"
COUNTER_QR_SECONDS = 10
KIOSK_IDLE_SECONDS = 4
KIOSK_PROMPT_SECONDS = 3
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class LiveServer:
    url: str
    database_url: str
    engine: Engine

    def ballots(self, office: str) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM ballot JOIN office ON office.id = ballot.office_id "
                        "WHERE office.code = :code"
                    ),
                    {"code": office},
                ).scalar_one()
            )


@pytest.fixture(scope="session")
def live_server(backend: str, catalog: SurveyCatalog) -> Iterator[LiveServer]:
    url = fresh_database(backend, "live")
    engine = build_engine(url, pool_size=2)
    with Session(engine) as session:
        register_catalog(session, catalog)
        for code in OFFICES:
            office = make_office(
                session, catalog, code=code, name="Bộ phận một cửa xã Thiệu Hóa", counters=2
            )
            office.public = code == PUBLIC_OFFICE or None  # its results at /cong-khai
            session.add(office)
        create_user(
            session,
            UserCreate.model_construct(
                username="truongbophan", role="officer", office="E2E.09", password=PASSWORD
            ),
        )
        create_user(
            session,
            UserCreate.model_construct(
                username="thanhtra", role="inspector", office=None, password=PASSWORD
            ),
        )
        session.commit()
    keys = tempfile.TemporaryDirectory()
    key_file = Path(keys.name) / "log.key"
    key_file.write_text(generate("hailong.test/log")[0] + "\n")
    try:
        # Counter QRs change every 10 s here, and a kiosk asks after 4 s without a touch, so a
        # test sees each within seconds; the log signs a checkpoint every second.
        env = {
            "HAILONG_LOG_KEY_FILE": str(key_file),
            "HAILONG_LOG_SECONDS": "1",
            "HAILONG_COUNTER_QR_SECONDS": str(COUNTER_QR_SECONDS),
            "HAILONG_KIOSK_IDLE_SECONDS": str(KIOSK_IDLE_SECONDS),
            "HAILONG_KIOSK_PROMPT_SECONDS": str(KIOSK_PROMPT_SECONDS),
        }
        with serve(url, env=env) as base:
            # The tests write into the database while the server serves it: their sessions take
            # SQLite's write lock up front, as the app's writers do, so one that reads and then
            # writes waits for the server's writers instead of failing ("database is locked").
            writing = engine.execution_options(**WRITE)
            yield LiveServer(url=base, database_url=url, engine=writing)
    finally:
        engine.dispose()
        keys.cleanup()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM):
        if REQUIRE:
            pytest.fail(f"{CHROMIUM} is missing and HAILONG_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def phone(browser: object, *, javascript: bool = True, bypass_csp: bool = False):  # type: ignore[no-untyped-def]
    """A phone-sized context; ``bypass_csp`` lets a test inject a checker (axe-core)."""
    return browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
        java_script_enabled=javascript,
        bypass_csp=bypass_csp,
    )


def signed_in(  # type: ignore[no-untyped-def]
    browser: object,
    base: str,
    path: str,
    username: str = "thanhtra",
    *,
    width: int = 1280,
    height: int = 900,
    **options,
):
    """A desk-sized page of ``path`` (or ``width`` × ``height``), signed in on the way (staff
    pages send to the login); ``options`` go to the browser context (``bypass_csp``…)."""
    desk = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": width, "height": height}, locale="vi-VN", **options
    )
    page = desk.new_page()
    page.goto(f"{base}{path}")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}{path}")
    return desk, page
