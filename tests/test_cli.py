from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import BUILTIN_SURVEYS, get_settings
from app.core.db import get_engine
from app.models import Ballot, Dossier, Office
from tests.conftest import fresh_database

runner = CliRunner()


@pytest.fixture
def cli_db(backend: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = fresh_database(backend, "cli")
    monkeypatch.setenv("HAILONG_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield url
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


def _offices() -> dict[str, Office]:
    with Session(get_engine()) as session:
        return {o.code: o for o in session.exec(select(Office)).scalars()}


def test_office_add_and_list(cli_db: str) -> None:
    assert run("office", "add", "38", "Tỉnh Thanh Hóa", "--kind", "province")[0] == 0
    code, out = run(
        "office",
        "add",
        "000.00.06.H56",
        "Sở Xây dựng",
        "--parent",
        "38",
        "--kind",
        "department",
        "--survey",
        "sipas",
        "--counters",
        "2",
    )
    assert code == 0, out
    code, out = run("office", "list")
    assert "000.00.06.H56,Sở Xây dựng,38,department,sipas" in out
    code, out = run("office", "add", "X1", "Tên", "--kind", "huyen-cu")
    assert code == 1
    assert "kind 'huyen-cu'" in out
    code, out = run("office", "add", "38", "Trùng mã")
    assert code == 1
    assert "already exists" in out


def test_office_update(cli_db: str) -> None:
    run("office", "add", "38", "Tỉnh Thanh Hóa", "--kind", "province")
    run("office", "add", "16003", "Xã Thiệu Hóa", "--parent", "38", "--kind", "commune")
    run("office", "add", "16003.MC", "Một cửa", "--parent", "16003")
    code, out = run(
        "office",
        "update",
        "16003.MC",
        "--name",
        "Bộ phận một cửa xã Thiệu Hóa",
        "--survey",
        "sipas",
        "--counters",
        "3",
    )
    assert code == 0, out
    office = _offices()["16003.MC"]
    assert (office.name, office.survey_key) == ("Bộ phận một cửa xã Thiệu Hóa", "sipas")
    assert run("office", "update", "16003.MC", "--inherit-survey")[0] == 0
    assert _offices()["16003.MC"].survey_key is None
    code, out = run("office", "update", "38", "--parent", "16003.MC")
    assert code == 1
    assert "cannot sit under itself" in out
    assert run("office", "update", "NOPE", "--name", "x")[0] == 1
    assert run("office", "update", "38", "--survey", "sipas", "--inherit-survey")[0] == 2


def test_office_import(cli_db: str, tmp_path: Path) -> None:
    good = tmp_path / "offices.csv"
    good.write_text(
        "code,name,parent,kind,survey\n"
        "16003.MC,Bộ phận một cửa xã Thiệu Hóa,16003,,\n"
        "16003,Xã Thiệu Hóa,38,commune,\n"
        "38,Tỉnh Thanh Hóa,,province,\n",
        encoding="utf-8",
    )
    code, out = run("office", "import", str(good))
    assert code == 0, out
    assert "imported 3 offices" in out
    assert _offices()["16003.MC"].name == "Bộ phận một cửa xã Thiệu Hóa"

    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,parent,kind,survey\nA1,Một,,,\nA2,Hai,,,khong-co\n", encoding="utf-8")
    code, out = run("office", "import", str(bad))
    assert code == 1
    assert "nothing imported" in out
    assert "line 3: survey 'khong-co'" in out
    assert "A1" not in _offices()

    one = tmp_path / "one.csv"
    one.write_text("code,name,parent,kind,survey\nA3,Ba,38,,\n", encoding="utf-8")
    code, out = run("office", "import", str(one))
    assert "imported 1 office from" in out


def test_office_list_imports_back_with_update(cli_db: str, tmp_path: Path) -> None:
    run("office", "add", "38", "Tỉnh Thanh Hóa", "--kind", "province")
    run("office", "add", "16003", "Xã Thiệu Hóa", "--parent", "38", "--kind", "commune")
    code, listed = run("office", "list")
    assert code == 0
    exported = tmp_path / "offices.csv"
    exported.write_text(
        listed.replace("Xã Thiệu Hóa", "Xã Thiệu Hóa (mới)") + "16003.MC,Một cửa,16003,,sipas\n",
        encoding="utf-8",
    )
    code, out = run("office", "import", str(exported))
    assert code == 1
    assert "already exists (--update changes it)" in out
    assert "16003.MC" not in _offices()  # all or nothing
    code, out = run("office", "import", "--update", str(exported))
    assert code == 0, out
    assert "imported 1 office from" in out
    assert "updated 2 offices" in out
    offices = _offices()
    assert offices["16003"].name == "Xã Thiệu Hóa (mới)"
    assert offices["16003.MC"].survey_key == "sipas"
    assert offices["16003"].parent_id == offices["38"].id


def test_user_password_resets_and_is_logged(cli_db: str) -> None:
    from app.auth.service import login
    from app.models import AuditEvent

    add = ["user", "add", "canbo", "--role", "admin", "--password-stdin"]
    result = runner.invoke(cli, add, input="cu-mat-khau-1\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        cli, ["user", "password", "canbo", "--password-stdin"], input="moi-mat-khau-2\n"
    )
    assert result.exit_code == 0, result.output
    with Session(get_engine()) as session:
        assert login(session, "canbo", "moi-mat-khau-2", "127.0.0.1").user is not None
        assert login(session, "canbo", "cu-mat-khau-1", "127.0.0.1").user is None
        actions = [e.action for e in session.exec(select(AuditEvent)).scalars()]
    assert "password_reset" in actions
    short = runner.invoke(cli, ["user", "password", "canbo", "--password-stdin"], input="ngan\n")
    assert short.exit_code == 1
    reset = ["user", "password", "khong-co", "--password-stdin"]
    missing = runner.invoke(cli, reset, input="x" * 12)
    assert missing.exit_code == 1
    assert "error: no user 'khong-co'" in missing.output


def test_errors_share_one_style(cli_db: str) -> None:
    code, out = run("office", "update", "NOPE", "--name", "x")
    assert code == 1
    assert "error: no office with code 'NOPE'" in out


def test_qr_png_and_svg(cli_db: str, tmp_path: Path) -> None:
    run("office", "add", "000.06.01.H56", "Bộ phận một cửa", "--counters", "3")
    png = tmp_path / "qr.png"
    code, out = run("qr", "000.06.01.H56", "--counter", "3", "-o", str(png))
    assert code == 0, out
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.read_bytes())))
    assert decoded.text == "http://testserver/s/000.06.01.H56?counter=3"
    svg = tmp_path / "qr.svg"
    assert run("qr", "000.06.01.H56", "--format", "svg", "-o", str(svg))[0] == 0
    assert svg.read_text().lstrip().startswith("<?xml")
    assert run("qr", "NOPE", "-o", str(png))[0] == 1
    assert run("qr", "000.06.01.H56", "--counter", "9", "-o", str(png))[0] == 1


def test_demo_loads_once(cli_db: str) -> None:
    code, out = run("demo", "--if-empty", "--ballots", "120")
    assert code == 0, out
    assert "120 ballots" in out
    assert re.search(r"demo\.admin +admin +\S{12,}", out)
    with Session(get_engine()) as session:
        demo = session.exec(
            select(func.count()).select_from(Ballot).where(Ballot.is_demo)
        ).scalar_one()
    assert demo == 120
    # Ballots of every source, dossiers rated and not, and a counter screen that opens.
    with Session(get_engine()) as session:
        sources = set(session.exec(select(Ballot.source)).scalars())
        dossiers = session.exec(select(func.count()).select_from(Dossier)).scalar_one()
        late = session.exec(
            select(func.count()).select_from(Dossier).where(Dossier.returned_at > Dossier.due_at)
        ).scalar_one()
    assert sources == {"open", "counter", "dossier", "kiosk"}
    assert dossiers > 30
    assert 0 < late < dossiers
    # The demo screen's address carries its own secret, to draw its QR offline.
    screen = re.search(r"/device/(hld_[A-Za-z0-9_-]+)#k=[A-Za-z0-9_-]{43}\s", out)
    assert screen is not None
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app()) as client:
        page = client.get(f"/device/{screen.group(1)}")
        public = client.get("/cong-khai/38")  # the demo province publishes its results
    assert page.status_code == 200
    assert "Quầy" in page.text
    assert 'data-keyed="1"' in page.text
    assert public.status_code == 200
    assert "Tỉnh Thanh Hóa (dữ liệu mẫu)" in public.text
    code, out = run("demo", "--if-empty")
    assert code == 0
    assert "not loaded" in out
    assert run("demo")[0] == 1


def test_serve_first_sends_a_newcomer_to_a_six_criteria_form(
    cli_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's printed citizen form is the under-a-minute one, not SIPAS's 22 questions."""
    import uvicorn
    from fastapi.testclient import TestClient

    from app.main import create_app

    assert run("demo", "--ballots", "10")[0] == 0
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    code, out = run("serve")
    assert code == 0, out
    form = re.search(r"citizen form: +\S+/s/(\S+)", out)
    assert form is not None
    with TestClient(create_app()) as client:
        page = client.get(f"/s/{form.group(1)}").text
    assert page.count('<fieldset class="q') == 6


def test_stats_rebuild_recounts_what_the_writer_stored(cli_db: str) -> None:
    from tests.stats.recount import (
        recount_compared,
        recount_moments,
        stored,
        stored_compared,
        stored_dossiers,
        stored_moments,
    )

    assert run("demo", "--ballots", "60")[0] == 0
    with get_engine().connect() as conn:
        before, moments, compared = stored(conn), stored_moments(conn), stored_compared(conn)
        dossiers = stored_dossiers(conn)
    code, out = run("stats", "rebuild")
    assert code == 0, out
    assert "recounted 60 ballots and " in out
    with get_engine().connect() as conn:
        assert stored(conn) == before
        assert stored_moments(conn) == moments
        assert stored_compared(conn) == compared
        assert stored_dossiers(conn) == dossiers
        assert dossiers
        catalog = get_settings()
        from app.surveys.catalog import load_catalog

        criteria = load_catalog(catalog.surveys_dir, catalog.default_survey).criteria
        assert moments == recount_moments(conn, criteria)
        assert compared == recount_compared(conn, criteria)
        assert compared


def test_surveys_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run("surveys", "check")
    assert code == 0
    assert "sipas@1" in out
    broken = tmp_path / "surveys"
    broken.mkdir()
    text = (BUILTIN_SURVEYS / "cong-chuc.toml").read_text(encoding="utf-8")
    (broken / "cong-chuc.toml").write_text(text.replace('scale = "5-muc"', "scale = 5"))
    monkeypatch.setenv("HAILONG_SURVEYS_DIR", str(broken))
    get_settings.cache_clear()
    try:
        code, out = run("surveys", "check")
    finally:
        get_settings.cache_clear()
    assert code == 1
    assert "cong-chuc.toml: scale:" in out


def test_python_dash_m_app() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "office" in result.stdout


def test_users_and_tokens(cli_db: str) -> None:
    run("office", "add", "38", "Tỉnh Thanh Hóa", "--kind", "province")
    result = runner.invoke(
        cli,
        ["user", "add", "thanhtra", "--role", "inspector", "--office", "38", "--password-stdin"],
        input="mot-mat-khau-dai\n",
    )
    assert result.exit_code == 0, result.output
    bad = runner.invoke(
        cli, ["user", "add", "canbo", "--role", "officer", "--password-stdin"], input="x" * 12
    )
    assert bad.exit_code == 1
    assert "bound to an office" in bad.output
    created = runner.invoke(cli, ["token", "create", "thanhtra", "--name", "báo cáo"])
    assert created.exit_code == 0
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("hl_")
    assert created.stdout.strip() == token  # alone on stdout
    _, out = run("token", "list", "thanhtra")
    assert "active" in out
    assert token not in out
    token_id = out.split("\t")[0]
    assert run("token", "revoke", token_id)[0] == 0
    assert "revoked" in run("token", "list", "thanhtra")[1]


def test_default_secret_is_refused_outside_development() -> None:
    env = {**os.environ, "HAILONG_ENV": "production", "HAILONG_SECRET_KEY": "short"}
    result = subprocess.run(
        [sys.executable, "-m", "app", "surveys", "check"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert "HAILONG_SECRET_KEY must be a random value" in result.stderr


def test_verify_db(cli_db: str) -> None:
    from sqlalchemy import text

    assert run("demo", "--ballots", "60")[0] == 0
    code, out = run("verify", "--db")
    assert code == 0, out
    assert "ok: 60 ballots" in out
    assert run("verify")[0] == 2
    assert run("verify", "--db", "--office", "NOPE")[0] == 1
    with get_engine().begin() as conn:
        receipt = conn.execute(text("SELECT receipt FROM ballot ORDER BY id LIMIT 1")).scalar()
        conn.execute(text("UPDATE ballot SET comment = 'sửa' WHERE receipt = :r"), {"r": receipt})
    code, out = run("verify", "--db")
    assert code == 1
    assert "EDITED   office" in out
    assert receipt in out


def test_export_and_verify_a_file(cli_db: str, tmp_path: Path) -> None:
    from sqlalchemy import text

    assert run("demo", "--ballots", "80")[0] == 0
    out_file = tmp_path / "phieu.csv"
    code, out = run(
        "export",
        "ballots",
        "--office",
        "38",
        "--from",
        "2020-01-01",
        "--format",
        "csv",
        "-o",
        str(out_file),
    )
    assert code == 0, out
    # It says what it exported: which survey, which days.
    said = r"\d+ ballots of surveys? [a-z, -]*cong-chuc.*, 2020-01-01\.\.\d{4}-"
    assert re.search(said, out), out
    manifest = tmp_path / "phieu.csv.manifest.json"
    assert manifest.exists()
    assert run("verify", str(out_file))[0] == 0
    with get_engine().begin() as conn:
        conn.execute(text("DELETE FROM answer WHERE ballot_id = (SELECT max(id) FROM ballot)"))
    code, out = run("verify", str(out_file))
    assert code == 1
    assert "EDITED" in out
    summary = tmp_path / "tong-hop.csv"
    code, out = run(
        "export", "summary", "--office", "38", "--from", "2020-01-01", "-o", str(summary)
    )
    assert code == 0, out
    assert "Công chức có thái độ giao tiếp lịch sự" in summary.read_text(encoding="utf-8-sig")
    workbook = tmp_path / "tong-hop.xlsx"
    code, out = run(
        "export",
        "summary",
        "--office",
        "38",
        "--from",
        "2020-01-01",
        "--format",
        "xlsx",
        "-o",
        str(workbook),
    )
    assert code == 0, out
    sheet = load_workbook(workbook).worksheets[0]
    assert "Công chức có thái độ giao tiếp lịch sự" in [c.value for c in sheet["H"]]
    log = tmp_path / "nhat-ky.csv"
    code, out = run("export", "audit", "--from", "2020-01-01", "-o", str(log))
    assert code == 0, out
    logged = list(csv.DictReader(io.StringIO(log.read_text(encoding="utf-8-sig"))))
    # The exports, and the demo data issuing its integration and devices.
    assert {r["Tài khoản"] for r in logged} == {"cli", "demo"}
    assert any(r["Đối tượng"].startswith("summary 38 2020-01-01..") for r in logged)
    assert run("export", "ballots", "-o", str(out_file))[0] == 2  # which office?
    assert (
        run("export", "summary", "--office", "38", "--format", "jsonl", "-o", str(summary))[0] == 2
    )
    assert run("export", "report", "--office", "38", "-o", str(summary))[0] == 2
    assert (
        run("export", "ballots", "--office", "38", "--format", "xml", "-o", str(out_file))[0] == 1
    )
