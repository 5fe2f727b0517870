"""Loading ``surveys/*.toml``: a broken file names itself and the field, and nothing starts."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.surveys.definition import SurveyDefinition
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


@dataclass
class SurveyCatalog:
    """The current version of every survey, as found in the surveys directory."""

    surveys: dict[str, SurveyDefinition]
    default_key: str
    _by_ref: dict[tuple[str, int], SurveyDefinition] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for survey in self.surveys.values():
            self._by_ref[(survey.key, survey.version)] = survey

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
    if problems:
        raise SurveyFileError(problems)
    return SurveyCatalog(surveys=surveys, default_key=default_key)
