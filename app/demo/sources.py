"""Demo data for where ratings come from: an integration, a counter screen and a kiosk, dossiers
(some returned late, some never rated) and ballots of every source."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from app.ballots.office_info import OPEN, Provenance
from app.models import Dossier, Office
from app.sources.issuing import device_secret
from app.sources.links import Keys
from app.sources.service import add_device, add_integration
from app.stats import dossier_rollup

SCREEN_OFFICE, SCREEN_COUNTER = "16003.MC", 1
KIOSK_OFFICE = "000.00.01.H56"
OFFICERS = ["CB01", "CB02", "CB03", "CB04"]
PROCEDURES = [("1.001776", "Hộ tịch"), ("1.000894", "Chứng thực"), ("1.004227", "Đất đai")]


@dataclass
class DemoSources:
    keys: Keys
    integration_id: int
    screen_id: int
    screen_token: str
    screen_secret: bytes | None  # handed to the screen in its address's fragment
    kiosk_id: int
    dossiers: int = 0


def create_sources(session: Session, keys: Keys) -> DemoSources:
    _, integration = add_integration(
        session, "Hệ thống một cửa điện tử (mẫu)", "38", public_key=None, by="demo"
    )
    screen_token, screen = add_device(
        session, "Màn hình quầy 1 (mẫu)", SCREEN_OFFICE, "counter-screen", SCREEN_COUNTER, by="demo"
    )
    _, kiosk = add_device(
        session, "Máy đánh giá sảnh (mẫu)", KIOSK_OFFICE, "kiosk", None, by="demo"
    )
    secret = device_secret(keys, screen.id or 0, screen.secret_salt)
    return DemoSources(
        keys, integration.id or 0, screen.id or 0, screen_token, secret, kiosk.id or 0
    )


def provenance(
    session: Session, rng: random.Random, office: Office, sources: DemoSources, at: datetime
) -> tuple[Provenance, int | None]:
    """A source for one demo ballot, and the counter it names (None: the caller picks)."""
    roll = rng.random()
    if office.code == KIOSK_OFFICE and roll < 0.15:
        return Provenance(source="kiosk", device_id=sources.kiosk_id), None
    if office.code == SCREEN_OFFICE and roll < 0.3:
        return Provenance(source="counter", device_id=sources.screen_id), SCREEN_COUNTER
    if roll < 0.65:
        code_hash, officer = dossier(session, rng, office, sources, at)
        return (
            Provenance(
                source="dossier",
                integration_id=sources.integration_id,
                officer_code=officer,
                dossier_hash=code_hash,
            ),
            None,
        )
    return OPEN, None


def dossier(
    session: Session, rng: random.Random, office: Office, sources: DemoSources, at: datetime
) -> tuple[str, str]:
    """A dossier received a few days before ``at`` and returned by then (one in six late)."""
    sources.dossiers += 1
    code = f"{office.code}-{at:%y%m%d}-{sources.dossiers:04d}"
    procedure, field = rng.choice(PROCEDURES)
    officer = rng.choice(OFFICERS)
    received = at - timedelta(days=rng.randint(4, 10), hours=rng.randint(0, 5))
    if rng.random() < 1 / 6:  # late: due two days after, returned a day after that
        due = received + timedelta(days=2)
        returned = due + timedelta(days=1)
    else:
        due = received + timedelta(days=rng.choice((3, 5, 7)))
        returned = max(received + timedelta(days=1), min(at, due) - timedelta(hours=2))
    code_hash = sources.keys.dossier_hash(office.id or 0, code)
    session.add(
        Dossier(
            office_id=office.id or 0,
            code_hash=code_hash,
            procedure_code=procedure,
            field=field,
            officer_code=officer,
            received_at=received,
            due_at=due,
            returned_at=returned,
            integration_id=sources.integration_id,
        )
    )
    session.flush()  # the ballot that follows finds it and counts it as rated
    state = dossier_rollup.State(office.id or 0, received, due, returned)
    dossier_rollup.count(session.connection(), None, state)
    return code_hash, officer
