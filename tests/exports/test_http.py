from __future__ import annotations

import csv
import hashlib
import io
from datetime import datetime

from fastapi.testclient import TestClient
from openpyxl import load_workbook
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
    assert "content-encoding" not in response.headers  # never gzipped on the event loop
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r[rows[0].index("Mã phiếu")] for r in rows[1:]] == receipts
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
    # What the figures cover, in words: the criteria the surveys share.
    assert {r["Mẫu phiếu"] for r in rows} == {registered.criteria["cong-chuc"].title_vi}
    for row, criterion in zip(mine, api["criteria"], strict=True):
        assert row["Tiêu chí"] == criterion["label"]
        assert int(row["Số trả lời"]) == criterion["answered"]
        assert float(row["Tỷ lệ hài lòng trở lên"]) == criterion["shares"]["satisfied_or_better"]


def test_summary_xlsx_matches_the_csv(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    _setup(db, registered)
    headers = bearer(db, make_user(db, "inspector"))
    params = "office=X-P&from=2026-05-01&to=2026-05-31"
    as_csv = client.get(f"/api/v1/exports/summary.csv?{params}", headers=headers)
    as_xlsx = client.get(f"/api/v1/exports/summary.xlsx?{params}", headers=headers)
    assert as_xlsx.status_code == 200
    assert as_xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'tong-hop-X-P-2026-05-01-2026-05-31.xlsx"' in as_xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    expected = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert [str(h) for h in rows[0]] == expected[0]
    assert sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2"
    assert len(rows) == len(expected) > 1
    share_at = expected[0].index("Tỷ lệ hài lòng trở lên")
    for got, want in zip(rows[1:], expected[1:], strict=True):
        assert got[0] == want[0]
        assert got[7] == want[7]
        assert got[2] == datetime(2026, 5, 1)  # a real date
        assert got[5] == int(want[5])  # a real number
        assert (got[share_at] is None) == (want[share_at] == "")
        if got[share_at] is not None:
            assert round(got[share_at], 6) == float(want[share_at])
    assert sheet.cell(2, share_at + 1).number_format == "0.0%"


def test_summary_refuses_an_unknown_survey(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    _setup(db, registered)
    headers = bearer(db, make_user(db, "inspector"))
    response = client.get("/api/v1/exports/summary.xlsx?office=X-P&survey=nope", headers=headers)
    assert response.status_code == 422
    assert "survey" in response.json()["detail"]
    assert client.get("/api/v1/exports/summary.pdf?office=X-P", headers=headers).status_code == 422


def test_a_stream_cut_short_says_so_in_the_file(
    client: TestClient, db: Session, registered: SurveyCatalog, monkeypatch
) -> None:
    from app.exports import formats

    _setup(db, registered)
    headers = bearer(db, make_user(db, "inspector", "X-P"))

    def failing(fmt: str):  # type: ignore[no-untyped-def]
        real = formats.FORMATS[fmt]

        def stream(conn, export):  # type: ignore[no-untyped-def]
            iterator = real(conn, export)
            yield next(iterator)
            iterator.close()  # as a failure inside it would: its cursor closed in its transaction
            raise ConnectionError("the database went away")

        return stream

    for fmt in ("csv", "jsonl"):
        monkeypatch.setitem(formats.FORMATS, fmt, failing(fmt))
    params = "office=X-P&from=2026-05-01&to=2026-05-31"

    def received(fmt: str) -> bytes:
        """What the client got before the connection was aborted."""
        body = b""
        try:
            with client.stream(
                "GET", f"/api/v1/exports/ballots.{fmt}?{params}", headers=headers
            ) as response:
                for chunk in response.iter_bytes():
                    body += chunk
        except Exception:
            pass
        return body

    assert "KHÔNG ĐẦY ĐỦ" in received("csv").decode("utf-8-sig")
    assert b'"error": "export_interrupted"' in received("jsonl")


def test_ballots_of_every_survey_by_default(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    import uuid
    from datetime import datetime

    from app.ballots.service import submit
    from app.ballots.validation import Submission
    from app.core.locale import VN_TZ
    from tests.factories import make_office, six_answers

    make_office(db, registered, code="MX", kind="province")
    make_office(db, registered, code="MX.CC", parent="MX")
    make_office(db, registered, code="MX.SP", parent="MX", survey="sipas")
    sipas = {q.key: 4 for q in registered.surveys["sipas"].questions if q.required}
    for code, answers in (("MX.CC", six_answers(5)), ("MX.SP", sipas)):
        submit(
            db,
            registered,
            code,
            Submission(answers=answers),
            channel="api",
            idempotency_key=uuid.uuid4().hex,
            strict_replay=True,
            submitted_at=datetime(2026, 5, 6, 9, tzinfo=VN_TZ),
        )
    headers = bearer(db, make_user(db, "inspector", "MX"))
    params = "office=MX&from=2026-05-01&to=2026-05-31"
    both = client.get(f"/api/v1/exports/ballots.csv?{params}", headers=headers)
    rows = list(csv.reader(io.StringIO(both.content.decode("utf-8-sig"))))
    titles = [registered.surveys[key].title_vi for key in ("cong-chuc", "sipas")]
    at = rows[0].index("Mẫu phiếu")
    assert sorted(r[at] for r in rows[1:]) == sorted(titles)
    # One column per question of either survey: the six first, then SIPAS's other sixteen;
    # then where each came from (a source, no device or software) and the rest.
    assert len(rows[0]) == 8 + 22 + 1 + 1  # no counter; the source, the chain hash
    manifest = client.get(
        f"/api/v1/exports/ballots.csv.manifest.json?{params}"
        f"&snapshot={both.headers['x-export-snapshot']}",
        headers=headers,
    ).json()
    assert manifest["sha256"] == hashlib.sha256(both.content).hexdigest()
    assert manifest["filters"]["surveys"] == ["cong-chuc", "sipas"]
    one = client.get(f"/api/v1/exports/ballots.csv?{params}&survey=sipas", headers=headers)
    rows = list(csv.reader(io.StringIO(one.content.decode("utf-8-sig"))))
    assert [r[at] for r in rows[1:]] == [titles[1]]
