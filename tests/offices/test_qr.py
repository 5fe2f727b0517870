from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session

from app.offices.qr import qr_image, survey_url
from app.surveys.catalog import SurveyCatalog
from tests.factories import make_office, make_user, sign_in


def decode_png(data: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))
    assert len(results) == 1
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    return results[0].text


def test_png_decodes_to_the_survey_url() -> None:
    url = survey_url("https://hailong.thanhhoa.gov.vn", "000.00.06.H56", 3)
    assert url == "https://hailong.thanhhoa.gov.vn/s/000.00.06.H56?counter=3"
    assert decode_png(qr_image(url, "png")) == url


def test_svg_is_an_svg_document() -> None:
    root = ET.fromstring(qr_image("http://x/s/A", "svg"))
    assert root.tag.endswith("svg")


def test_staff_url_serves_the_same_image(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered, counters=2)
    sign_in(client, make_user(db, "officer", office.code))
    response = client.get(f"/staff/offices/{office.code}/qr.png?counter=2")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert decode_png(response.content) == f"http://testserver/s/{office.code}?counter=2"
    svg = client.get(f"/staff/offices/{office.code}/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert client.get(f"/staff/offices/{office.code}/qr.png?counter=9").status_code == 404
    # An unknown code is refused like one out of scope, so codes cannot be probed.
    assert client.get("/staff/offices/NOPE/qr.png").status_code == 403
    poster = client.get(f"/staff/offices/{office.code}/poster")
    assert poster.status_code == 200
    assert "Quét mã QR" in poster.text
