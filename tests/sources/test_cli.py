"""The intake commands, as an administrator runs them on the server."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from app.core.db import get_engine
from app.main import create_app
from app.models import AuditEvent, Dossier
from tests.test_cli import cli_db, run  # noqa: F401 - the fixture

FILE = """dossier_code,procedure_code,field,officer_code,counter,received_at,returned_at
000.00.12.H56-261101-0001,1.001776,Hộ tịch,CB01,1,2026-11-01T08:00:00+07:00,
000.00.12.H56-261101-0002,1.001776,Hộ tịch,CB02,,2026-11-01T09:00:00+07:00,2026-11-03T10:00:00+07:00
"""


def _setup() -> None:
    assert run("office", "add", "38", "Tỉnh Thanh Hóa", "--kind", "province")[0] == 0
    assert run("office", "add", "38.TH", "Một cửa xã Thiệu Hóa", "--parent", "38")[0] == 0
    assert run("office", "update", "38.TH", "--counters", "2")[0] == 0


def test_integrations_devices_and_dossiers_from_the_command_line(
    cli_db: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    _setup()
    code, out = run("integration", "add", "Một cửa điện tử", "--office", "38")
    assert code == 0, out
    token = out.strip().splitlines()[-1]
    assert token.startswith("hli_")
    code, out = run("integration", "list")
    assert "active" in out
    assert token not in out

    code, out = run(
        "device",
        "add",
        "Màn hình quầy 1",
        "--office",
        "38.TH",
        "--kind",
        "counter-screen",
        "--counter",
        "1",
    )
    assert code == 0, out
    device_token = out.strip().splitlines()[-1]
    assert f"/device/{device_token}" in out
    assert run("device", "add", "X", "--office", "38.TH", "--kind", "counter-screen")[0] == 1
    assert (
        run("device", "add", "X", "--office", "38.TH", "--kind", "kiosk", "--counter", "9")[0] == 1
    )
    assert run("device", "add", "X", "--office", "38.TH", "--kind", "toaster")[0] == 1
    # Every kind of device is told the address to open on it, a kiosk too.
    for kind in ("kiosk", "display"):
        code, out = run("device", "add", f"Máy {kind}", "--office", "38.TH", "--kind", kind)
        assert code == 0, out
        token = out.strip().splitlines()[-1]
        # A kiosk gets its own secret in the fragment (it signs what it queues offline); a
        # display, which needs the network anyway, none.
        fragment = r"#k=[A-Za-z0-9_-]{43}" if kind == "kiosk" else ""
        assert re.search(rf"open on the device: http\S+/device/{re.escape(token)}{fragment}\n", out)

    source = tmp_path / "hoso.csv"
    source.write_text(FILE, encoding="utf-8")
    code, out = run("dossiers", "import", str(source), "--office", "38.TH")
    assert code == 0, out
    assert "registered 2 dossiers for 38.TH" in out
    table = "".join(line for line in out.splitlines(True) if not line.startswith("registered"))
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [r["dossier_code"] for r in rows] == [
        "000.00.12.H56-261101-0001",
        "000.00.12.H56-261101-0002",
    ]
    assert all("/r/" in r["rating_url"] for r in rows)
    bad = tmp_path / "sai.csv"
    bad.write_text("dossier_code,counter\nx,1\nHS-0003,7\n", encoding="utf-8")
    code, out = run("dossiers", "import", str(bad), "--office", "38.TH")
    assert code == 1
    assert "line 2" in out

    with Session(get_engine()) as session:
        assert len(session.exec(select(Dossier)).all()) == 2
        actions = [e.action for e in session.exec(select(AuditEvent)).scalars()]
    assert actions.count("integration_add") == 1
    assert actions.count("device_add") == 3
    assert actions.count("dossiers_import") == 1

    # The printed link works once, through the app.
    with TestClient(create_app()) as client:
        link = rows[0]["rating_url"].split("/r/", 1)[1]
        assert client.get(f"/r/{link}").status_code == 200
        screen = client.get(f"/device/{device_token}")
        assert screen.status_code == 200
        assert "<svg" in screen.text
        assert run("device", "revoke", "1")[0] == 0
        assert run("device", "revoke", "1")[0] == 1  # already
        assert run("integration", "revoke", "1")[0] == 0


def test_offline_links_minted_with_the_integrations_key(
    cli_db: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    _setup()
    private = tmp_path / "mot-cua.pem"
    code, public = run("integration", "keygen", "--private-key", str(private))
    assert code == 0
    assert public.startswith("-----BEGIN PUBLIC KEY-----")
    (tmp_path / "pub.pem").write_text(public)
    code, out = run(
        "integration", "add", "Một cửa", "--office", "38", "--public-key", str(tmp_path / "pub.pem")
    )
    assert code == 0, out
    code, url = run(
        "integration",
        "sign",
        "1",
        "--private-key",
        str(private),
        "--office",
        "38.TH",
        "--dossier",
        "000.00.12.H56-261101-0009",
        "--counter",
        "2",
        "--officer",
        "CB07",
    )
    assert code == 0, url
    token = url.strip().split("/r/", 1)[1]
    assert len(url.strip()) < 200
    with TestClient(create_app()) as client:
        page = client.get(f"/r/{token}")
        assert page.status_code == 200
        assert "gắn với hồ sơ" in page.text
        assert run("integration", "revoke", "1")[0] == 0
    with TestClient(create_app()) as client:  # a fresh process: nothing cached
        assert client.get(f"/r/{token}").status_code == 400


def test_counting_policy_and_heads_from_the_command_line(cli_db: str) -> None:  # noqa: F811
    from app.models import Office, User

    _setup()
    assert run("office", "update", "38", "--count", "counter,dossier")[0] == 0
    code, out = run("office", "update", "38", "--count", "open,fax")
    assert code == 1
    assert "fax" in out
    with Session(get_engine()) as session:
        office = session.exec(select(Office).where(Office.code == "38")).scalars().one()
        assert office.count_sources == "counter,dossier"
        actions = [e.action for e in session.exec(select(AuditEvent)).scalars()]
    assert actions.count("count_policy") == 1
    assert run("office", "update", "38", "--count", "inherit")[0] == 0
    from typer.testing import CliRunner

    from app.cli import cli

    made = CliRunner().invoke(
        cli,
        [
            "user",
            "add",
            "truong",
            "--role",
            "officer",
            "--office",
            "38.TH",
            "--head",
            "--password-stdin",
        ],
        input="mat-khau-dai-lam-nhe\n",
    )
    assert made.exit_code == 0, made.output
    refused = CliRunner().invoke(
        cli,
        ["user", "add", "x", "--role", "inspector", "--head", "--password-stdin"],
        input="mat-khau-dai-lam-nhe\n",
    )
    assert refused.exit_code == 2
    with Session(get_engine()) as session:
        user = session.exec(select(User).where(User.username == "truong")).scalars().one()
        assert user.is_head
        office = session.exec(select(Office).where(Office.code == "38")).scalars().one()
        assert office.count_sources is None
