"""Excluding a ballot from the statistics, and reinstating it: inspectors and admins only, each
with a written reason, every decision kept. The ballot itself stays, in every raw export."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.scope import can_inspect, can_see
from app.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.core.receipts import normalise_receipt
from app.core.text import CONTROL_CHARS, REPLACEMENT, clean_text
from app.models import Answer, Ballot, Exclusion, Office, User
from app.signals.reviews import settle
from app.stats import changes, rollups
from app.stats.counted import is_excluded
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import survey_version
from app.transparency import sequencer

EXCLUSION = Exclusion.__table__  # type: ignore[attr-defined]


class DecisionForbidden(Forbidden):
    """Only an inspector or an admin may exclude or reinstate ballots."""

    message_vi = "Chỉ đoàn kiểm tra hoặc quản trị được loại hoặc khôi phục phiếu."


def find(session: Session, receipt: str, user: User | None = None) -> Ballot:
    """A ballot by its receipt, typed as the citizen sees it (``ABCDE-FGHIJ``) or not. With a
    ``user``, a ballot outside their scope is answered exactly as one that does not exist: an
    inspector of one office must not learn another's receipts."""
    ballot = session.exec(
        select(Ballot).where(Ballot.receipt == normalise_receipt(receipt))
    ).first()
    if ballot is None or (user is not None and not _in_scope(session, user, ballot)):
        raise NotFound(f"No ballot with receipt {receipt!r}", message_vi="Không có phiếu này.")
    return ballot


def _in_scope(session: Session, user: User, ballot: Ballot) -> bool:
    office = session.get(Office, ballot.office_id)
    return office is not None and can_see(session, user, office)


def decide(
    session: Session,
    catalog: SurveyCatalog,
    user: User,
    receipt: str,
    reason: str,
    *,
    exclude: bool,
    address: str = "",
) -> Ballot:
    if not can_inspect(user):  # separation of duties: no office takes ballots out of its grade
        raise DecisionForbidden()
    ballot = find(session, receipt, user)
    office = session.get(Office, ballot.office_id)
    if office is None:  # pragma: no cover - a foreign key
        raise NotFound("office not found")
    # Only after the scope check: the ballots page redraws the ballot's row on these errors.
    reason = clean_reason(reason)
    if is_excluded(session, ballot.id or 0) == exclude:
        state = "already excluded" if exclude else "not excluded"
        raise Conflict(f"ballot {ballot.receipt} is {state}")
    move(session, catalog, user, [ballot], reason, exclude=exclude)
    audit.record(
        session,
        user.username,
        "exclude" if exclude else "reinstate",
        f"ballot {ballot.receipt} ({office.code})",
        reason,
        address,
        office.id,
    )
    return ballot


def clean_reason(reason: str) -> str:
    reason = clean_text(reason).strip()
    if not 5 <= len(reason) <= 2000:
        raise InvalidInput(
            "reason: write why, in 5 to 2000 characters",
            message_vi="Xin ghi rõ lý do (từ 5 đến 2000 ký tự).",
        )
    if REPLACEMENT in reason or CONTROL_CHARS.search(reason.replace("\n", "")):
        raise InvalidInput(
            "reason: contains characters that are not text (control characters or bad UTF-8)",
            message_vi="Lý do có ký tự không hợp lệ, xin gõ lại.",
        )
    return reason


def move(
    session: Session,
    catalog: SurveyCatalog,
    user: User,
    ballots: list[Ballot],
    reason: str,
    *,
    exclude: bool,
    category: str = "ballot",
) -> None:
    """Record one decision per ballot and move them out of (or back into) the figures, which
    count what is not excluded. The caller checked the role, the scope and each ballot's state.
    Excluding also settles the ballots' flags awaiting review: the inspector has decided.
    ``category`` is what the public log says of the decision ("ballot", "cluster:<rule>")."""
    ids = [b.id or 0 for b in ballots]
    answers = answers_of(session, ids)
    counted = []
    for ballot in ballots:
        survey = survey_version(session, catalog, ballot.survey_key, ballot.survey_version)
        if survey is None:  # pragma: no cover - every stored ballot's version is published
            raise NotFound("survey version not found")
        given, shared = answers.get(ballot.id or 0, {}), catalog.criteria_of(ballot.survey_key)
        derived = rollups.derive(survey, given, shared)
        counted.append(
            rollups.Counted(
                office_id=ballot.office_id,
                survey_key=ballot.survey_key,
                survey_version=ballot.survey_version,
                submitted_at=ballot.submitted_at,
                level=derived.level,
                answers=given,
                satisfaction=derived.satisfaction,
                compared=derived.compared,
                source=ballot.source or "open",
            )
        )
    rollups.add(session.connection(), counted, sign=-1 if exclude else 1)
    decisions = [
        Exclusion(
            ballot_id=ballot_id,
            excluded=exclude,
            reason=reason,
            category=category,
            user_id=user.id or 0,
        )
        for ballot_id in ids
    ]
    session.add_all(decisions)
    session.flush()
    # In the decision's transaction: the public log shows every decision, or none was taken.
    sequencer.wait(session.connection(), exclusion_ids=[d.id or 0 for d in decisions])
    if exclude:
        settle(session, ids, "excluded", "", reason, user.username)
    changes.changed(session, {ballot.office_id for ballot in ballots})


def answers_of(session: Session, ballot_ids: list[int]) -> dict[int, dict[str, int]]:
    """Each ballot's answers by question, in one query per 500 ballots."""
    found: dict[int, dict[str, int]] = {}
    for start in range(0, len(ballot_ids), 500):
        for ballot_id, key, value in session.exec(
            select(Answer.ballot_id, Answer.question_key, Answer.value).where(
                col(Answer.ballot_id).in_(ballot_ids[start : start + 500])
            )
        ):
            found.setdefault(ballot_id, {})[key] = value
    return found
