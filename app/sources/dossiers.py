"""Dossiers as the one-stop software reports them, and the rating link each one gets."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, Field, ValidationError, field_validator
from sqlmodel import Session, select

from app.core.errors import InvalidInput
from app.models import Ballot, BallotPublic, Dossier, Office
from app.models.types import utcnow
from app.offices.service import counters_of, get_by_code
from app.sources.links import (
    STAFF_CODE,
    Keys,
    check_dossier_code,
    link_days,
    mint_link,
    rating_url,
    today,
)
from app.sources.service import Credential, scoped_office
from app.stats import dossier_rollup
from app.stats.dossier_rollup import dossier_key

CSV_FIELDS = (
    "dossier_code",
    "procedure_code",
    "field",
    "officer_code",
    "officer_name",
    "counter",
    "received_at",
    "due_at",
    "returned_at",
)


class DossierIn(BaseModel):
    """What the one-stop software knows of a dossier; anything may come later (send the same
    PUT again): a field left out keeps what was stored."""

    procedure_code: Annotated[str, Field(pattern=r"^[0-9A-Za-z.\-]{1,32}$")] | None = Field(
        default=None, description="Mã thủ tục hành chính, e.g. 1.001776", examples=["1.001776"]
    )
    field: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="Lĩnh vực", examples=["Hộ tịch"]
    )
    officer_code: Annotated[str, Field(pattern=STAFF_CODE.pattern)] | None = Field(
        default=None, description="The receiving officer's staff code"
    )
    officer_name: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    counter: Annotated[int, Field(ge=1, le=999)] | None = None
    received_at: AwareDatetime | None = None
    due_at: AwareDatetime | None = None
    returned_at: AwareDatetime | None = None

    model_config = {"extra": "forbid"}

    @field_validator("field", "officer_name")
    @classmethod
    def _words(cls, value: str | None) -> str | None:
        return " ".join(value.split()) if value is not None else None


class DossierOut(BaseModel):
    office: str
    dossier: str
    rating_url: str = Field(description="Print it on the receipt slip or send it by SMS")
    qr_png: str
    qr_svg: str
    expires_on: date = Field(description="The last day the link may be used")
    rated: bool = Field(description="Whether a rating is stored for this dossier")
    received_at: datetime | None = None
    due_at: datetime | None = None
    returned_at: datetime | None = None


def register(
    session: Session,
    keys: Keys,
    public_url: str,
    integration: Credential | None,
    office_code: str,
    dossier_code: str,
    data: DossierIn,
) -> tuple[DossierOut, bool]:
    """Create or update a dossier; returns it with a fresh rating link, and whether it is new."""
    try:
        check_dossier_code(dossier_code)
    except ValueError as exc:
        raise InvalidInput(f"dossier code {dossier_code[:70]!r}: {exc}") from exc
    office = scoped_office(session, integration, office_code)
    if data.counter is not None and data.counter not in {
        c.number for c in counters_of(session, office)
    }:
        raise InvalidInput(f"office {office.code} has no counter {data.counter}")
    code_hash = keys.dossier_hash(office.id or 0, dossier_code)
    conn = session.connection()
    dossier_rollup.hold(conn, [(office.id or 0, code_hash)])  # before reading what it counts
    row = session.exec(
        select(Dossier).where(Dossier.office_id == office.id, Dossier.code_hash == code_hash)
    ).first()
    created = row is None
    rating = dossier_rollup.rating(conn, office.id or 0, code_hash)
    before = None if row is None else _state(row, rating)
    if row is None:
        row = Dossier(office_id=office.id or 0, code_hash=code_hash)
    for name, value in data.model_dump(exclude_none=True).items():
        setattr(row, name, value)
    _check_order(row)
    row.integration_id = integration.id if integration is not None else row.integration_id
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    dossier_rollup.count(conn, before, _state(row, rating))
    return describe(keys, public_url, office, dossier_code, row, rated=rating is not None), created


def _state(row: Dossier, rating: dossier_rollup.Rating | None) -> dossier_rollup.State:
    return dossier_rollup.State(row.office_id, row.received_at, row.due_at, row.returned_at, rating)


def _check_order(row: Dossier) -> None:
    received = row.received_at
    for name in ("due_at", "returned_at"):
        later = getattr(row, name)
        if received is not None and later is not None and later < received:
            raise InvalidInput(f"{name} is before received_at")


def describe(
    keys: Keys, public_url: str, office: Office, code: str, row: Dossier, *, rated: bool
) -> DossierOut:
    issued = today()
    days = link_days(issued, row.returned_at)
    token = mint_link(
        keys,
        office.code,
        code,
        counter=row.counter,
        officer=row.officer_code,
        issued=issued,
        valid_days=days,
        issuer=row.integration_id or 0,
    )
    url = rating_url(public_url, token)
    return DossierOut(
        office=office.code,
        dossier=code,
        rating_url=url,
        qr_png=f"{url}/qr.png",
        qr_svg=f"{url}/qr.svg",
        expires_on=issued + timedelta(days=days),
        rated=rated,
        received_at=row.received_at,
        due_at=row.due_at,
        returned_at=row.returned_at,
    )


def import_csv(
    session: Session, keys: Keys, public_url: str, office_code: str, text: str
) -> tuple[list[str], list[list[str]]]:
    """Register every dossier of a CSV file (header: ``CSV_FIELDS``, only ``dossier_code``
    required; times in ISO 8601 with their offset), all or nothing; returns the rows with a
    ``rating_url`` column added."""
    get_by_code(session, office_code)
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    unknown = [h for h in header if h not in CSV_FIELDS]
    if "dossier_code" not in header or unknown:
        raise InvalidInput(
            "line 1: the header needs dossier_code and may name "
            + ", ".join(CSV_FIELDS[1:])
            + (f" (unknown: {', '.join(unknown)})" if unknown else "")
        )
    parsed: list[tuple[int, str, DossierIn, list[str]]] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        cells = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(cells.values()):
            continue
        code = cells.get("dossier_code", "")
        values: dict[str, Any] = {k: v for k, v in cells.items() if v and k != "dossier_code"}
        try:
            check_dossier_code(code)
            data = DossierIn.model_validate(values)
        except (ValueError, ValidationError) as exc:
            problems.append(f"line {line}: {_short(exc)}")
            continue
        if code in seen:
            problems.append(f"line {line}: dossier {code} repeats line {seen[code]}")
            continue
        seen[code] = line
        parsed.append((line, code, data, [cells.get(h, "") for h in header]))
    if problems:
        raise InvalidInput("\n".join(problems))
    out = []
    for line, code, data, given in parsed:
        try:
            found, _ = register(session, keys, public_url, None, office_code, code, data)
        except InvalidInput as exc:
            raise InvalidInput(f"line {line}: {exc.message}") from exc
        out.append([*given, found.rating_url])
    return [*header, "rating_url"], out


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return str(exc)


def rating_of(session: Session, office_id: int, code_hash: str) -> BallotPublic | None:
    """The rating already stored for a dossier, shown to whoever opens its link again."""
    ballot = session.exec(
        select(Ballot).where(
            Ballot.office_id == office_id, Ballot.idempotency_key == dossier_key(code_hash)
        )
    ).first()
    if ballot is None:
        return None
    office = session.get(Office, office_id)
    return BallotPublic.of(ballot.model_dump(), office.code if office else "")
