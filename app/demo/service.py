"""Demo data: a small province with departments, communes and one-stop units, and a few
hundred plausible ballots over recent months, every one marked ``is_demo``."""

from __future__ import annotations

import random
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, func, select

from app.ballots.service import submit
from app.ballots.validation import Submission
from app.core.config import get_settings
from app.core.locale import VN_TZ
from app.demo.cases import handle_demo_cases
from app.demo.sources import create_sources, dossier, provenance
from app.demo.stuffing import STUFFED, add_stuffing
from app.models import Office, OfficeCreate
from app.offices.service import create_office, set_counters
from app.sources.links import Keys
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import survey_for_office

# (code, name, parent, kind, survey, counters)
UNITS: list[tuple[str, str, str | None, str, str | None, int]] = [
    ("38", "Tỉnh Thanh Hóa (dữ liệu mẫu)", None, "province", None, 0),
    ("000.00.00.H56", "Trung tâm Phục vụ hành chính công tỉnh", "38", "service-centre", None, 0),
    (
        "000.00.01.H56",
        "Bộ phận một cửa – Trung tâm PVHCC tỉnh",
        "000.00.00.H56",
        "one-stop",
        "sipas",
        6,
    ),
    ("000.00.06.H56", "Sở Xây dựng", "38", "department", None, 0),
    ("000.06.01.H56", "Bộ phận một cửa Sở Xây dựng", "000.00.06.H56", "one-stop", None, 2),
    ("000.00.15.H56", "Sở Tư pháp", "38", "department", None, 0),
    (
        "000.15.01.H56",
        "Bộ phận một cửa Sở Tư pháp",
        "000.00.15.H56",
        "one-stop",
        "cong-chuc-3-muc",
        2,
    ),
    ("16003", "Xã Thiệu Hóa", "38", "commune", None, 0),
    ("16003.MC", "Bộ phận một cửa xã Thiệu Hóa", "16003", "one-stop", None, 3),
    ("16012", "Xã Thiệu Trung", "38", "commune", None, 0),
    ("16012.MC", "Bộ phận một cửa xã Thiệu Trung", "16012", "one-stop", None, 2),
    ("16033", "Phường Hạc Thành", "38", "commune", None, 0),
    ("16033.MC", "Bộ phận một cửa phường Hạc Thành", "16033", "one-stop", "co-so-vat-chat", 4),
]

COMMENTS = [
    "Cán bộ nhiệt tình, hướng dẫn rất rõ ràng.",
    "Thời gian chờ hơi lâu vào buổi sáng.",
    "Cần thêm ghế ngồi chờ.",
    "Rất hài lòng, cảm ơn các anh chị.",
    "Nên có thêm hướng dẫn nộp hồ sơ trực tuyến.",
    "Máy lấy số thứ tự bị hỏng.",
    "Công chức trả lời đầy đủ, lịch sự.",
]


def has_data(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(Office)).one() > 0


def load_demo(
    session: Session,
    catalog: SurveyCatalog,
    *,
    ballots: int = 400,
    days: int = 120,
    seed: int = 2026,
    now: datetime | None = None,
    keys: Keys | None = None,
) -> Demo:
    """Create the demo units, their integration and devices, and ``ballots`` ballots of every
    source, a third of them bound to dossiers (with more dossiers never rated)."""
    rng = random.Random(seed)
    offices: list[Office] = []
    for code, name, parent, kind, survey_key, counters in UNITS:
        office = create_office(
            session,
            OfficeCreate(code=code, name=name, parent=parent, kind=kind, survey_key=survey_key),
            catalog,
            is_demo=True,
        )
        if counters:
            set_counters(session, office, counters)
        if parent is None:  # the demo province publishes its results (/cong-khai)
            office.public = True
            session.add(office)
        if kind == "one-stop":
            offices.append(office)
    now = now or datetime.now(UTC)
    sources = create_sources(session, keys or Keys.from_secret(get_settings().secret_key))
    # Each unit has its own character, so the dashboards have something to compare.
    quality = {office.code: rng.uniform(0.55, 0.95) for office in offices}
    stored = 0
    # Of those, a few stuffed ones for the flags page to show (``stuffing.py``).
    stuffed = STUFFED if ballots >= 5 * STUFFED else 0
    for _ in range(ballots - stuffed):
        office = rng.choice(offices)
        survey = survey_for_office(session, catalog, office)
        levels = [lvl.value for lvl in survey.scale.levels]
        # A citizen's answers hang together: one overall mood, each answer near it.
        mood = levels.index(_pick(rng, levels, quality[office.code]))
        answers: dict[str, object] = {}
        for question in survey.questions:
            if not question.required and rng.random() < 0.6:
                continue
            step = rng.choice((-1, 1)) if rng.random() < 0.25 else 0
            answers[question.key] = levels[min(len(levels) - 1, max(0, mood + step))]
        at = _office_hours(rng, now, days)
        source, counter = provenance(session, rng, office, sources, at)
        submit(
            session,
            catalog,
            office.code,
            Submission(
                answers=answers,
                comment=rng.choice(COMMENTS) if rng.random() < 0.15 else None,
                counter=counter or _counter(office, rng),
            ),
            channel="api" if source.source == "kiosk" else "web",
            idempotency_key=uuid.UUID(int=rng.getrandbits(128)).hex,
            strict_replay=True,
            submitted_at=at,
            is_demo=True,
            provenance=source,
        )
        stored += 1
    for _ in range(ballots // 4):  # dossiers whose citizens did not rate
        dossier(session, rng, rng.choice(offices), sources, _office_hours(rng, now, days))
    if stuffed:
        stored += add_stuffing(session, catalog, now)
    session.flush()
    handle_demo_cases(session, rng, now)
    return Demo(
        ballots=stored,
        dossiers=sources.dossiers,
        screen_token=sources.screen_token,
        screen_secret=sources.screen_secret,
    )


@dataclass
class Demo:
    ballots: int
    dossiers: int
    screen_token: str  # the demo counter screen's credential, shown once
    screen_secret: bytes | None = None  # its own secret, for drawing its QR offline


def _counter(office: Office, rng: random.Random) -> int | None:
    count = next(c for code, *_, c in UNITS if code == office.code)
    return rng.randint(1, count) if count else None


def _pick(rng: random.Random, levels: list[int], quality: float) -> int:
    """Mostly the top two levels, the rest spread below, skewed by the unit's quality."""
    roll = rng.random()
    if roll < quality * 0.45:
        return levels[0]
    if roll < quality + 0.04:
        return levels[1]
    return rng.choice(levels[2:] or levels[-1:])


def _office_hours(rng: random.Random, now: datetime, days: int) -> datetime:
    while True:
        day = (now.astimezone(VN_TZ) - timedelta(days=rng.randint(0, days))).date()
        if day.weekday() < 5 or rng.random() < 0.15:  # Saturday mornings exist in some units
            break
    hour = rng.choice([7, 8, 9, 10, 11, 13, 14, 15, 16])
    local = datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), tzinfo=VN_TZ)
    return min(local, now).astimezone(UTC)


# (username, role, office): who can look at the demo dashboards.
DEMO_ACCOUNTS = [
    ("demo.admin", "admin", None),
    ("demo.canbo", "officer", "16003.MC"),
    ("demo.thanhtra", "inspector", "38"),
]


def create_demo_accounts(session: Session) -> list[tuple[str, str, str]]:
    """Demo staff accounts with fresh random passwords: (username, role, password)."""
    from app.auth.service import create_user
    from app.models import UserCreate

    created = []
    for username, role, office in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(12)
        create_user(
            session,
            UserCreate.model_construct(
                username=username, role=role, office=office, password=password
            ),
        )
        created.append((username, role, password))
    return created
