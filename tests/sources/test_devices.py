"""The lobby display and the kiosk, opened with their device's address (never a staff login)."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.ballots.service import submit
from app.ballots.validation import Submission
from app.models import Ballot
from app.models.types import utcnow
from app.offices.service import update_office
from app.sources.service import add_device, revoke_device
from app.surveys.catalog import SurveyCatalog
from tests.factories import form_fields, form_key, make_office, six_answers

HTMX = {"HX-Request": "true"}


def _ballots(db: Session, catalog: SurveyCatalog, code: str, values: list[int]) -> None:
    for value in values:
        submit(
            db,
            catalog,
            code,
            Submission(answers=six_answers(value), comment="Cán bộ <b>Nguyễn Văn A</b> chậm"),
            channel="api",
            idempotency_key=uuid.uuid4().hex,
            strict_replay=True,
            submitted_at=utcnow(),
        )


def test_lobby_display_shows_the_public_what_it_understands(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered, name="Bộ phận một cửa xã Đông Hòa")
    _ballots(db, registered, office.code, [4] * 30 + [5] * 8 + [2] * 2)
    token, _ = add_device(db, "TV sảnh", office.code, "display", None, by="test")
    db.commit()
    page = client.get(f"/device/{token}")  # no staff session
    assert page.status_code == 200
    html = page.text
    assert 'class="lobby"' in html
    assert "Bộ phận một cửa xã Đông Hòa" in html
    assert "95\u00a0%" in html  # 38 of 40 ballots' answers satisfied or better
    assert "người dân hài lòng hoặc rất hài lòng" in html
    assert re.search(r"<strong data-ballots>40</strong> lượt đánh giá", html)
    assert "Mời Ông/Bà quét mã để đánh giá" in html
    assert html.count("<svg") >= 2  # the QR and the trend
    # Nothing the public would misread: no interval, index, rank, exclusions or comments.
    for jargon in ("khoảng tin cậy", "Chỉ số", "Xếp thứ", "Loại khỏi", "Nguyễn Văn A", "đăng nhập"):
        assert jargon not in html, jargon
    assert f'data-live="/device/{token}/events"' in html
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    block = client.get(f"/device/{token}?block=figures", headers=HTMX)
    assert "<html" not in block.text
    assert "data-headline" in block.text
    assert "Mời Ông/Bà" not in block.text  # the QR is not pushed on every ballot


def test_lobby_display_with_few_ballots_and_no_open_qr(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    _ballots(db, registered, office.code, [5, 4])
    token, _ = add_device(db, "TV sảnh", office.code, "display", None, by="test")
    db.commit()
    assert "Mới có ít lượt đánh giá" in client.get(f"/device/{token}").text
    update_office(db, office.code, registered, count_sources="counter,dossier")
    db.commit()
    html = client.get(f"/device/{token}").text
    # The open QR's ratings would not count here: the screen sends people to the counter's.
    assert "quét mã QR trên màn hình tại quầy" in html
    assert "Mời Ông/Bà quét mã để đánh giá" not in html


def test_revoked_display_says_so_and_never_asks_to_sign_in(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    token, device = add_device(db, "TV sảnh", office.code, "display", None, by="test")
    revoke_device(db, device.id or 0, by="test")
    db.commit()
    for path in (f"/device/{token}", f"/device/{token}?block=figures", f"/device/{token}/events"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "đăng nhập" not in response.text.lower()


def test_kiosk_form_stores_kiosk_ballots_and_resets(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    token, device = add_device(db, "Máy tính bảng sảnh", office.code, "kiosk", None, by="test")
    db.commit()
    form = client.get(f"/device/{token}")
    assert form.status_code == 200
    assert f'action="/device/{token}"' in form.text
    assert 'class="survey kiosk"' in form.text
    idem = form_key(form.text)
    assert form_key(client.get(f"/device/{token}").text) != idem  # a fresh key for each person
    sent = client.post(
        f"/device/{token}", data=form_fields(six_answers(5), idem=idem), headers=HTMX
    )
    assert sent.status_code == 200
    assert "Cảm ơn Ông/Bà đã đánh giá!" in sent.text
    assert f'data-reset-url="/device/{token}"' in sent.text
    assert "HX-Push-Url" not in sent.headers  # the receipt never enters the history
    [ballot] = db.exec(select(Ballot).where(Ballot.office_id == office.id)).all()
    assert (ballot.source, ballot.device_id, ballot.channel) == ("kiosk", device.id, "web")
    # Without JavaScript: the thank-you in place (no receipt address), and back to a new form.
    plain = client.post(
        f"/device/{token}",
        data=form_fields(six_answers(4), idem=uuid.uuid4().hex),
        follow_redirects=False,
    )
    assert plain.status_code == 200
    assert f'content="8;url=/device/{token}"' in plain.text
    # Answers left out come back beside the questions, on the kiosk's own address.
    missing = client.post(f"/device/{token}", data=form_fields({}, idem=uuid.uuid4().hex))
    assert missing.status_code == 422
    assert f'action="/device/{token}"' in missing.text


def test_only_a_kiosk_address_takes_ballots(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered, counters=1)
    screen, _ = add_device(db, "Quầy 1", office.code, "counter-screen", 1, by="test")
    display, _ = add_device(db, "TV", office.code, "display", None, by="test")
    db.commit()
    for token in (screen, display, "hld_khong-co-that"):
        sent = client.post(f"/device/{token}", data=form_fields(six_answers(5), idem="a" * 32))
        assert sent.status_code == 404
    assert db.exec(select(Ballot).where(Ballot.office_id == office.id)).all() == []


def test_thank_you_offers_a_new_form_after_the_open_qr(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered, counters=2)
    idem = form_key(client.get(f"/s/{office.code}?counter=2").text)
    fields = form_fields(six_answers(5), idem=idem, counter="2")
    sent = client.post(f"/s/{office.code}", data=fields, headers=HTMX)
    assert f'href="/s/{office.code}?new=1&amp;counter=2"' in sent.text
    assert "Mở phiếu mới" in sent.text
    receipt = client.get(sent.headers["HX-Push-Url"])
    assert "Mở phiếu mới" in receipt.text


def test_a_display_set_up_for_a_counter_shows_its_rotating_qr(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    from app.core.config import get_settings
    from app.offices.qr import qr_svg_inline
    from app.sources import links
    from app.sources.links import Keys

    office = make_office(db, registered, counters=2)
    token, device = add_device(db, "TV trước quầy 2", office.code, "display", 2, by="test")
    db.commit()
    settings = get_settings()
    keys = Keys.from_secret(settings.secret_key, settings.counter_qr_seconds)

    def counter_qr() -> str:
        window = links.counter_window(keys)
        minted = links.mint_counter(keys, office.code, 2, device.id or 0, window)
        return qr_svg_inline(links.rating_url(settings.public_url, minted))

    page = client.get(f"/device/{token}")
    assert f'data-panel="/device/{token}?block=panel"' in page.text
    assert counter_qr() in page.text  # the counter's QR, not the office's open one
    assert "Mã của quầy 2" in page.text
    panel = client.get(f"/device/{token}?block=panel", headers=HTMX)
    assert "<html" not in panel.text
    assert counter_qr() in panel.text
    assert 0 < int(panel.headers["X-Next-In"]) <= settings.counter_qr_seconds * 1000
    # Asked for a block by anyone but the page's script, or a block it has not: the whole page.
    assert "<html" in client.get(f"/device/{token}?block=panel").text
    office_wide, _ = add_device(db, "TV sảnh", office.code, "display", None, by="test")
    db.commit()
    assert "<html" in client.get(f"/device/{office_wide}?block=panel", headers=HTMX).text
    screen, _ = add_device(db, "Quầy 1", office.code, "counter-screen", 1, by="test")
    db.commit()
    assert client.get(f"/device/{screen}?block=figures", headers=HTMX).status_code == 200
