from __future__ import annotations

import gzip
import re
import unicodedata

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Answer, Ballot
from app.surveys.catalog import SurveyCatalog
from app.web.ballot_form import MAX_FORM_FIELDS
from tests.factories import form_fields, form_key, make_office, six_answers


def _ballots(db: Session, office_id: int | None) -> list[Ballot]:
    return list(db.exec(select(Ballot).where(Ballot.office_id == office_id)))


def test_form_shows_the_office_and_the_six_criteria(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered, name="Bộ phận một cửa xã Thiệu Hóa")
    response = client.get(f"/s/{office.code}")
    assert response.status_code == 200
    html = response.text
    assert unicodedata.is_normalized("NFC", html)
    assert '<html lang="vi">' in html
    assert "Bộ phận một cửa xã Thiệu Hóa" in html
    assert "Công chức chú ý lắng nghe ý kiến của người dân hoặc đại diện tổ chức" in html
    assert html.count("<fieldset") == 6
    assert html.count("<legend>") == 6
    # Every choice is a radio inside its own label.
    assert len(re.findall(r'<label class="choice [a-z_]+"><input type="radio"', html)) == 30
    assert "Rất không hài lòng" in html
    assert 'name="idem"' in html


def test_form_in_english_and_for_a_counter(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered, counters=2)
    html = client.get(f"/s/{office.code}?lang=en&counter=2").text
    assert "The officer communicates politely" in html
    assert "Counter 2" in html
    assert 'name="counter" value="2"' in html
    assert client.get(f"/s/{office.code}?counter=3").status_code == 404


def test_unknown_office_is_a_vietnamese_404(client: TestClient) -> None:
    response = client.get("/s/KHONG-CO")
    assert response.status_code == 404
    assert "Không tìm thấy đơn vị này" in response.text
    assert response.headers["content-type"].startswith("text/html")
    # What a citizen reads: Vietnamese words, no status number, no code, no developer's English.
    visible = re.sub(r"<[^>]+>", " ", response.text)
    assert "No office" not in visible
    assert "404" not in visible
    assert "KHONG-CO" not in visible


def test_submit_redirects_to_a_receipt(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    idem = form_key(client.get(f"/s/{office.code}").text)
    fields = form_fields(six_answers(4, complies=5), idem=idem, comment="Cán bộ nhiệt tình")
    response = client.post(f"/s/{office.code}", data=fields, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    page = client.get(location)
    assert page.status_code == 200
    assert "Cảm ơn Ông/Bà đã đánh giá!" in page.text
    [ballot] = _ballots(db, office.id)
    assert ballot.receipt in location
    assert ballot.channel == "web"
    assert ballot.comment == "Cán bộ nhiệt tình"
    answers = dict(
        db.exec(
            select(Answer.question_key, Answer.value).where(Answer.ballot_id == ballot.id)
        ).all()
    )
    assert answers == six_answers(4, complies=5)


def test_resubmitting_the_same_form_stores_one_ballot(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    fields = form_fields(six_answers(5), idem="a" * 32)
    first = client.post(f"/s/{office.code}", data=fields, follow_redirects=False)
    # A retry, or Back and Submit again with the same answers: the same receipt.
    again = client.post(f"/s/{office.code}", data=fields, follow_redirects=False)
    # The same receipt, and the page says it was recorded before.
    assert again.headers["location"] == first.headers["location"] + "?again=1"
    assert len(_ballots(db, office.id)) == 1


def test_errors_come_back_beside_the_questions_with_choices_kept(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    answers = six_answers(4)
    del answers["attentive"]
    answers["complies"] = 9
    fields = form_fields(answers, idem="b" * 32, comment="<script>alert(1)</script>")
    response = client.post(f"/s/{office.code}", data=fields)
    assert response.status_code == 422
    html = response.text
    assert "Phiếu chưa hoàn tất" in html
    assert "Câu 2: Xin Ông/Bà chọn một mức đánh giá cho câu này." in html
    assert 'id="e-attentive"' in html
    assert "Xin Ông/Bà chọn một mức đánh giá cho câu này." in html
    assert 'id="e-complies"' in html
    # The citizen's choices and comment survive, the comment escaped.
    assert 'name="q.polite" value="4" checked' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert _ballots(db, office.id) == []


def test_comment_is_stored_as_typed_and_escaped_where_shown(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    typed = 'Tốt <b>lắm</b> & "nhanh"'
    client.post(f"/s/{office.code}", data=form_fields(six_answers(5), idem="c" * 32, comment=typed))
    [ballot] = _ballots(db, office.id)
    assert ballot.comment == typed
    too_long = client.post(
        f"/s/{office.code}", data=form_fields(six_answers(5), idem="d" * 32, comment="x" * 1001)
    )
    assert too_long.status_code == 422
    assert "tối đa 1000 ký tự" in too_long.text


def test_comment_is_normalised_to_nfc(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    decomposed = unicodedata.normalize("NFD", "Hài lòng")
    client.post(
        f"/s/{office.code}", data=form_fields(six_answers(5), idem="e" * 32, comment=decomposed)
    )
    [ballot] = _ballots(db, office.id)
    assert ballot.comment == "Hài lòng"


def test_htmx_gets_the_partial(client: TestClient, db: Session, registered: SurveyCatalog) -> None:
    office = make_office(db, registered)
    headers = {"HX-Request": "true"}
    bad = client.post(f"/s/{office.code}", data={"idem": "f" * 32}, headers=headers)
    assert bad.status_code == 422
    assert bad.text.lstrip().startswith('<form id="survey"')
    good = client.post(
        f"/s/{office.code}", data=form_fields(six_answers(5), idem="f" * 32), headers=headers
    )
    assert good.status_code == 200
    assert good.text.lstrip().startswith('<section id="survey" class="thanks">')
    [ballot] = _ballots(db, office.id)
    assert good.headers["HX-Push-Url"] == f"/s/{office.code}/r/{ballot.receipt}"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"counter": "7"}, "counter"),
        ({"q.unknown": "5"}, "unknown"),
        ({"survey": "sipas"}, "survey"),
    ],
)
def test_tampered_forms_are_refused(
    client: TestClient, db: Session, registered: SurveyCatalog, extra: dict[str, str], field: str
) -> None:
    office = make_office(db, registered, counters=2)
    response = client.post(
        f"/s/{office.code}", data=form_fields(six_answers(5), idem="g" * 32, **extra)
    )
    assert response.status_code == 422
    assert _ballots(db, office.id) == []


def test_oversized_body_is_413(client: TestClient, db: Session, registered: SurveyCatalog) -> None:
    office = make_office(db, registered)
    response = client.post(
        f"/s/{office.code}", data=form_fields(six_answers(5), comment="x" * 40_000)
    )
    assert response.status_code == 413
    assert _ballots(db, office.id) == []


def test_first_load_is_small_and_self_hosted(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    page = client.get(f"/s/{office.code}", headers={"Accept-Encoding": "gzip"})
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert len(assets) == 3  # styles, htmx, and the form's send-failure handling
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page.text)
    total = len(gzip.compress(page.content))
    for asset in assets:
        response = client.get(asset, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert "immutable" in response.headers["cache-control"]
        total += len(gzip.compress(response.content))
    assert total <= 30 * 1024, total
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_receipt_page_for_unknown_receipt_is_404(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    response = client.get(f"/s/{office.code}/r/XXXXXXXXXX")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.text


def test_hostile_transports_are_4xx_not_500(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    upload = client.post(
        f"/s/{office.code}",
        data={"idem": "h" * 32},
        files={"comment": ("x.txt", b"hello", "text/plain")},
    )
    assert 400 <= upload.status_code < 500
    crowd = client.post(f"/s/{office.code}", data={f"f{i}": "1" for i in range(500)})
    assert 400 <= crowd.status_code < 500
    twice = client.post(
        f"/s/{office.code}",
        content=b"q.polite=5&q.polite=4&idem=" + b"i" * 32,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert twice.status_code == 422
    assert "Mỗi câu chỉ chọn một mức." in twice.text
    assert _ballots(db, office.id) == []


@pytest.mark.parametrize("digit", ["²", "¹", "፩", "５", "٥", "𝟓"])
def test_only_ascii_digits_count(
    client: TestClient, db: Session, registered: SurveyCatalog, digit: str
) -> None:
    office = make_office(db, registered, counters=5)
    answer = client.post(
        f"/s/{office.code}", data=form_fields(six_answers(5, polite=digit), idem="a" * 32)
    )
    assert answer.status_code == 422
    assert "Lựa chọn không hợp lệ" in answer.text
    counter = client.post(
        f"/s/{office.code}", data=form_fields(six_answers(5), idem="b" * 32, counter=digit)
    )
    assert counter.status_code == 422
    assert "Quầy không tồn tại" in counter.text
    api = client.post(
        f"/api/v1/offices/{office.code}/responses",
        json={"answers": six_answers(5, polite=digit), "counter": 1},
    )
    assert api.status_code == 422
    assert _ballots(db, office.id) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("comment", "a"),
        ("idem", "b" * 32),
        ("counter", "1"),
        ("survey", "cong-chuc"),
        ("lang", "vi"),
    ],
)
def test_a_field_sent_twice_is_refused(
    client: TestClient, db: Session, registered: SurveyCatalog, field: str, value: str
) -> None:
    office = make_office(db, registered, counters=2)
    body = "&".join(f"q.{k}=5" for k in six_answers(5)) + f"&{field}={value}&{field}={value}"
    response = client.post(
        f"/s/{office.code}",
        content=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 422
    assert "trùng trường" in response.text
    assert _ballots(db, office.id) == []


def test_malformed_utf8_in_a_comment_is_refused_beside_it(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    answers = "&".join(f"q.{k}=5" for k in six_answers(5))
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    encoded = client.post(
        f"/s/{office.code}", content=f"{answers}&comment=T%C3%28t&idem={'c' * 32}", headers=form
    )
    assert encoded.status_code == 422
    assert 'id="e-comment"' in encoded.text
    assert "không đọc được" in encoded.text
    raw = client.post(
        f"/s/{office.code}", content=f"{answers}&comment=".encode() + b"T\xc3(t", headers=form
    )
    assert raw.status_code == 400
    assert _ballots(db, office.id) == []
    # Raw UTF-8 from a script is read as UTF-8, not as Latin-1 ("Ã¡").
    plain = client.post(
        f"/s/{office.code}",
        content=f"{answers}&comment=Cán bộ tốt&idem={'d' * 32}".encode(),
        headers=form,
        follow_redirects=False,
    )
    assert plain.status_code == 303
    [ballot] = _ballots(db, office.id)
    assert ballot.comment == "Cán bộ tốt"


def test_invisible_and_direction_characters_are_stripped_from_comments(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    comment = "Rất\u200b tốt \u202etốt quá\u202c\u2066 cảm ơn\u2069\ufeff"
    response = client.post(
        f"/s/{office.code}",
        data=form_fields(six_answers(5), idem="e" * 32, comment=comment),
        follow_redirects=False,
    )
    assert response.status_code == 303
    [ballot] = _ballots(db, office.id)
    assert ballot.comment == "Rất tốt tốt quá cảm ơn"


def test_a_second_person_on_the_same_phone_is_not_dropped(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    first = client.post(
        f"/s/{office.code}", data=form_fields(six_answers(5), idem="f" * 32), follow_redirects=False
    )
    assert first.status_code == 303
    # The same browser opens the form again: it carries the previous visit's key...
    again = client.get(f"/s/{office.code}")
    assert form_key(again.text) == "f" * 32
    assert "vừa gửi đánh giá" in again.text
    # ...a second citizen answers differently and submits: a ballot of their own.
    second = client.post(
        f"/s/{office.code}", data=form_fields(six_answers(2), idem="f" * 32), follow_redirects=False
    )
    assert second.status_code == 303
    assert second.headers["location"] != first.headers["location"]
    # The first citizen's double tap or Back + Submit with the same answers: still one ballot.
    replay = client.post(
        f"/s/{office.code}", data=form_fields(six_answers(5), idem="f" * 32), follow_redirects=False
    )
    assert replay.headers["location"] == first.headers["location"] + "?again=1"
    assert len(_ballots(db, office.id)) == 2


@pytest.mark.one_database
def test_a_form_sent_while_the_database_is_unreachable_comes_back_with_its_answers(
    app,
    client: TestClient,
    db: Session,
    registered: SurveyCatalog,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    from app.core.errors import DatabaseUnavailable

    office = make_office(db, registered)

    async def unreachable(prepared):  # type: ignore[no-untyped-def]
        return DatabaseUnavailable()

    monkeypatch.setattr(app.state.hailong.intake, "store", unreachable)
    sent = client.post(
        f"/s/{office.code}",
        data=form_fields(six_answers(4), idem="d" * 32, comment="Chờ lâu"),
        follow_redirects=False,
    )
    assert sent.status_code == 503
    assert int(sent.headers["Retry-After"]) >= 1
    assert "chưa kết nối được cơ sở dữ liệu" in sent.text
    assert 'name="q.polite" value="4" checked' in sent.text  # every answer kept
    assert "Chờ lâu" in sent.text
    assert 'value="' + "d" * 32 in sent.text  # the same key: sent again, stored once
    assert db.exec(select(Ballot).where(Ballot.office_id == office.id)).all() == []


@pytest.mark.one_database
def test_a_page_that_cannot_be_read_now_comes_back_by_itself(
    client: TestClient,
    db: Session,
    registered: SurveyCatalog,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    from sqlalchemy.exc import OperationalError

    from app.web.routes import citizen

    office = make_office(db, registered)

    def refused(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("SELECT 1", {}, Exception("not accepting connections"))

    monkeypatch.setattr(citizen, "load_office_info", refused)
    page = client.get(f"/s/{office.code}")
    assert page.status_code == 503
    assert '<meta http-equiv="refresh" content="3">' in page.text
    assert "thử lại sau ít giây" in page.text
    api = client.get(f"/api/v1/offices/{office.code}/survey")
    assert api.status_code == 200  # only what failed answers 503


def test_a_long_survey_says_where_the_citizen_is(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    from tests.factories import make_office

    make_office(db, registered, code="LONG", survey="sipas")
    make_office(db, registered, code="SHORT")
    page = client.get("/s/LONG").text
    assert '<span class="num">Câu 7/22:</span>' in page
    assert '<span class="num">Question 22/22:</span>' in client.get("/s/LONG?lang=en").text
    short = client.get("/s/SHORT").text
    assert '<span class="num">1.</span>' in short
    assert "1/6" not in short


FORM_BUDGET = 32_000  # bytes over the wire, gzipped: the page, its style sheet and scripts


def test_the_form_stays_within_its_size_budget(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    """A citizen on a slow phone connection loads the form, its CSS and its scripts (htmx and
    form.js) within the budget (docs/ballots.md); a feature that grows them must pay for it."""
    from tests.factories import make_office

    make_office(db, registered, code="BUDGET")
    page = client.get("/s/BUDGET").content
    total = len(gzip.compress(page))
    assets = re.findall(rb'(?:src|href)="(/static/[^"]+)"', page)
    assert len(assets) == 3
    for asset in assets:
        total += len(gzip.compress(client.get(asset.decode()).content))
    assert total <= FORM_BUDGET, total


def test_a_form_of_too_many_fields_is_refused_whole(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    answers = "&".join(f"q.{k}=5" for k in six_answers(5))
    padding = "&".join(f"x{n}=1" for n in range(MAX_FORM_FIELDS))
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    response = client.post(
        f"/s/{office.code}", content=f"{answers}&idem={'a' * 32}&{padding}", headers=form
    )
    assert response.status_code == 400
    assert _ballots(db, office.id) == []


def test_a_comment_reads_as_the_browser_encoded_it(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    """Spaces as '+', an encoded '+', '&' and '=' inside a value, a field left blank."""
    office = make_office(db, registered)
    answers = "&".join(f"q.{k}=5" for k in six_answers(5))
    body = f"{answers}&counter=&comment=T%E1%BB%91t+qu%C3%A1+1%2B1%3D2+%26+h%C6%A1n&idem={'b' * 32}"
    response = client.post(
        f"/s/{office.code}",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    [ballot] = _ballots(db, office.id)
    assert ballot.comment == "Tốt quá 1+1=2 & hơn"
    assert ballot.counter is None
