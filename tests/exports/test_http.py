from __future__ import annotations

import csv
import hashlib
import io

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import AuditEvent
from app.surveys.catalog import SurveyCatalog
from tests.exports.test_files import _setup
from tests.factories import bearer, make_user


def test_download_and_its_manifest(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    receipts = _setup(db, registered)
    headers = bearer(db, make_user(db, "inspector", "X-P"))
    params = "office=X-P&from=2026-05-01&to=2026-05-31"
    response = client.get(f"/api/v1/exports/ballots.csv?{params}", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r[7] for r in rows[1:]] == receipts
    snapshot = response.headers["x-export-snapshot"]
    manifest = client.get(
        f"/api/v1/exports/ballots.csv.manifest.json?{params}&snapshot={snapshot}",
        headers=headers,
    ).json()
    assert manifest["sha256"] == hashlib.sha256(response.content).hexdigest()
    assert manifest["rows"] == 4
    assert manifest["first_chain_hash"] == rows[1][-1]
    jsonl = client.get(f"/api/v1/exports/ballots.jsonl?{params}", headers=headers)
    assert len(jsonl.text.splitlines()) == 4
    assert [e.action for e in db.exec(select(AuditEvent)).all()].count("export") == 2


def test_exports_are_scoped(client: TestClient, db: Session, registered: SurveyCatalog) -> None:
    _setup(db, registered)
    stranger = bearer(db, make_user(db, "inspector", "X-A"))
    assert client.get("/api/v1/exports/ballots.csv?office=X-P", headers=stranger).status_code == 404
    assert client.get("/api/v1/exports/ballots.csv?office=X-A", headers=stranger).status_code == 200
    assert client.get("/api/v1/exports/ballots.xml?office=X-A", headers=stranger).status_code == 422


def test_summary_csv_matches_the_summary_api(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    _setup(db, registered)
    headers = bearer(db, make_user(db, "inspector"))
    params = "office=X-P&from=2026-05-01&to=2026-05-31"
    response = client.get(f"/api/v1/exports/summary.csv?{params}", headers=headers)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    api = client.get(
        "/api/v1/offices/X-A/summary?from=2026-05-01&to=2026-05-31", headers=headers
    ).json()
    mine = [r for r in rows if r["Mã đơn vị"] == "X-A"]
    assert len(mine) == 6
    for row, criterion in zip(mine, api["criteria"], strict=True):
        assert row["Tiêu chí"] == criterion["label"]
        assert int(row["Số trả lời"]) == criterion["answered"]
        assert float(row["Tỷ lệ hài lòng trở lên"]) == criterion["shares"]["satisfied_or_better"]
