"""The figures: level counts, shares, Wilson intervals and the SIPAS-style index."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from app.surveys.definition import SATISFIED_OR_BETTER, SurveyDefinition

Z95 = 1.959963984540054
CATEGORIES = ("very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied")
POSITION = {category: i for i, category in enumerate(CATEGORIES)}
GOOD_AT = tuple(sorted(POSITION[c] for c in SATISFIED_OR_BETTER))


def wilson(successes: float, total: float, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval for a proportion: sound at 0 %, 100 % and small samples.
    ``total`` may be an effective sample size (not a whole number)."""
    if total <= 0:
        return None
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Moments:
    """Sums over ballots of n (criteria answered) and k (of them satisfied or better)."""

    ballots: int = 0
    n: int = 0
    k: int = 0
    kk: int = 0
    kn: int = 0
    nn: int = 0

    def __add__(self, other: Moments) -> Moments:
        return Moments(*(a + b for a, b in zip(self.row(), other.row(), strict=True)))

    def row(self) -> tuple[int, int, int, int, int, int]:
        return (self.ballots, self.n, self.k, self.kk, self.kn, self.nn)

    def effective_size(self) -> float | None:
        """How many independent answers the ballots are worth for the share k/n.

        The share is a ratio over clusters (a ballot's answers go together), so its variance is
        estimated from the spread of each ballot's residual k − p·n (the usual ratio-estimator
        variance); the effective size is the number of independent answers with that variance.
        When every answer is alike (p = 0 or 1) the spread tells nothing, and each ballot
        counts as one observation."""
        m, total = self.ballots, self.n
        if m <= 0 or total <= 0:
            return None
        p = self.k / total
        if m < 2 or self.k in (0, total):
            return float(m)
        residual = self.kk - 2 * p * self.kn + p * p * self.nn
        variance = residual / (m - 1) / (m * (total / m) ** 2)
        if variance <= 0:
            return float(total)
        return min(max(p * (1 - p) / variance, 1.0), float(total))

    def ci95(self) -> tuple[float, float] | None:
        """The headline's 95 % interval with the ballot as the unit: Wilson on the share k/n
        with the effective sample size."""
        size = self.effective_size()
        if size is None:
            return None
        return wilson(self.k / self.n * size, size)


@dataclass(slots=True)
class Shares:
    """Counts per category and what follows from them. The counts are not changed once given:
    the total is summed once (a ranking reads it from thousands of Shares, several times each)."""

    counts: dict[str, int]
    total: int = field(init=False, compare=False)
    good: int = field(init=False, compare=False)  # satisfied or better

    def __post_init__(self) -> None:
        self.total = sum(self.counts.values())
        self.good = sum(self.counts.get(c, 0) for c in SATISFIED_OR_BETTER)

    @property
    def headline(self) -> float | None:
        """The share satisfied or better."""
        return self.good / self.total if self.total else None

    def share(self, *categories: str) -> float | None:
        total = self.total
        if not total:
            return None
        return sum(self.counts.get(c, 0) for c in categories) / total

    def shares(self) -> dict[str, float | None]:
        total = self.total
        if not total:
            return dict.fromkeys((*self.counts, "satisfied_or_better"))
        out: dict[str, float | None] = {c: n / total for c, n in self.counts.items()}
        out["satisfied_or_better"] = self.good / total
        return out

    def ci95(self, *categories: str) -> tuple[float, float] | None:
        return wilson(sum(self.counts.get(c, 0) for c in categories), self.total)

    def headline_ci95(self) -> tuple[float, float] | None:
        return wilson(self.good, self.total)


def empty_counts(survey: SurveyDefinition) -> dict[str, int]:
    return {level.category: 0 for level in survey.scale.levels}


@dataclass(slots=True)
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
    moments: Moments = field(default_factory=Moments)
    sources: dict[str, int] = field(default_factory=dict)  # every ballot stored, by source
    uncounted: dict[str, int] = field(default_factory=dict)  # left out by the office's policy
    # Satisfied or better over all answers to all criteria (the figure units are ranked on):
    # ``pooled``'s share, counted by ``assemble`` from the tally.
    headline: float | None = None

    @property
    def ballot_count(self) -> int:
        return self.ballots.total + self.unclassified

    @property
    def enough_responses(self) -> bool:
        return self.ballot_count >= self.min_responses

    def headline_ci95(self) -> tuple[float, float] | None:
        """The headline's interval, the ballot as the unit (not each answer: a citizen's six
        answers are not six citizens)."""
        return self.moments.ci95()

    @cached_property
    def pooled(self) -> Shares:
        total = empty_counts(self.survey)
        for criterion in self.criteria:
            for category, n in criterion.shares.counts.items():
                total[category] = total.get(category, 0) + n
        return Shares(total)

    @property
    def index(self) -> float | None:
        """SIPAS style: the mean of the aspects' means where the survey has aspects, else the
        mean over criteria, of each criterion's satisfied-or-better share."""
        if self.aspects:
            values = [v for v in self.aspects.values() if v is not None]
        else:
            values = [s for c in self.criteria if (s := c.shares.headline) is not None]
        return sum(values) / len(values) if values else None


def scales(
    versions: dict[tuple[str, int], SurveyDefinition],
) -> dict[tuple[str, int], dict[int, str]]:
    """Each survey version's value → category map."""
    return {ref: s.categories for ref, s in versions.items()}


@dataclass
class Tally:
    """Counts by category, per question and per ballot, for one office sub-tree and period."""

    # Per question, its answers by category, in ``CATEGORIES`` order (lists: a ranking sums
    # thousands of rows, and lists add in C).
    answers: dict[str, list[int]] = field(default_factory=dict)
    ballots: dict[str, int] = field(default_factory=dict)
    unclassified: int = 0
    moments: Moments = field(default_factory=Moments)
    # Ballots by source, and those of them the office's policy leaves out of the figures.
    sources: dict[str, int] = field(default_factory=dict)
    uncounted: dict[str, int] = field(default_factory=dict)


def tally(
    categories: dict[tuple[str, int], dict[int, str]],
    answer_counts: Iterable[tuple[str, int, str, int, int]],
    ballot_counts: Iterable[tuple[str, int, int, int]],
) -> Tally:
    """Rollup rows (answers ``(survey, version, question, value, n)``, ballots ``(survey,
    version, level, n)``) by category under each version's own scale, so 3- and 5-level
    answers meet in "satisfied or better"."""
    out = Tally()
    for key, version, question, value, n in answer_counts:
        category = categories[key, version].get(value)
        if category is not None:
            counts = out.answers.get(question) or out.answers.setdefault(
                question, [0] * len(CATEGORIES)
            )
            counts[POSITION[category]] += n
    for key, version, value, n in ballot_counts:
        category = categories[(key, version)].get(value)
        if category is None:
            out.unclassified += n
        else:
            out.ballots[category] = out.ballots.get(category, 0) + n
    return out


def figures(
    survey: SurveyDefinition,
    versions: dict[tuple[str, int], SurveyDefinition],
    answer_counts: Iterable[tuple[str, int, str, int, int]],
    ballot_counts: Iterable[tuple[str, int, int, int]],
    *,
    moments: Moments | None = None,
    questions: tuple[str, ...] | None = None,
    excluded: int = 0,
    min_responses: int = 30,
) -> Figures:
    """Figures from rollup rows (see ``tally``)."""
    counted = tally(scales(versions), answer_counts, ballot_counts)
    counted.moments = moments or Moments()
    return assemble(
        survey, counted, questions=questions, excluded=excluded, min_responses=min_responses
    )


@dataclass(frozen=True)
class _Layout:
    """What ``assemble`` works out once per survey and questions: a ranking assembles hundreds
    of units of one survey."""

    asked: list[tuple[str, str, str, str | None]]  # key, wording, aspect
    base: dict[str, int]  # the survey's categories, at 0
    order: tuple[int, ...]  # their places in ``CATEGORIES``
    others: tuple[int, ...]  # the places of the categories its scale has not

    def shares(self, counts: list[int] | None) -> Shares:
        """A question's counts (``Tally.answers``): the survey's categories, then any other
        that has answers (a scale of other levels compared with it)."""
        if counts is None:
            return Shares(dict(self.base))
        if self.order == _ALL_FORWARD:  # a five-level scale: the counts as they come
            out = dict(zip(self.base, counts, strict=True))
        else:
            out = dict(zip(self.base, map(counts.__getitem__, self.order), strict=True))
        for i in self.others:
            if counts[i]:
                out[CATEGORIES[i]] = counts[i]
        return Shares(out)


_ALL_FORWARD = tuple(range(len(CATEGORIES)))
# (id of the survey, questions) -> (the survey, kept so the id is not reused, and its layout)
_layouts: dict[tuple[int, tuple[str, ...] | None], tuple[SurveyDefinition, _Layout]] = {}


def _layout(survey: SurveyDefinition, questions: tuple[str, ...] | None) -> _Layout:
    known = _layouts.get((id(survey), questions))
    if known is not None and known[0] is survey:
        return known[1]
    asked = [
        (q.key, q.text_vi, q.text_en, q.aspect if questions is None else None)
        for q in survey.questions
        if questions is None or q.key in questions
    ]
    base = empty_counts(survey)
    layout = _Layout(
        asked,
        base,
        tuple(POSITION[c] for c in base),
        tuple(i for i, c in enumerate(CATEGORIES) if c not in base),
    )
    if len(_layouts) > 256:  # surveys and their versions are few; a bound all the same
        _layouts.clear()
    _layouts[(id(survey), questions)] = (survey, layout)
    return layout


def assemble(
    survey: SurveyDefinition,
    counted: Tally,
    *,
    questions: tuple[str, ...] | None = None,
    excluded: int = 0,
    min_responses: int = 30,
) -> Figures:
    """Figures from counts by category: ``survey`` gives the criteria, their order and wording,
    narrowed to ``questions`` when several surveys are compared."""
    layout = _layout(survey, questions)
    base, answers = layout.base, counted.answers
    criteria = [
        Criterion(key, text_vi, text_en, aspect, layout.shares(answers.get(key)))
        for key, text_vi, text_en, aspect in layout.asked
    ]
    good = total = 0
    for key, *_ in layout.asked:
        counts = answers.get(key)
        if counts:
            total += sum(counts)
            for i in GOOD_AT:
                good += counts[i]
    aspects: dict[str, float | None] = {}
    for aspect in survey.aspects if questions is None else []:
        values = [
            s for c in criteria if c.aspect == aspect.key and (s := c.shares.headline) is not None
        ]
        aspects[aspect.key] = sum(values) / len(values) if values else None
    return Figures(
        survey=survey,
        ballots=Shares({**base, **counted.ballots}),
        criteria=criteria,
        excluded=excluded,
        min_responses=min_responses,
        unclassified=counted.unclassified,
        aspects=aspects,
        moments=counted.moments,
        sources=counted.sources,
        uncounted=counted.uncounted,
        headline=good / total if total else None,
    )
