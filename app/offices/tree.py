"""The office tree as a whole, for sub-tree questions (scope, figures, live updates)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session

from app.models import Office
from app.models.intake import SOURCES

ALL_SOURCES = frozenset(SOURCES)


@dataclass
class Tree:
    """Every office's place in the tree, loaded in one query (the whole country is ~4,000)."""

    offices: dict[int, tuple[str, str, int | None]]  # id -> (code, name, parent id)
    children: dict[int | None, list[int]] = field(default_factory=lambda: defaultdict(list))
    survey_keys: dict[int, str | None] = field(default_factory=dict)  # as set on each office
    count_sources: dict[int, str | None] = field(default_factory=dict)  # as set on each office

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

    def survey_key(self, office_id: int, known: set[str], default: str) -> str:
        """The survey an office uses: its own, else its nearest ancestor's, else the default
        (as ``surveys.service.survey_for_office``, without a query per office)."""
        seen: set[int] = set()
        current: int | None = office_id
        while current is not None and current not in seen and current in self.offices:
            key = self.survey_keys.get(current)
            if key and key in known:
                return key
            seen.add(current)
            current = self.offices[current][2]
        return default

    def counted(self, office_id: int) -> frozenset[str]:
        """The ballot sources whose ballots count in an office's figures: its own policy, else
        its nearest ancestor's, else every source."""
        seen: set[int] = set()
        current: int | None = office_id
        while current is not None and current not in seen and current in self.offices:
            policy = self.count_sources.get(current)
            if policy:
                return parse_sources(policy)
            seen.add(current)
            current = self.offices[current][2]
        return ALL_SOURCES


def parse_sources(text: str) -> frozenset[str]:
    """ "open,counter" → the sources named; raises ValueError for an unknown one."""
    names = frozenset(part.strip() for part in text.split(",") if part.strip())
    unknown = names - ALL_SOURCES
    if unknown or not names:
        raise ValueError(
            f"sources are {', '.join(SOURCES)}; got {', '.join(sorted(unknown)) or 'none'}"
        )
    return names


def load_tree(session: Session) -> Tree:
    table = Office.__table__  # type: ignore[attr-defined]
    rows = list(
        session.connection().execute(
            sa.select(
                table.c.id,
                table.c.code,
                table.c.name,
                table.c.parent_id,
                table.c.survey_key,
                table.c.count_sources,
            )
        )
    )
    return Tree(
        {row[0] or 0: (row[1], row[2], row[3]) for row in rows},
        survey_keys={row[0] or 0: row[4] for row in rows},
        count_sources={row[0] or 0: row[5] for row in rows},
    )
