"""Every table, imported together so Alembic and the app see one metadata."""

from sqlmodel import SQLModel

# Named constraints, so migrations can alter them on SQLite (batch mode) and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

from app.models.account import (  # noqa: E402
    ApiToken,
    LoginSession,
    LoginThrottle,
    User,
    UserCreate,
    UserPublic,
)
from app.models.audit import AuditEvent, Exclusion  # noqa: E402
from app.models.ballot import Answer, Ballot, BallotPublic, OfficeChain  # noqa: E402
from app.models.cases import Case  # noqa: E402
from app.models.log import LogCheckpoint, LogEntry, LogNode, LogPending  # noqa: E402
from app.models.office import (  # noqa: E402
    Counter,
    Office,
    OfficeCreate,
    OfficePublic,
    TreeVersion,
)
from app.models.outbox import (  # noqa: E402
    OfficeAlert,
    OutboxAttempt,
    OutboxMessage,
    Webhook,
)
from app.models.rollup import (  # noqa: E402
    AnswerRollup,
    BallotMoments,
    BallotRollup,
    CriteriaRollup,
    DossierRollup,
)
from app.models.signals import (  # noqa: E402
    BallotFlag,
    BallotSignal,
    FlagReview,
    SignalKey,
    SignalScan,
)
from app.models.sources import CounterServing, Device, Dossier, Integration  # noqa: E402
from app.models.survey import SurveyVersion  # noqa: E402

metadata = SQLModel.metadata

__all__ = [
    "Answer",
    "AnswerRollup",
    "ApiToken",
    "AuditEvent",
    "Ballot",
    "BallotFlag",
    "BallotMoments",
    "BallotPublic",
    "BallotRollup",
    "BallotSignal",
    "Case",
    "Counter",
    "CounterServing",
    "CriteriaRollup",
    "Device",
    "Dossier",
    "DossierRollup",
    "Exclusion",
    "FlagReview",
    "Integration",
    "LogCheckpoint",
    "LogEntry",
    "LogNode",
    "LogPending",
    "LoginSession",
    "LoginThrottle",
    "Office",
    "OfficeAlert",
    "OfficeChain",
    "OfficeCreate",
    "OfficePublic",
    "OutboxAttempt",
    "OutboxMessage",
    "SignalKey",
    "SignalScan",
    "SurveyVersion",
    "TreeVersion",
    "User",
    "UserCreate",
    "UserPublic",
    "Webhook",
    "metadata",
]
