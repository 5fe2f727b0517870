"""Public results at /cong-khai: only offices that publish (a setting inherited down the tree),
figures that equal a recount, "chưa đủ phiếu" under the minimum, nothing per person; open data
per month whose log counts follow the signed log."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.ballots.service import submit
from app.ballots.validation import Submission
from app.core.locale import VN_TZ
from app.integrity.exclusions import decide
from app.offices.service import update_office
from app.stats.periods import today
from app.surveys.catalog import SurveyCatalog
from app.transparency import sequencer
from app.transparency.note import Signer, generate
from tests.factories import make_office, make_user, six_answers

COMMENT = "Cán bộ Nguyễn Văn Bình gây khó dễ"


def _now() -> datetime:
    day = today()
    return datetime(day.year, day.month, min(day.day, 28), 8, tzinfo=VN_TZ).replace(day=1)


def _ballot(
    db: Session, catalog: SurveyCatalog, code: str, value: int, comment: str | None = None
) -> str:
    ballot, _ = submit(
        db,
        catalog,
        code,
        Submission(answers=six_answers(value), comment=comment),
        channel="web",
        idempotency_key=uuid.uuid4().hex,
        strict_replay=True,
        submitted_at=_now(),
    )
    return ballot.receipt


@pytest.fixture
def tree(app: FastAPI, db: Session, registered: SurveyCatalog) -> dict[str, list[str]]:
    app.state.hailong.log_version.seconds = 0  # every request reads the log's size
    make_office(db, registered, code="CK", name="Tỉnh Công Khai", kind="province")
    make_office(db, registered, code="CK.A", name="Xã An Bình", parent="CK")
    make_office(db, registered, code="CK.B", name="Xã Bình Yên", parent="CK")
    make_office(db, registered, code="CK.C", name="Xã Kín Đáo", parent="CK")
    receipts = {"CK.A": [], "CK.B": [], "CK.C": []}
    for _ in range(30):
        receipts["CK.A"].append(_ballot(db, registered, "CK.A", 4))
    for _ in range(10):
        receipts["CK.A"].append(_ballot(db, registered, "CK.A", 2, COMMENT))
    for _ in range(5):
        receipts["CK.B"].append(_ballot(db, registered, "CK.B", 5))
    receipts["CK.C"].append(_ballot(db, registered, "CK.C", 1))
    return receipts


def test_nothing_is_public_until_an_office_publishes(
    client: TestClient, db: Session, registered: SurveyCatalog, tree
) -> None:  # type: ignore[no-untyped-def]
    closed = client.get("/cong-khai/CK.A")
    assert closed.status_code == 404
    assert "Đơn vị này chưa công khai kết quả khảo sát." in closed.text
    assert "Chưa có đơn vị nào công khai kết quả." in client.get("/cong-khai").text
    assert client.get("/cong-khai/KHONG-CO").status_code == 404
    assert client.get(f"/cong-khai/CK/du-lieu/{today():%Y-%m}.csv").status_code == 404


def test_a_published_province_shows_its_units_figures_as_a_recount(
    client: TestClient, db: Session, registered: SurveyCatalog, tree
) -> None:  # type: ignore[no-untyped-def]
    update_office(db, "CK", registered, public="on")
    update_office(db, "CK.C", registered, public="off")
    index = client.get("/cong-khai")
    assert 'href="/cong-khai/CK"' in index.text
    province = client.get("/cong-khai/CK")
    assert province.status_code == 200
    assert "Xã An Bình" in province.text
    assert "Xã Bình Yên" in province.text
    assert "Xã Kín Đáo" not in province.text  # it does not publish
    unit = client.get("/cong-khai/CK.A").text
    # 30 ballots satisfied on six criteria, 10 not: 180 of 240 answers.
    assert "75,0\u00a0%" in unit
    assert "trên 40 phiếu" in unit
    assert COMMENT not in unit
    assert "Nguyễn" not in unit
    small = client.get("/cong-khai/CK.B").text
    assert "chưa đủ phiếu" in small
    assert "100,0\u00a0%" not in small  # 5 ballots: no share
    assert client.get("/cong-khai/CK.C").status_code == 404


def test_open_data_counts_what_the_signed_log_holds(
    client: TestClient, db: Session, registered: SurveyCatalog, tree
) -> None:  # type: ignore[no-untyped-def]
    update_office(db, "CK", registered, public="on")
    update_office(db, "CK.C", registered, public="off")
    month = f"{today():%Y-%m}"
    before = client.get(f"/cong-khai/CK/du-lieu/{month}.json").json()
    assert before["so_cong_khai"]["diem_kiem"] is None
    signer = Signer.parse(generate("hailong.example/log")[0])
    sequencer.append(db.connection())
    sequencer.sign(db.connection(), signer)
    got = client.get(f"/cong-khai/CK/du-lieu/{month}.json").json()
    rows = {row["ma_don_vi"]: row for row in got["dong"]}
    assert set(rows) == {"CK", "CK.A", "CK.B"}
    assert rows["CK.A"]["ty_le_hai_long"] == 0.75
    assert rows["CK.A"]["so_phieu_trong_so_open"] == 40
    assert rows["CK.A"]["diem_kiem"] == 46
    assert rows["CK.B"]["ty_le_hai_long"] is None
    assert rows["CK.B"]["du_phieu"] is False
    assert rows["CK"]["so_phieu"] == 46  # the province's sub-tree, its closed unit included
    assert COMMENT not in json.dumps(got, ensure_ascii=False)

    decide(db, registered, make_user(db, "inspector"), tree["CK.A"][0], "Phiếu thử", exclude=True)
    sequencer.append(db.connection())
    sequencer.sign(db.connection(), signer)
    text = client.get(f"/cong-khai/CK/du-lieu/{month}.csv").text
    table = {r["ma_don_vi"]: r for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
    assert table["CK.A"]["so_phieu_trong_so_open"] == "39"
    assert table["CK.A"]["diem_kiem"] == "47"
    assert (
        "39 phiếu" in client.get("/cong-khai/CK.A").text
        or "trên 39 phiếu" in client.get("/cong-khai/CK.A").text
    )


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/cong-khai/CK/du-lieu/2026-13.csv", 400),
        ("/cong-khai/CK/du-lieu/2999-01.csv", 404),
        ("/cong-khai/CK/du-lieu/2026-01.xml", 404),
    ],
)
def test_open_data_addresses_that_are_not_files(
    client: TestClient, db: Session, registered: SurveyCatalog, tree, path: str, status: int
) -> None:  # type: ignore[no-untyped-def]
    update_office(db, "CK", registered, public="on")
    assert client.get(path).status_code == status


def test_the_data_dictionary_names_every_column(client: TestClient) -> None:
    from app.publication.open_data import COLUMNS

    page = client.get("/cong-khai/du-lieu").text
    assert all(f"<code>{c}</code>" in page for c in COLUMNS)
    assert "CC BY 4.0" in page
