"""Offices: a generic tree of units, each with a code, a kind and the survey it uses."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.core.errors import Conflict, InvalidInput, NotFound, OfficeNotFound
from app.core.hours import parse_hours
from app.core.networks import parse_networks
from app.core.thresholds import parse_alert_rule
from app.models import Counter, Office, OfficeCreate, OfficePublic
from app.models.office import CODE_PATTERN, KINDS
from app.models.sources import SOURCES
from app.offices.moves import above, move_counts
from app.offices.tree import parse_sources
from app.surveys.catalog import SurveyCatalog

CSV_HEADER = ["code", "name", "parent", "kind", "survey"]
_CODE_RE = re.compile(CODE_PATTERN)


def get_by_code(session: Session, code: str) -> Office:
    office = session.exec(select(Office).where(Office.code == code)).first()
    if office is None:
        raise OfficeNotFound(code)
    return office


@dataclass(frozen=True)
class Lineage:
    """An office with its ancestors, for the settings an office inherits (its own, else the
    nearest ancestor's): sources counted, hours, staff networks, a case's working days."""

    path: tuple[int, ...]  # the office's id and its ancestors', nearest first
    offices: dict[int, Office]

    def nearest(self, setting: str) -> str | None:
        found = (getattr(self.offices[i], setting) for i in self.path if i in self.offices)
        return next((str(value) for value in found if value), None)


def lineage(session: Session, office: Office) -> Lineage:
    path = office_path(session, office)
    rows = session.exec(select(Office).where(col(Office.id).in_(path)))
    return Lineage(tuple(path), {row.id or 0: row for row in rows})


def office_path(session: Session, office: Office) -> list[int]:
    """The office's id and its ancestors', nearest first."""
    path, parent = [office.id or 0], office.parent_id
    while parent is not None and parent not in path:
        path.append(parent)
        parent = session.exec(select(Office.parent_id).where(Office.id == parent)).first()
    return path


def counters_of(session: Session, office: Office) -> list[Counter]:
    return list(
        session.exec(
            select(Counter).where(Counter.office_id == office.id).order_by(col(Counter.number))
        )
    )


def to_public(session: Session, office: Office) -> OfficePublic:
    parent = session.get(Office, office.parent_id) if office.parent_id else None
    return OfficePublic(
        code=office.code,
        name=office.name,
        kind=office.kind,
        survey_key=office.survey_key,
        parent=parent.code if parent else None,
        counters=[c.number for c in counters_of(session, office)],
    )


def _problems(data: OfficeCreate, catalog: SurveyCatalog) -> list[str]:
    problems = []
    if not _CODE_RE.match(data.code):
        problems.append(
            f"code {data.code!r}: use letters, digits, '.', '_' or '-' (at most 64 characters)"
        )
    if not data.name.strip():
        problems.append("name: must not be empty")
    if data.kind not in KINDS:
        problems.append(f"kind {data.kind!r}: must be one of {', '.join(KINDS)}")
    if data.survey_key and catalog.get(data.survey_key) is None:
        problems.append(
            f"survey {data.survey_key!r}: no such survey (known: {', '.join(catalog.surveys)})"
        )
    if data.parent == data.code:
        problems.append("parent: an office cannot be its own parent")
    return problems


def create_office(
    session: Session, data: OfficeCreate, catalog: SurveyCatalog, *, is_demo: bool = False
) -> Office:
    problems = _problems(data, catalog)
    if problems:
        raise InvalidInput("; ".join(problems))
    if session.exec(select(Office.id).where(Office.code == data.code)).first() is not None:
        raise Conflict(f"an office with code {data.code!r} already exists")
    parent = get_by_code(session, data.parent) if data.parent else None
    office = Office(
        code=data.code,
        name=unicodedata.normalize("NFC", data.name.strip()),
        kind=data.kind,
        survey_key=data.survey_key or None,
        parent_id=parent.id if parent else None,
        is_demo=is_demo,
    )
    session.add(office)
    session.flush()
    return office


def update_office(
    session: Session,
    code: str,
    catalog: SurveyCatalog,
    *,
    name: str | None = None,
    kind: str | None = None,
    survey_key: str | None = None,
    inherit_survey: bool = False,
    parent: str | None = None,
    counters: int | None = None,
    count_sources: str | None = None,
    staff_networks: str | None = None,
    opening_hours: str | None = None,
    case_days: str | None = None,
    alert_rule: str | None = None,
    public: str | None = None,
) -> Office:
    """Change what may change about an office; its code, like its ballots, stays.
    ``count_sources``: which ballot sources its figures count ("open,counter,…"), or
    "inherit" for its parent's policy. ``staff_networks`` ("10.1.2.0/24,…") and
    ``opening_hours`` ("T2-T6 07:30-11:30,13:30-17:00; T7 07:30-11:30") likewise, "inherit"
    to take the parent's (or the national default hours) again; ``case_days`` (the working
    days a case has), ``alert_rule`` ("50% 60m 4" or "off") and ``public`` ("on", "off": whether
    its results are published at /cong-khai) too."""
    office = get_by_code(session, code)
    data = OfficeCreate.model_construct(
        code=office.code,
        name=office.name if name is None else name,
        kind=office.kind if kind is None else kind,
        survey_key=survey_key,
        parent=parent,
    )
    problems = _problems(data, catalog)
    if problems:
        raise InvalidInput("; ".join(problems))
    office.name = unicodedata.normalize("NFC", data.name.strip())
    office.kind = data.kind
    if survey_key is not None or inherit_survey:
        office.survey_key = survey_key
    if count_sources is not None:
        office.count_sources = _policy(count_sources)
    if staff_networks is not None:
        office.staff_networks = _networks(staff_networks)
    if opening_hours is not None:
        office.opening_hours = _hours(opening_hours)
    if case_days is not None:
        office.case_days = _days(case_days)
    if alert_rule is not None:
        office.alert_rule = _alert_rule(alert_rule)
    if public is not None:
        office.public = _public(public)
    if parent is not None:
        new_parent = get_by_code(session, parent)
        ancestor: Office | None = new_parent
        while ancestor is not None:
            if ancestor.id == office.id:
                raise InvalidInput(f"parent {parent!r}: {code!r} cannot sit under itself")
            ancestor = session.get(Office, ancestor.parent_id) if ancestor.parent_id else None
        conn = session.connection()
        before = above(conn, office.id or 0)  # its counts follow it to its new ancestors
        office.parent_id = new_parent.id
        session.add(office)
        session.flush()
        move_counts(conn, office.id or 0, before, above(conn, office.id or 0))
    session.add(office)
    session.flush()
    if counters is not None:
        set_counters(session, office, counters)
    return office


def _policy(text: str) -> str | None:
    if text.strip() == "inherit":
        return None
    try:
        chosen = parse_sources(text)
    except ValueError as exc:
        raise InvalidInput(f"--count: {exc}") from exc
    return ",".join(s for s in SOURCES if s in chosen)


def _networks(text: str) -> str | None:
    if text.strip() == "inherit":
        return None
    networks = parse_networks(text)
    if not networks:
        raise InvalidInput("--staff-network: name at least one network, or inherit")
    written = ",".join(str(n) for n in networks)
    if len(written) > 500:
        raise InvalidInput("--staff-network: at most 500 characters")
    return written


def _hours(text: str) -> str | None:
    text = " ".join(text.split())
    if text == "inherit":
        return None
    parse_hours(text)
    if len(text) > 200:
        raise InvalidInput("--hours: at most 200 characters")
    return text


def _days(text: str) -> int | None:
    if text.strip() == "inherit":
        return None
    if not text.strip().isdigit() or not 1 <= int(text) <= 60:
        raise InvalidInput("--case-days: a number of working days from 1 to 60, or inherit")
    return int(text)


def _alert_rule(text: str) -> str | None:
    if text.strip() == "inherit":
        return None
    rule = parse_alert_rule(text)
    return "off" if rule is None else str(rule)


def set_counters(session: Session, office: Office, count: int) -> list[Counter]:
    """Make sure counters 1..count exist (existing ones are kept, never renumbered)."""
    if not 0 <= count <= 999:
        raise InvalidInput("counters: between 0 and 999")
    have = {c.number for c in counters_of(session, office)}
    for number in range(1, count + 1):
        if number not in have:
            session.add(Counter(office_id=office.id or 0, number=number, name=f"Quầy {number}"))
    session.flush()
    return counters_of(session, office)


@dataclass
class ImportResult:
    created: int
    updated: int = 0


def import_csv(
    session: Session, text: str, catalog: SurveyCatalog, *, update: bool = False
) -> ImportResult:
    """Import offices from CSV; all or nothing, every bad row reported with its line number.
    With ``update``, a row whose code exists changes that office (name, kind, survey: empty
    means inherited; parent: empty leaves it where it is), so ``office list`` output imports
    back."""
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header] != CSV_HEADER:
        raise InvalidInput(f"line 1: the header must be exactly {','.join(CSV_HEADER)}")
    rows: dict[str, tuple[int, OfficeCreate]] = {}
    problems: list[str] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(CSV_HEADER):
            problems.append(f"line {line}: expected {len(CSV_HEADER)} fields, found {len(row)}")
            continue
        code, name, parent, kind, survey = (cell.strip() for cell in row)
        data = OfficeCreate.model_construct(
            code=code,
            name=name,
            parent=parent or None,
            kind=kind or "one-stop",
            survey_key=survey or None,
        )
        problems += [f"line {line}: {p}" for p in _problems(data, catalog)]
        if code in rows:
            problems.append(f"line {line}: code {code!r} repeats line {rows[code][0]}")
            continue
        rows[code] = (line, data)
    existing = set(session.exec(select(Office.code).where(col(Office.code).in_(list(rows)))))
    for code, (line, data) in rows.items():
        if code in existing and not update:
            problems.append(
                f"line {line}: an office with code {code!r} already exists (--update changes it)"
            )
        if data.parent and data.parent not in rows and not _exists(session, data.parent):
            problems.append(
                f"line {line}: parent {data.parent!r} is neither in the file nor stored"
            )
    order = _parents_first(rows, problems)
    if problems:
        raise InvalidInput("\n".join(problems))
    updated = 0
    for code in order:
        data = rows[code][1]
        if code not in existing:
            create_office(session, data, catalog)
            continue
        try:
            update_office(
                session,
                code,
                catalog,
                name=data.name,
                kind=data.kind,
                survey_key=data.survey_key,
                inherit_survey=data.survey_key is None,
                parent=data.parent,
            )
        except InvalidInput as exc:
            raise InvalidInput(f"line {rows[code][0]}: {exc.message}") from exc
        updated += 1
    return ImportResult(created=len(order) - updated, updated=updated)


def _exists(session: Session, code: str) -> bool:
    return session.exec(select(Office.id).where(Office.code == code)).first() is not None


def _parents_first(rows: dict[str, tuple[int, OfficeCreate]], problems: list[str]) -> list[str]:
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(code: str, trail: list[str]) -> None:
        if state.get(code) == "done":
            return
        if state.get(code) == "visiting":
            cycle = " → ".join([*trail[trail.index(code) :], code])
            problems.append(f"line {rows[code][0]}: parents form a cycle: {cycle}")
            return
        state[code] = "visiting"
        parent = rows[code][1].parent
        if parent in rows:
            visit(parent, [*trail, code])
        state[code] = "done"
        order.append(code)

    for code in rows:
        visit(code, [])
    return order


def list_offices(session: Session) -> list[Office]:
    return list(session.exec(select(Office).order_by(col(Office.code))))


def require_counter(session: Session, office: Office, counter: int | None) -> None:
    check_counter(office.code, {c.number for c in counters_of(session, office)}, counter)


def check_counter(code: str, counters: Collection[int], counter: int | None) -> None:
    if counter is not None and counter not in counters:
        raise NotFound(
            f"Office {code!r} has no counter {counter}",
            message_vi=f"Đơn vị này không có quầy số {counter}.",
        )


def _public(value: str) -> bool | None:
    choices = {"on": True, "off": False, "inherit": None}
    if value.strip().lower() not in choices:
        raise InvalidInput(
            f"public: on, off or inherit, not {value!r}",
            message_vi="Công khai kết quả: chọn bật (on), tắt (off) hoặc theo cấp trên (inherit).",
        )
    return choices[value.strip().lower()]
