"""The headline's 95 % interval takes the ballot, not the answer, as the unit: a citizen's six
answers go together, and treating them as six citizens overstates the precision."""

from __future__ import annotations

import random
from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.stats.maths import Moments, wilson
from app.surveys.catalog import SurveyCatalog
from tests.factories import add_ballots, bearer, make_office, make_user


def _moments(ballots: list[tuple[int, int]]) -> Moments:
    return Moments(
        ballots=len(ballots),
        n=sum(n for _, n in ballots),
        k=sum(k for k, _ in ballots),
        kk=sum(k * k for k, _ in ballots),
        kn=sum(k * n for k, n in ballots),
        nn=sum(n * n for _, n in ballots),
    )


def test_the_interval_covers_the_true_share_95_times_in_100() -> None:
    """Simulated offices whose citizens each have a propensity to be satisfied that all six of
    their answers share (a beta-binomial): the stated interval must cover the office's true
    share in 93–97 % of offices. The old interval, one observation per answer, does not."""
    rng = random.Random(20261126)
    offices = 1500
    covered = covered_by_answers = 0
    for _ in range(offices):
        true_share = rng.uniform(0.55, 0.97)
        concentration = rng.uniform(1.5, 6.0)
        a, b = true_share * concentration, (1 - true_share) * concentration
        ballots = []
        for _ in range(rng.randint(30, 250)):
            propensity = rng.betavariate(a, b)
            ballots.append((sum(rng.random() < propensity for _ in range(6)), 6))
        moments = _moments(ballots)
        low, high = moments.ci95() or (1.0, 0.0)
        covered += low <= true_share <= high
        low, high = wilson(moments.k, moments.n) or (1.0, 0.0)
        covered_by_answers += low <= true_share <= high
    assert 0.93 <= covered / offices <= 0.97, covered / offices
    assert not 0.93 <= covered_by_answers / offices <= 0.97, covered_by_answers / offices


def test_independent_answers_keep_the_answer_level_interval() -> None:
    """With no correlation inside a ballot the effective size is close to the answers'."""
    rng = random.Random(3)
    ballots = [(sum(rng.random() < 0.8 for _ in range(6)), 6) for _ in range(400)]
    moments = _moments(ballots)
    size = moments.effective_size() or 0
    assert 0.7 * moments.n < size <= moments.n


def test_seven_ballots_all_satisfied_are_not_certain(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    make_office(db, registered, code="CI", kind="province")
    make_office(db, registered, code="CI.1", parent="CI")
    add_ballots(db, registered, "CI.1", [5] * 4 + [4] * 3, date(2026, 5, 4))
    headers = bearer(db, make_user(db, "inspector"))
    body = client.get(
        "/api/v1/offices/CI.1/summary?from=2026-05-01&to=2026-05-31", headers=headers
    ).json()
    assert body["headline"] == 1.0
    low, high = body["headline_ci95"]
    assert low < 0.70
    assert high == 1.0
    # A criterion's own interval stays Wilson on that criterion's seven answers.
    assert body["criteria"][0]["ci95"][0] == round(wilson(7, 7)[0], 6)  # type: ignore[index]
    # 38 ballots: the interval is wider than the ±5 points of answers counted as citizens.
    add_ballots(db, registered, "CI.1", [5] * 10 + [4] * 15 + [2] * 6, date(2026, 5, 5))
    body = client.get(
        "/api/v1/offices/CI.1/summary?from=2026-05-01&to=2026-05-31", headers=headers
    ).json()
    low, high = body["headline_ci95"]
    answers_low, answers_high = wilson(round(body["headline"] * 38 * 6), 38 * 6)  # type: ignore[misc]
    assert high - low > answers_high - answers_low
