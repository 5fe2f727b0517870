"""Demo stuffing, so that the flags page has something to triage: one phone rating a unit
eight times in forty minutes, and three top ratings from the unit's own staff network."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlmodel import Session

from app.ballots.service import submit
from app.ballots.validation import Submission
from app.core.locale import to_local
from app.offices.service import get_by_code, update_office
from app.signals.limiter import Client
from app.signals.record import Observed
from app.signals.scan import scan
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import survey_for_office

UNIT = "000.06.01.H56"
STAFF_NETWORK = "10.38.6.0/24"
STUFFED = 11


def add_stuffing(session: Session, catalog: SurveyCatalog, now: datetime) -> int:
    """Store the stuffed ballots (marked demo) and run the detectors over their day."""
    update_office(session, UNIT, catalog, staff_networks=STAFF_NETWORK)
    survey = survey_for_office(session, catalog, get_by_code(session, UNIT))
    top = {q.key: max(level.value for level in survey.scale.levels) for q in survey.questions}
    day = to_local(now - timedelta(days=2)).replace(hour=14, minute=30, second=0, microsecond=0)
    senders = [Client("113.160.1.20", "d" * 32)] * 8 + [Client("10.38.6.15", None)] * 3
    assert len(senders) == STUFFED
    for n, client in enumerate(senders):
        at = day + timedelta(minutes=5 * n)
        submit(
            session,
            catalog,
            UNIT,
            Submission(answers=dict(top)),
            channel="web" if client.device else "api",
            idempotency_key=uuid.uuid4().hex,
            strict_replay=True,
            submitted_at=at,
            is_demo=True,
            observed=Observed(client=client),
        )
    scan(session.connection(), since=day, until=day + timedelta(hours=3))
    return len(senders)
