"""The office tree as a whole, for sub-tree questions (scope, figures, live updates).

Kept in memory by each worker and read again only when the ``tree_version`` token has changed:
any flush that adds or changes an office gives it a new one, in the same transaction, so other
workers and hosts see the change with the commit."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from threading import Lock
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from app.models import Office, TreeVersion
from app.models.sources import SOURCES

ALL_SOURCES = frozenset(SOURCES)


@dataclass
class Tree:
    """Every office's place in the tree, loaded in one query (the whole country is ~4,000)."""

    offices: dict[int, tuple[str, str, int | None]]  # id -> (code, name, parent id)
    children: dict[int | None, list[int]] = field(default_factory=lambda: defaultdict(list))
    survey_keys: dict[int, str | None] = field(default_factory=dict)  # as set on each office
    count_sources: dict[int, str | None] = field(default_factory=dict)  # as set on each office
    kinds: dict[int, str] = field(default_factory=dict)  # province, commune, one-stop, …
    public: dict[int, bool | None] = field(default_factory=dict)  # as set on each office
    _counted: dict[int, frozenset[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for office_id, (_, _, parent) in self.offices.items():
            self.children[parent].append(office_id)

    @cached_property
    def ids(self) -> dict[str, int]:
        """Office id by code."""
        return {code: office_id for office_id, (code, _, _) in self.offices.items()}

    def subtree(self, root: int) -> list[int]:
        found, stack = [], [root]
        while stack:
            office_id = stack.pop()
            found.append(office_id)
            stack.extend(self.children.get(office_id, []))
        return found

    @cached_property
    def sizes(self) -> dict[int, int]:
        """How many offices each office's sub-tree holds, itself included."""
        order = [office for top in self.tops for office in self.subtree(top)]
        sizes = dict.fromkeys(order, 1)
        for office in reversed(order):  # every office after its parent: children first
            parent = self.offices[office][2]
            if parent is not None and parent in sizes:
                sizes[parent] += sizes[office]
        return sizes

    def path(self, office_id: int) -> list[int]:
        """The office's id and its ancestors', nearest first."""
        path, parent = [office_id], self.offices[office_id][2]
        while parent is not None and parent not in path:
            path.append(parent)
            parent = self.offices[parent][2]
        return path

    def leaves(self, root: int) -> list[int]:
        """The offices at the bottom of ``root``'s sub-tree: the units that are graded."""
        return [i for i in self.subtree(root) if not self.children.get(i)]

    def publishes(self, office_id: int) -> bool:
        """Whether the office's results are public: its own setting, else its nearest
        ancestor's; nobody's set means not."""
        for current in self.path(office_id):
            if self.public.get(current) is not None:
                return bool(self.public[current])
        return False

    def published_roots(self) -> list[int]:
        """The offices that publish while their parent does not: the tops of the public
        sub-trees, by code."""
        found = [
            i
            for i, (_, _, parent) in self.offices.items()
            if self.publishes(i) and (parent is None or not self.publishes(parent))
        ]
        return sorted(found, key=lambda i: self.offices[i][0])

    def published_ranking(self, office_id: int) -> int | None:
        """The office whose ranking of its units places ``office_id``: its nearest province
        (the ranking its inspectors publish), for a unit at the bottom of the tree; none for
        an office with units below it (those are ranked among their siblings)."""
        if self.children.get(office_id):
            return None
        current = self.offices[office_id][2] if office_id in self.offices else None
        seen: set[int] = set()
        while current is not None and current not in seen and current in self.offices:
            if self.kinds.get(current) == "province":
                return current
            seen.add(current)
            current = self.offices[current][2]
        return None

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

    def first_to_try(self, questions: dict[str, int], default: str) -> str | None:
        """The code of a graded unit (bottom of the tree) for a newcomer to try first: one on
        the default survey (the six criteria), else the shortest form; ``questions`` counts
        each survey's."""
        units = [i for i in self.offices if not self.children.get(i)]
        if not units:
            return None

        def order(office_id: int) -> tuple[bool, int, str]:
            key = self.survey_key(office_id, set(questions), default)
            return key != default, questions.get(key, 0), self.offices[office_id][0]

        return self.offices[min(units, key=order)][0]

    def roots_over(self, office_id: int, roots: set[int]) -> list[int]:
        """Those of ``roots`` the office is or sits under (several when roots nest)."""
        found, seen = [], set()
        current: int | None = office_id
        while current is not None and current not in seen and current in self.offices:
            if current in roots:
                found.append(current)
            seen.add(current)
            current = self.offices[current][2]
        return found

    @cached_property
    def tops(self) -> list[int]:
        """The offices with no parent: every other office sits under one of them."""
        return [office_id for office_id, (_, _, parent) in self.offices.items() if parent is None]

    @cached_property
    def policy_breaks(self) -> tuple[int, ...]:
        """Offices counting other sources than their parent does: the rollup rows of a sub-tree
        mix them with the rest, so figures read their rows apart (``app/stats/reads.py``)."""
        return tuple(
            office_id
            for office_id, (_, _, parent) in self.offices.items()
            if parent is not None
            and parent in self.offices
            and self.counted(office_id) != self.counted(parent)
        )

    def regions(self, roots: list[int]) -> dict[int, list[int]]:
        """The roots and the policy breaks under them, each with the roots it is read for."""
        chosen = set(roots)
        found: dict[int, list[int]] = {root: [root] for root in roots}
        for office_id in self.policy_breaks:
            parent = self.offices[office_id][2]
            over = self.roots_over(parent, chosen) if parent is not None else []
            if over:
                found.setdefault(office_id, []).extend(over)
        return found

    def counted(self, office_id: int) -> frozenset[str]:
        """The ballot sources whose ballots count in an office's figures: its own policy, else
        its nearest ancestor's, else every source."""
        known = self._counted.get(office_id)
        if known is not None:
            return known
        found = self._policy(office_id)
        self._counted[office_id] = found
        return found

    def _policy(self, office_id: int) -> frozenset[str]:
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


_trees: dict[int, tuple[str, Tree]] = {}  # per engine: the version token and the tree
_trees_lock = Lock()


_TOKEN = sa.select(TreeVersion.token)  # type: ignore[call-overload]


def load_tree(session: Session) -> Tree:
    """The whole tree: this worker's copy while the version token holds, else read anew."""
    conn = session.connection()
    token = conn.execute(_TOKEN).scalar()
    key = id(conn.engine)
    cached = _trees.get(key)
    if token is not None and cached is not None and cached[0] == token:
        return cached[1]
    tree = _read(conn)
    if token is not None:
        with _trees_lock:
            if len(_trees) > 16:  # tests make many engines; an app has one
                _trees.clear()
            _trees[key] = (token, tree)
    return tree


@event.listens_for(OrmSession, "before_flush")
def _new_version(session: OrmSession, _context: Any, _instances: Any) -> None:
    """Any office added, changed or deleted: a new token, flushed with the change."""
    changed = any(isinstance(o, Office) for o in chain(session.new, session.deleted)) or any(
        isinstance(o, Office) and session.is_modified(o) for o in session.dirty
    )
    if changed:
        session.connection().execute(sa.update(TreeVersion).values(token=uuid.uuid4().hex))


def _read(conn: sa.Connection) -> Tree:
    table = Office.__table__  # type: ignore[attr-defined]
    rows = list(
        conn.execute(
            sa.select(
                table.c.id,
                table.c.code,
                table.c.name,
                table.c.parent_id,
                table.c.survey_key,
                table.c.count_sources,
                table.c.kind,
                table.c.public,
            )
        )
    )
    return Tree(
        {row.id: (row.code, row.name, row.parent_id) for row in rows},
        survey_keys={row.id: row.survey_key for row in rows},
        count_sources={row.id: row.count_sources for row in rows},
        kinds={row.id: row.kind for row in rows},
        public={row.id: row.public for row in rows},
    )
