"""The office tree as a whole, for sub-tree questions (scope, figures, live updates)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, select

from app.models import Office


@dataclass
class Tree:
    """Every office's place in the tree, loaded in one query (the whole country is ~4,000)."""

    offices: dict[int, tuple[str, str, int | None]]  # id -> (code, name, parent id)
    children: dict[int | None, list[int]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        for office_id, (_, _, parent) in self.offices.items():
            self.children[parent].append(office_id)

    def subtree(self, root: int) -> list[int]:
        found, stack = [], [root]
        while stack:
            office_id = stack.pop()
            found.append(office_id)
            stack.extend(self.children.get(office_id, []))
        return found


def load_tree(session: Session) -> Tree:
    rows = session.exec(select(Office.id, Office.code, Office.name, Office.parent_id))
    return Tree({row[0] or 0: (row[1], row[2], row[3]) for row in rows})
