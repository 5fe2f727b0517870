"""Publishing survey versions to the database and resolving which survey an office uses."""

from __future__ import annotations

from sqlmodel import Session, select

from app.core.errors import DomainError
from app.models import Ballot, Office, SurveyVersion
from app.surveys.catalog import SurveyCatalog
from app.surveys.definition import SurveyDefinition


class PublishedSurveyChanged(DomainError):
    """A survey version that already has ballots was edited in place."""

    status_code = 409
    code = "published_survey_changed"


def register_catalog(session: Session, catalog: SurveyCatalog) -> list[str]:
    """Record every current survey version; returns the refs that were new or updated.

    A version becomes immutable once a ballot references it: changing its file then refuses,
    so old ballots always keep the wording they were answered against.
    """
    changed: list[str] = []
    for survey in catalog.surveys.values():
        digest = survey.sha256()
        row = session.exec(
            select(SurveyVersion).where(
                SurveyVersion.key == survey.key, SurveyVersion.version == survey.version
            )
        ).first()
        if row is None:
            session.add(
                SurveyVersion(
                    key=survey.key,
                    version=survey.version,
                    title_vi=survey.title_vi,
                    definition=survey.canonical_json(),
                    sha256=digest,
                )
            )
            changed.append(survey.ref)
            continue
        if row.sha256 == digest:
            continue
        used = session.exec(
            select(Ballot.id)
            .where(Ballot.survey_key == survey.key, Ballot.survey_version == survey.version)
            .limit(1)
        ).first()
        if used is not None:
            raise PublishedSurveyChanged(
                f"surveys/{survey.key}.toml: version {survey.version} already has ballots and "
                "its content changed; raise `version` to publish the change"
            )
        row.definition = survey.canonical_json()
        row.title_vi = survey.title_vi
        row.sha256 = digest
        session.add(row)
        changed.append(survey.ref)
    session.flush()
    return changed


def survey_version(
    session: Session, catalog: SurveyCatalog, key: str, version: int
) -> SurveyDefinition | None:
    """A survey as it was published at that version, current or not."""
    found = catalog.version(key, version)
    if found is not None:
        return found
    row = session.exec(
        select(SurveyVersion).where(SurveyVersion.key == key, SurveyVersion.version == version)
    ).first()
    if row is None:
        return None
    found = SurveyDefinition.model_validate(row.definition)
    catalog.remember(found)
    return found


def survey_for_office(session: Session, catalog: SurveyCatalog, office: Office) -> SurveyDefinition:
    """The office's own survey, else the nearest ancestor's, else the default."""
    current: Office | None = office
    seen: set[int] = set()
    while current is not None and current.id not in seen:
        if current.survey_key:
            survey = catalog.get(current.survey_key)
            if survey is not None:
                return survey
        seen.add(current.id or 0)
        current = session.get(Office, current.parent_id) if current.parent_id else None
    return catalog.default()
