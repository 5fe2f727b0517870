"""What a survey file in ``surveys/`` may say, and how a whole ballot is classified."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import Counter
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Category = Literal["very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied"]
SATISFIED_OR_BETTER: frozenset[str] = frozenset({"very_satisfied", "satisfied"})


def _nfc(value: Any) -> Any:
    return unicodedata.normalize("NFC", value.strip()) if isinstance(value, str) else value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    @field_validator("*", mode="before")
    @classmethod
    def _normalise(cls, value: Any) -> Any:
        return _nfc(value)


class Level(Text):
    value: int = Field(ge=0, le=100)
    label_vi: str = Field(min_length=1, max_length=80)
    label_en: str = Field(min_length=1, max_length=80)
    category: Category


class Scale(Text):
    key: Slug
    levels: list[Level] = Field(min_length=2, max_length=11)

    @model_validator(mode="after")
    def _distinct_values(self) -> Scale:
        values = [level.value for level in self.levels]
        if len(set(values)) != len(values):
            raise ValueError("levels must have distinct values")
        if values != sorted(values, reverse=True):
            raise ValueError("levels must be listed from the best (highest value) down")
        return self

    def level(self, value: int) -> Level | None:
        for level in self.levels:
            if level.value == value:
                return level
        return None

    def categories(self) -> dict[int, str]:
        """Each value's category, for counting many rows at once."""
        return {level.value: level.category for level in self.levels}


class Aspect(Text):
    key: Slug
    title_vi: str = Field(min_length=1, max_length=200)
    title_en: str = Field(min_length=1, max_length=200)


class Question(Text):
    key: Slug
    text_vi: str = Field(min_length=1, max_length=500)
    text_en: str = Field(min_length=1, max_length=500)
    required: bool = True
    aspect: Slug | None = None


class CommentSpec(Text):
    enabled: bool = True
    max_length: int = Field(default=1000, ge=1, le=5000)
    label_vi: str = "Góp ý thêm (không bắt buộc)"
    label_en: str = "Other comments (optional)"


class BallotRule(Strict):
    """How one ballot's answers become one level for the ballot as a whole.

    - ``lowest``: the ballot is as satisfied as its worst answer (a ballot is "satisfied" only
      when every answered criterion is);
    - ``mean``: the level nearest the mean of the answered values (ties go to the lower level);
    - ``question``: the answer to one overall question.
    """

    method: Literal["lowest", "mean", "question"] = "lowest"
    question: Slug | None = None


class SurveyDefinition(Text):
    key: Slug
    version: int = Field(ge=1)
    title_vi: str = Field(min_length=1, max_length=255)
    title_en: str = Field(min_length=1, max_length=255)
    intro_vi: str = ""
    intro_en: str = ""
    scale: Scale
    aspects: list[Aspect] = []
    questions: list[Question] = Field(min_length=1, max_length=60)
    comment: CommentSpec = CommentSpec()
    ballot_rule: BallotRule = BallotRule()

    @model_validator(mode="after")
    def _consistent(self) -> SurveyDefinition:
        for what, keys in (
            ("question", [q.key for q in self.questions]),
            ("aspect", [a.key for a in self.aspects]),
        ):
            dupes = sorted(k for k, n in Counter(keys).items() if n > 1)
            if dupes:
                raise ValueError(f"duplicate {what} key(s): {', '.join(dupes)}")
        aspect_keys = {a.key for a in self.aspects}
        for q in self.questions:
            if self.aspects and q.aspect is None:
                raise ValueError(f"question {q.key!r} has no aspect, but the survey uses aspects")
            if q.aspect is not None and q.aspect not in aspect_keys:
                raise ValueError(f"question {q.key!r} names unknown aspect {q.aspect!r}")
        rule = self.ballot_rule
        if rule.method == "question":
            if rule.question not in {q.key for q in self.questions}:
                raise ValueError("ballot_rule.question must name one of the survey's questions")
        elif rule.question is not None:
            raise ValueError("ballot_rule.question is only used with method = 'question'")
        if not any(q.required for q in self.questions):
            raise ValueError("at least one question must be required")
        return self

    @property
    def ref(self) -> str:
        return f"{self.key}@{self.version}"

    # Lookups used for every ballot, built once per definition: cached in the instance's own
    # dict, where reading them costs a dict lookup (private attributes go through pydantic's
    # ``__getattr__``, a fifth of validating a ballot: bench/ballot_cost.py).
    @cached_property
    def by_key(self) -> dict[str, Question]:
        """The questions by key."""
        return {q.key: q for q in self.questions}

    def question(self, key: str) -> Question | None:
        return self.by_key.get(key)

    @cached_property
    def values(self) -> frozenset[int]:
        """The values the scale accepts."""
        return frozenset(level.value for level in self.scale.levels)

    @cached_property
    def required_keys(self) -> tuple[str, ...]:
        return tuple(q.key for q in self.questions if q.required)

    @cached_property
    def categories(self) -> dict[int, str]:
        """Each value's category under this version's scale."""
        return self.scale.categories()

    @cached_property
    def satisfied_values(self) -> frozenset[int]:
        """The values that count as satisfied or better."""
        return frozenset(
            value for value, category in self.categories.items() if category in SATISFIED_OR_BETTER
        )

    def canonical_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def sha256(self) -> str:
        blob = json.dumps(self.canonical_json(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def classify(self, answers: dict[str, int]) -> Level | None:
        """The ballot's overall level under the survey's ballot rule (None if nothing answered)."""
        asked = self.by_key
        values = [v for k, v in answers.items() if k in asked]
        rule = self.ballot_rule
        if rule.method == "question":
            chosen = answers.get(rule.question or "")
            return self.scale.level(chosen) if chosen is not None else None
        if not values:
            return None
        if rule.method == "lowest":
            return self.scale.level(min(values))
        mean = sum(values) / len(values)
        # Ties on distance go to the lower level: a ballot is never rounded up.
        return min(self.scale.levels, key=lambda lvl: (abs(lvl.value - mean), lvl.value))


class CriteriaSet(Text):
    """Criteria several surveys share (``surveys/criteria/*.toml``): their ballots are compared
    on these questions as one set."""

    key: Slug
    title_vi: str = Field(min_length=1, max_length=255)
    title_en: str = Field(min_length=1, max_length=255)
    questions: list[Slug] = Field(min_length=1, max_length=60)
    surveys: list[Slug] = Field(min_length=1, max_length=50)
