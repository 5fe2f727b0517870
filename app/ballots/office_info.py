"""What taking a ballot needs to know of an office, and of where the ballot came from."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from app.cases.opening import DEFAULT_DAYS
from app.core.config import get_settings
from app.core.hours import DEFAULT_WEEK, Hours, parse_hours
from app.core.networks import Network, parse_networks
from app.models import Counter
from app.offices.service import get_by_code, lineage
from app.offices.tree import ALL_SOURCES, parse_sources
from app.surveys.catalog import SurveyCatalog
from app.surveys.definition import CriteriaSet, SurveyDefinition
from app.surveys.service import survey_for_office


@dataclass(frozen=True)
class OfficeInfo:
    """What taking a ballot needs to know of an office; small enough to cache."""

    id: int
    code: str
    name: str
    survey: SurveyDefinition
    counters: frozenset[int]
    criteria: CriteriaSet | None = None  # the shared criteria its survey is compared on
    path: tuple[int, ...] = ()  # its id and its ancestors', nearest first
    counts: frozenset[str] = ALL_SOURCES  # the ballot sources its figures count
    hours: Hours = DEFAULT_WEEK  # when it is open (its own, inherited, or the national hours)
    staff: tuple[Network, ...] = ()  # its staff's networks (its own or inherited)
    case_days: int = DEFAULT_DAYS  # working days a case has (its own, inherited, or 10)
    kind: str = ""  # the office's kind (one-stop, department…): a label of the metrics


@dataclass(frozen=True)
class Provenance:
    """Where a ballot came from (``app/models/sources.py`` SOURCES), kept with it and chained."""

    source: str = "open"
    device_id: int | None = None
    integration_id: int | None = None
    officer_code: str | None = None
    dossier_hash: str | None = None  # keyed hash of the dossier code: one ballot per dossier


OPEN = Provenance()


def load_office_info(session: Session, catalog: SurveyCatalog, code: str) -> OfficeInfo:
    office = get_by_code(session, code)
    counters = session.exec(select(Counter.number).where(Counter.office_id == office.id)).all()
    survey = survey_for_office(session, catalog, office)
    line = lineage(session, office)
    policy = line.nearest("count_sources")
    hours, staff = line.nearest("opening_hours"), line.nearest("staff_networks")
    days = line.nearest("case_days")
    return OfficeInfo(
        id=office.id or 0,
        code=office.code,
        name=office.name,
        survey=survey,
        kind=office.kind,
        counters=frozenset(counters),
        criteria=catalog.criteria_of(survey.key),
        path=line.path,
        counts=parse_sources(policy) if policy else ALL_SOURCES,
        hours=parse_hours(hours or get_settings().opening_hours),
        staff=parse_networks(staff) if staff else (),
        case_days=int(days) if days else DEFAULT_DAYS,
    )
