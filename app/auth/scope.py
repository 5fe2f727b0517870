"""What each account may see: an officer their office's sub-tree, an inspector theirs (or
everything when bound to none), an admin everything. Handlers call ``require_office`` for every
office a request names, since any route or partial can be requested directly."""

from __future__ import annotations

from sqlmodel import Session

from app.core.errors import OfficeNotFound, OutOfScope
from app.models import Office, User
from app.offices.tree import Tree, load_tree


def visible(tree: Tree, user: User) -> set[int] | None:
    """The office ids the user may see; None means every office."""
    if user.role == "admin" or (user.role == "inspector" and user.office_id is None):
        return None
    if user.office_id is None:
        return set()
    return set(tree.subtree(user.office_id))


def can_see(session: Session, user: User, office: Office) -> bool:
    return _sees(load_tree(session), user, office.id)


def _sees(tree: Tree, user: User, office_id: int | None) -> bool:
    ids = visible(tree, user)
    return ids is None or office_id in ids


def require_office(session: Session, user: User, office: Office) -> None:
    """Out of scope is indistinguishable from not found: no office's existence leaks."""
    if not can_see(session, user, office):
        raise OutOfScope(f"No office with code {office.code!r}")


def require_code(session: Session, user: User, code: str) -> int:
    """``require_office`` for an office named by its code, found in the cached tree: its id.
    For the figures, whose services read the tree anyway: the office's own row, read for
    nothing else, was a query of its own on every request."""
    tree = load_tree(session)
    office_id = tree.ids.get(code)
    if office_id is None:
        raise OfficeNotFound(code)
    if not _sees(tree, user, office_id):
        raise OutOfScope(f"No office with code {code!r}")
    return office_id


def can_inspect(user: User) -> bool:
    """Inspectors and admins: they read the audit log and decide exclusions, which the offices
    being graded cannot."""
    return user.role in ("inspector", "admin")
