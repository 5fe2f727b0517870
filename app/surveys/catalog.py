"""Loading ``surveys/*.toml``: a broken file names itself and the field, and nothing starts."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.surveys.definition import CriteriaSet, SurveyDefinition
from app.surveys.scales import BUILTIN_SCALES


class SurveyFileError(Exception):
    """One or more survey files are invalid; ``problems`` holds one line per fault."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid survey definitions:\n  " + "\n  ".join(problems))


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def parse_file(path: Path) -> SurveyDefinition:
    name = path.name
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SurveyFileError([f"{name}: not valid TOML: {exc}"]) from exc
    scale = raw.get("scale")
    if isinstance(scale, str):
        if scale not in BUILTIN_SCALES:
            known = ", ".join(sorted(BUILTIN_SCALES))
            raise SurveyFileError([f"{name}: scale: unknown scale {scale!r} (known: {known})"])
        raw["scale"] = BUILTIN_SCALES[scale]
    try:
        definition = SurveyDefinition.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{name}: {_field_path(err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise SurveyFileError(problems) from exc
    if definition.key != path.stem:
        raise SurveyFileError(
            [f"{name}: key: {definition.key!r} must match the file name ({path.stem!r})"]
        )
    return definition


@dataclass(frozen=True)
class Comparison:
    """Which ballots a figure counts: these surveys' ballots, these questions' answers.
    ``key`` names the shared criteria set ("" for one survey on its own)."""

    key: str
    surveys: tuple[str, ...]
    questions: tuple[str, ...]

    @property
    def shared(self) -> bool:
        return bool(self.key)


@dataclass
class SurveyCatalog:
    """The current version of every survey, as found in the surveys directory."""

    surveys: dict[str, SurveyDefinition]
    default_key: str
    criteria: dict[str, CriteriaSet] = field(default_factory=dict)
    _by_ref: dict[tuple[str, int], SurveyDefinition] = field(default_factory=dict)
    _set_of: dict[str, CriteriaSet] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for survey in self.surveys.values():
            self._by_ref[(survey.key, survey.version)] = survey
        for criteria in self.criteria.values():
            for key in criteria.surveys:
                self._set_of[key] = criteria

    def criteria_of(self, survey_key: str) -> CriteriaSet | None:
        """The shared criteria a survey is compared on, if it shares any."""
        return self._set_of.get(survey_key)

    def comparison(self, survey: SurveyDefinition) -> Comparison:
        """What figures for ``survey`` cover by default: every survey sharing its criteria
        (those questions only), or the survey alone (all its questions)."""
        shared = self._set_of.get(survey.key)
        if shared is None:
            return self.alone(survey)
        return Comparison(
            key=shared.key, surveys=tuple(shared.surveys), questions=tuple(shared.questions)
        )

    def alone(self, survey: SurveyDefinition) -> Comparison:
        """One survey, all its questions (``survey=KEY`` on a page or in the API)."""
        return Comparison(
            key="", surveys=(survey.key,), questions=tuple(q.key for q in survey.questions)
        )

    def get(self, key: str) -> SurveyDefinition | None:
        return self.surveys.get(key)

    def default(self) -> SurveyDefinition:
        return self.surveys[self.default_key]

    def remember(self, survey: SurveyDefinition) -> None:
        """Keep an older published version (read back from the database) at hand."""
        self._by_ref[(survey.key, survey.version)] = survey

    def version(self, key: str, version: int) -> SurveyDefinition | None:
        return self._by_ref.get((key, version))


def load_catalog(directory: Path, default_key: str) -> SurveyCatalog:
    files = sorted(directory.glob("*.toml"))
    problems: list[str] = []
    surveys: dict[str, SurveyDefinition] = {}
    if not files:
        problems.append(f"{directory}: no survey files (*.toml) found")
    for path in files:
        try:
            survey = parse_file(path)
        except SurveyFileError as exc:
            problems.extend(exc.problems)
            continue
        surveys[survey.key] = survey
    if files and not problems and default_key not in surveys:
        problems.append(f"HAILONG_DEFAULT_SURVEY: no survey file defines key {default_key!r}")
    # Checked once the surveys themselves are sound: a broken survey file is the news then.
    criteria = {} if problems else _load_criteria(directory / "criteria", surveys, problems)
    if problems:
        raise SurveyFileError(problems)
    return SurveyCatalog(surveys=surveys, default_key=default_key, criteria=criteria)


def _load_criteria(
    directory: Path, surveys: dict[str, SurveyDefinition], problems: list[str]
) -> dict[str, CriteriaSet]:
    """Shared criteria sets: each names surveys that all ask each of its questions, and no
    survey is in two sets (a unit's figures must have one meaning)."""
    found: dict[str, CriteriaSet] = {}
    member: dict[str, str] = {}
    for path in sorted(directory.glob("*.toml")) if directory.is_dir() else []:
        name = f"criteria/{path.name}"
        try:
            criteria = CriteriaSet.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            problems.append(f"{name}: not valid TOML: {exc}")
            continue
        except ValidationError as exc:
            problems += [f"{name}: {_field_path(e['loc'])}: {e['msg']}" for e in exc.errors()]
            continue
        if criteria.key != path.stem:
            problems.append(f"{name}: key: {criteria.key!r} must match the file name")
        for key in criteria.surveys:
            survey = surveys.get(key)
            if survey is None:
                problems.append(f"{name}: surveys: no survey file defines {key!r}")
                continue
            missing = [q for q in criteria.questions if survey.question(q) is None]
            if missing:
                problems.append(f"{name}: survey {key!r} does not ask {', '.join(missing)}")
            if key in member:
                problems.append(f"{name}: survey {key!r} is already in {member[key]!r}")
            member[key] = criteria.key
        found[criteria.key] = criteria
    return found
