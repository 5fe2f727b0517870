from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest
from sqlmodel import Session, select

from app.ballots.service import submit
from app.ballots.validation import Submission
from app.core.config import BUILTIN_SURVEYS, Settings
from app.main import create_app
from app.models import SurveyVersion
from app.surveys.catalog import SurveyCatalog, SurveyFileError, load_catalog, parse_file
from app.surveys.service import PublishedSurveyChanged, register_catalog, survey_version
from tests.factories import make_office, six_answers

SIX_CRITERIA = [
    "Công chức có thái độ giao tiếp lịch sự",
    "Công chức chú ý lắng nghe ý kiến của người dân hoặc đại diện tổ chức",
    "Công chức trả lời, giải đáp đầy đủ các ý kiến của người dân, đại diện tổ chức",
    "Công chức hướng dẫn kê khai hồ sơ tận tình, chu đáo",
    "Công chức hướng dẫn hồ sơ dễ hiểu",
    "Công chức tuân thủ đúng quy định trong giải quyết công việc",
]


def test_shipped_surveys_are_valid(catalog: SurveyCatalog) -> None:
    assert set(catalog.surveys) == {"cong-chuc", "cong-chuc-3-muc", "co-so-vat-chat", "sipas"}
    assert catalog.default().key == "cong-chuc"


@pytest.mark.parametrize("key", ["cong-chuc", "cong-chuc-3-muc"])
def test_six_criteria_have_the_exact_wording(catalog: SurveyCatalog, key: str) -> None:
    survey = catalog.surveys[key]
    assert [q.text_vi for q in survey.questions] == SIX_CRITERIA
    for text in SIX_CRITERIA:
        assert unicodedata.is_normalized("NFC", text)


def test_scales(catalog: SurveyCatalog) -> None:
    five = catalog.surveys["cong-chuc"].scale
    assert [(lvl.value, lvl.label_vi) for lvl in five.levels] == [
        (5, "Rất hài lòng"),
        (4, "Hài lòng"),
        (3, "Bình thường"),
        (2, "Không hài lòng"),
        (1, "Rất không hài lòng"),
    ]
    three = catalog.surveys["cong-chuc-3-muc"].scale
    assert [lvl.label_vi for lvl in three.levels] == ["Rất hài lòng", "Hài lòng", "Không hài lòng"]


def test_sipas_has_22_criteria_in_5_aspects(catalog: SurveyCatalog) -> None:
    sipas = catalog.surveys["sipas"]
    assert len(sipas.questions) == 22
    per_aspect = {a.key: [q for q in sipas.questions if q.aspect == a.key] for a in sipas.aspects}
    assert [len(v) for v in per_aspect.values()] == [4, 5, 6, 4 - 1, 4]
    officer = [q.text_vi for q in per_aspect["officer"]]
    assert officer == SIX_CRITERIA
    assert not any(q.required for q in per_aspect["feedback"])


def test_facilities_survey(catalog: SurveyCatalog) -> None:
    texts = [q.text_vi for q in catalog.surveys["co-so-vat-chat"].questions]
    assert texts[0].startswith("Nơi ngồi chờ")
    assert all("Trang thiết bị" in t for t in texts[1:])


def test_ballot_rules(catalog: SurveyCatalog) -> None:
    lowest = catalog.surveys["cong-chuc"]
    level = lowest.classify(six_answers(5, complies=4))
    assert level is not None
    assert level.label_vi == "Hài lòng"
    mean = catalog.surveys["co-so-vat-chat"]
    answers = {"waiting_seats": 5, "equipment_sufficient": 4}
    # 4.5 is as far from 5 as from 4: the ballot is never rounded up.
    assert mean.classify(answers).value == 4  # type: ignore[union-attr]
    assert mean.classify({"waiting_seats": 5, "equipment_sufficient": 5, "equipment_easy": 4})
    assert lowest.classify({}) is None


def _copy_surveys(tmp_path: Path) -> Path:
    target = tmp_path / "surveys"
    shutil.copytree(BUILTIN_SURVEYS, target)
    return target


def test_broken_file_names_the_file_and_the_field(tmp_path: Path) -> None:
    surveys = _copy_surveys(tmp_path)
    path = surveys / "cong-chuc.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'text_vi = "Công chức hướng dẫn hồ sơ dễ hiểu"\n', ""
        ),
        encoding="utf-8",
    )
    with pytest.raises(SurveyFileError) as info:
        load_catalog(surveys, "cong-chuc")
    assert info.value.problems == ["cong-chuc.toml: questions[4].text_vi: Field required"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('scale = "5-muc"', 'scale = "7-muc"'), "cong-chuc.toml: scale: unknown scale '7-muc'"),
        (("version = 1", 'version = "one"'), "cong-chuc.toml: version: Input should be a valid"),
        (('key = "polite"', 'key = "complies"'), "duplicate question key(s): complies"),
        (('method = "lowest"', 'method = "best"'), "cong-chuc.toml: ballot_rule.method: "),
        (("version = 1", "version = 1\ncolour = 3"), "colour: Extra inputs are not permitted"),
        (('key = "cong-chuc"', 'key = "other"'), "must match the file name"),
        (("version = 1", "version = = 1"), "cong-chuc.toml: not valid TOML"),
    ],
)
def test_each_kind_of_mistake_is_reported(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    path = _copy_surveys(tmp_path) / "cong-chuc.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(*change, 1), encoding="utf-8")
    with pytest.raises(SurveyFileError) as info:
        parse_file(path)
    assert any(expected in problem for problem in info.value.problems), info.value.problems


def test_app_refuses_to_start_on_a_broken_survey(tmp_path: Path) -> None:
    surveys = _copy_surveys(tmp_path)
    (surveys / "sipas.toml").write_text('key = "sipas"\n', encoding="utf-8")
    settings = Settings(surveys_dir=surveys)
    with pytest.raises(SurveyFileError, match=r"sipas\.toml: version: Field required"):
        create_app(settings)


def test_unknown_default_survey_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SurveyFileError, match="HAILONG_DEFAULT_SURVEY"):
        load_catalog(_copy_surveys(tmp_path), "nope")


def test_published_version_cannot_change_but_a_new_version_can(
    db: Session, registered: SurveyCatalog, tmp_path: Path
) -> None:
    office = make_office(db, registered)
    receipt, _ = submit(
        db,
        registered,
        office.code,
        Submission(answers=six_answers(4)),
        channel="api",
        idempotency_key="k1",
        strict_replay=True,
    )
    surveys = _copy_surveys(tmp_path)
    path = surveys / "cong-chuc.toml"
    edited = path.read_text(encoding="utf-8").replace(
        "Công chức hướng dẫn hồ sơ dễ hiểu", "Dễ hiểu"
    )
    path.write_text(edited, encoding="utf-8")
    with pytest.raises(PublishedSurveyChanged, match="raise `version`"):
        register_catalog(db, load_catalog(surveys, "cong-chuc"))

    path.write_text(edited.replace("version = 1", "version = 2", 1), encoding="utf-8")
    v2 = load_catalog(surveys, "cong-chuc")
    register_catalog(db, v2)
    versions = db.exec(select(SurveyVersion.version).where(SurveyVersion.key == "cong-chuc")).all()
    assert sorted(versions) == [1, 2]
    new, _ = submit(
        db,
        v2,
        office.code,
        Submission(answers=six_answers(5)),
        channel="api",
        idempotency_key="k2",
        strict_replay=True,
    )
    assert (receipt.survey_version, new.survey_version) == (1, 2)
    # The old ballot's wording is still there, read back from the database.
    old = survey_version(db, v2, "cong-chuc", 1)
    assert old is not None
    assert old.questions[4].text_vi == "Công chức hướng dẫn hồ sơ dễ hiểu"
