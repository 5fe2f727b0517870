"""The figures: level counts, shares, Wilson intervals and the SIPAS-style index."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from app.surveys.definition import SATISFIED_OR_BETTER, SurveyDefinition

Z95 = 1.959963984540054
CATEGORIES = ("very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied")


def wilson(successes: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval for a proportion: sound at 0 %, 100 % and small samples."""
    if total <= 0:
        return None
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Shares:
    """Counts per category and what follows from them."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, *categories: str) -> float | None:
        total = self.total
        if not total:
            return None
        return sum(self.counts.get(c, 0) for c in categories) / total

    def shares(self) -> dict[str, float | None]:
        out = {c: self.share(c) for c in self.counts}
        out["satisfied_or_better"] = self.share(*SATISFIED_OR_BETTER)
        return out

    def ci95(self, *categories: str) -> tuple[float, float] | None:
        return wilson(sum(self.counts.get(c, 0) for c in categories), self.total)

    def headline_ci95(self) -> tuple[float, float] | None:
        return self.ci95(*SATISFIED_OR_BETTER)


def empty_counts(survey: SurveyDefinition) -> dict[str, int]:
    return {level.category: 0 for level in survey.scale.levels}


@dataclass
class Criterion:
    key: str
    label_vi: str
    label_en: str
    aspect: str | None
    shares: Shares


@dataclass
class Figures:
    """Everything a dashboard, the summary API or a report says about one office sub-tree,
    one survey and one period."""

    survey: SurveyDefinition
    ballots: Shares
    criteria: list[Criterion]
    excluded: int = 0
    min_responses: int = 30
    unclassified: int = 0
    aspects: dict[str, float | None] = field(default_factory=dict)

    @property
    def ballot_count(self) -> int:
        return self.ballots.total + self.unclassified

    @property
    def enough_responses(self) -> bool:
        return self.ballot_count >= self.min_responses

    @property
    def headline(self) -> float | None:
        """Satisfied or better over all answers to all criteria (the figure units are ranked on)."""
        return self.pooled.share(*SATISFIED_OR_BETTER)

    @cached_property
    def pooled(self) -> Shares:
        total = dict.fromkeys(empty_counts(self.survey), 0)
        for criterion in self.criteria:
            for category, n in criterion.shares.counts.items():
                total[category] = total.get(category, 0) + n
        return Shares(total)

    @property
    def index(self) -> float | None:
        """SIPAS style: the mean of the aspects' means where the survey has aspects, else the
        mean over criteria, of each criterion's satisfied-or-better share."""
        if self.survey.aspects:
            values = [v for v in self.aspects.values() if v is not None]
        else:
            values = [
                s for c in self.criteria if (s := c.shares.share(*SATISFIED_OR_BETTER)) is not None
            ]
        return sum(values) / len(values) if values else None


def figures(
    survey: SurveyDefinition,
    versions: dict[int, SurveyDefinition],
    answer_counts: Iterable[tuple[int, str, int, int]],
    ballot_counts: Iterable[tuple[int, int, int]],
    *,
    excluded: int = 0,
    min_responses: int = 30,
) -> Figures:
    """Figures from rollup rows: answers ``(version, question, value, n)`` and ballots
    ``(version, level, n)``. Each version's own scale says which category a value is in; the
    current version (``survey``) gives the criteria, their order and wording."""
    categories = {version: s.scale.categories() for version, s in versions.items()}
    per_question: dict[str, Counter[str]] = {q.key: Counter() for q in survey.questions}
    for version, question, value, n in answer_counts:
        category = categories[version].get(value)
        if category is not None and question in per_question:
            per_question[question][category] += n
    ballots: Counter[str] = Counter()
    unclassified = 0
    for version, value, n in ballot_counts:
        category = categories[version].get(value)
        if category is None:
            unclassified += n
        else:
            ballots[category] += n
    base = empty_counts(survey)
    criteria = [
        Criterion(
            key=q.key,
            label_vi=q.text_vi,
            label_en=q.text_en,
            aspect=q.aspect,
            shares=Shares({**base, **per_question[q.key]}),
        )
        for q in survey.questions
    ]
    aspects: dict[str, float | None] = {}
    for aspect in survey.aspects:
        values = [
            s
            for c in criteria
            if c.aspect == aspect.key and (s := c.shares.share(*SATISFIED_OR_BETTER)) is not None
        ]
        aspects[aspect.key] = sum(values) / len(values) if values else None
    return Figures(
        survey=survey,
        ballots=Shares({**base, **ballots}),
        criteria=criteria,
        excluded=excluded,
        min_responses=min_responses,
        unclassified=unclassified,
        aspects=aspects,
    )
