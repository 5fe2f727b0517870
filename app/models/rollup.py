"""Counts kept up to date in the same transaction as each ballot, so figures never rescan
raw answers. Each count is kept per local day in Vietnam (UTC+07:00), per month and per year
(``grain`` d, m or y; ``start`` is the bucket's first day), so a period is read from the
coarsest buckets that fit in it: a year of a province is a few thousand rows, however many
ballots it holds. Each count is also kept per ballot source (open QR, counter, dossier, kiosk),
so an office's policy on which sources count applies when figures are read, and changing it
needs no recount."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Column, Date, PrimaryKeyConstraint, SmallInteger
from sqlmodel import Field, SQLModel


class AnswerRollup(SQLModel, table=True):
    """How many answers of each value each question got, per office, survey version and day."""

    __tablename__ = "answer_rollup"
    __table_args__ = (
        PrimaryKeyConstraint(
            "office_id",
            "survey_key",
            "grain",
            "start",
            "survey_version",
            "question_key",
            "value",
            "source",
        ),
        # SQLite: the primary key is the table, so reading a period is one index range scan.
        {"sqlite_with_rowid": False},
    )

    office_id: int = Field(foreign_key="office.id")
    survey_key: str = Field(max_length=64)
    survey_version: int
    grain: str = Field(max_length=1)
    start: date = Field(sa_column=Column(Date, nullable=False))
    source: str = Field(max_length=16)  # how the ballots came (SOURCES): a policy may not count it
    question_key: str = Field(max_length=64)
    value: int = Field(sa_type=SmallInteger)
    n: int = Field(sa_column=Column(BigInteger, nullable=False))


class BallotRollup(SQLModel, table=True):
    """How many ballots fell at each level under the survey's ballot rule (0: unclassified)."""

    __tablename__ = "ballot_rollup"
    __table_args__ = (
        PrimaryKeyConstraint(
            "office_id", "survey_key", "grain", "start", "survey_version", "level", "source"
        ),
        {"sqlite_with_rowid": False},
    )

    office_id: int = Field(foreign_key="office.id")
    survey_key: str = Field(max_length=64)
    survey_version: int
    grain: str = Field(max_length=1)
    start: date = Field(sa_column=Column(Date, nullable=False))
    source: str = Field(max_length=16)  # how the ballots came (SOURCES): a policy may not count it
    level: int = Field(sa_type=SmallInteger)
    n: int = Field(sa_column=Column(BigInteger, nullable=False))


class BallotMoments(SQLModel, table=True):
    """Per ballot, how many criteria it answered (n) and how many of those were satisfied or
    better (k), summed as moments: ballots, Σn, Σk, Σk², Σkn, Σn². The headline's interval
    treats the ballot, not the answer, as the unit (a citizen's six answers go together), and
    these sums give its variance without reading raw answers.

    ``criteria`` is "" for all of the survey's questions, or the key of the shared criteria set
    (``surveys/criteria/``) the survey is compared on."""

    __tablename__ = "ballot_moments"
    __table_args__ = (
        PrimaryKeyConstraint(
            "office_id", "survey_key", "grain", "start", "survey_version", "criteria", "source"
        ),
        {"sqlite_with_rowid": False},
    )

    office_id: int = Field(foreign_key="office.id")
    survey_key: str = Field(max_length=64)
    survey_version: int
    grain: str = Field(max_length=1)
    start: date = Field(sa_column=Column(Date, nullable=False))
    source: str = Field(max_length=16)  # how the ballots came (SOURCES): a policy may not count it
    criteria: str = Field(max_length=64)
    ballots: int = Field(sa_column=Column(BigInteger, nullable=False))
    n: int = Field(sa_column=Column(BigInteger, nullable=False))
    k: int = Field(sa_column=Column(BigInteger, nullable=False))
    kk: int = Field(sa_column=Column(BigInteger, nullable=False))
    kn: int = Field(sa_column=Column(BigInteger, nullable=False))
    nn: int = Field(sa_column=Column(BigInteger, nullable=False))


class CriteriaRollup(SQLModel, table=True):
    """The shared criteria (``surveys/criteria/``) pre-summed over every survey and version that
    asks them, by category: one row per office, bucket and question, so a province overview
    reads six rows per unit instead of one per survey, version, question and value.

    ``question_key`` "" is the ballot itself: its category under its survey's ballot rule (or
    ``unclassified``) and its moments over the shared criteria (as in ``BallotMoments``), by
    source. The questions' rows count every source together (``source`` "*")."""

    __tablename__ = "criteria_rollup"
    __table_args__ = (
        PrimaryKeyConstraint("office_id", "criteria", "grain", "start", "question_key", "source"),
        {"sqlite_with_rowid": False},
    )

    office_id: int = Field(foreign_key="office.id")
    criteria: str = Field(max_length=64)
    grain: str = Field(max_length=1)
    start: date = Field(sa_column=Column(Date, nullable=False))
    source: str = Field(max_length=16)  # how the ballots came (SOURCES), or "*": all of them
    question_key: str = Field(max_length=64)
    very_satisfied: int = Field(sa_column=Column(BigInteger, nullable=False))
    satisfied: int = Field(sa_column=Column(BigInteger, nullable=False))
    neutral: int = Field(sa_column=Column(BigInteger, nullable=False))
    dissatisfied: int = Field(sa_column=Column(BigInteger, nullable=False))
    very_dissatisfied: int = Field(sa_column=Column(BigInteger, nullable=False))
    unclassified: int = Field(sa_column=Column(BigInteger, nullable=False))
    ballots: int = Field(sa_column=Column(BigInteger, nullable=False))
    n: int = Field(sa_column=Column(BigInteger, nullable=False))
    k: int = Field(sa_column=Column(BigInteger, nullable=False))
    kk: int = Field(sa_column=Column(BigInteger, nullable=False))
    kn: int = Field(sa_column=Column(BigInteger, nullable=False))
    nn: int = Field(sa_column=Column(BigInteger, nullable=False))


class DossierRollup(SQLModel, table=True):
    """Dossiers per office, bucket and the rating bound to them, kept with each dossier the
    one-stop software reports and each ballot bound to one (``app/stats/dossier_rollup.py``).

    ``registered`` counts by the day a dossier was received; ``returned`` and ``late`` by the
    day its result was returned, under its rating's survey version and ballot level, or under
    ``survey_key`` "" while it has none."""

    __tablename__ = "dossier_rollup"
    __table_args__ = (
        PrimaryKeyConstraint(
            "office_id", "grain", "start", "survey_key", "survey_version", "level"
        ),
        {"sqlite_with_rowid": False},
    )

    office_id: int = Field(foreign_key="office.id")
    grain: str = Field(max_length=1)
    start: date = Field(sa_column=Column(Date, nullable=False))
    survey_key: str = Field(max_length=64)
    survey_version: int
    level: int = Field(sa_type=SmallInteger)
    registered: int = Field(sa_column=Column(BigInteger, nullable=False))
    returned: int = Field(sa_column=Column(BigInteger, nullable=False))
    late: int = Field(sa_column=Column(BigInteger, nullable=False))
