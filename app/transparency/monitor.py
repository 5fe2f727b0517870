"""Watching a running log from outside (``hailong log audit``), trusting nothing but its key.

Each run reads the open data files, then fetches the latest checkpoint and checks its
signature; refuses a log that shrank or whose tree no longer has the head it had at the size
seen last time (a fork, or history rewritten); then reads every entry, bundle by bundle,
rebuilds the tree from them and requires the signed head, and the hash tiles receipts' proofs
are made from; and recounts, from the entries, the ballots each open data file says its
checkpoint holds. Every entry is read again each run: a ballot row edited or deleted in the
database, long after it was signed, shows as an entry that no longer makes the signed tree.
What was seen is kept in a small state file, so the next run can tell.
"""

from __future__ import annotations

import base64
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from app.transparency.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from app.transparency.entries import BALLOT, EXCLUDE, Entry, EntryError
from app.transparency.merkle import EMPTY_ROOT, leaf_hash, node_hash, root
from app.transparency.note import Verifier
from app.transparency.tiles import WIDTH, Tile, TileError, tiles_of, unbundle

PARALLEL = 8  # bundles in flight: the server derives each from its rows
PREFIX = "so_phieu_trong_so_"  # the open data's columns the log's entries recount


class Disagreement(Exception):
    """The first thing the log said that does not hold."""


class Frontier:
    """The tree's right edge while leaves are added one by one (RFC 6962's head is these
    perfect subtrees folded from the right): O(log n) memory for any size."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, bytes]] = []
        self.size = 0

    def add(self, leaf: bytes) -> None:
        height, head = 0, leaf
        while self.stack and self.stack[-1][0] == height:
            head = node_hash(self.stack.pop()[1], head)
            height += 1
        self.stack.append((height, head))
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        head = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            head = node_hash(left, head)
        return head


@dataclass
class Seen:
    """What the last run saw: the checkpoint's size and head."""

    origin: str
    size: int
    root: bytes

    @classmethod
    def load(cls, path: Path) -> Seen | None:
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(data["origin"], int(data["size"]), base64.b64decode(data["root"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise Disagreement(f"the state file {path} is not one this command wrote") from exc

    def save(self, path: Path) -> None:
        body = {
            "origin": self.origin,
            "size": self.size,
            "root": base64.b64encode(self.root).decode(),
        }
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_text(json.dumps(body) + "\n", encoding="utf-8")
        os.replace(temporary, path)


@dataclass
class Audit:
    checkpoint: Checkpoint
    previous: int | None
    # Ballots counted per office, month ("yyyy-mm") and source, as the entries say.
    counted: dict[tuple[str, str, str], int] = field(default_factory=dict)
    files: int = 0  # open data files checked against the entries


def _get(client: httpx.Client, url: str) -> httpx.Response:
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        raise Disagreement(f"{url}: {exc}") from exc
    if response.status_code != 200:
        raise Disagreement(f"{url}: HTTP {response.status_code} {response.text[:200]}")
    return response


def _bundles(size: int) -> list[Tile]:
    full, rest = divmod(size, WIDTH)
    return [Tile(-1, n) for n in range(full)] + ([Tile(-1, full, rest)] if rest else [])


def entries(
    client: httpx.Client, base: str, size: int, parallel: int = PARALLEL
) -> Iterator[tuple[bytes, bytes]]:
    """Every entry of the tree of ``size`` with its leaf hash, in order, fetched ``parallel``
    bundles at once; each bundle's level-0 hash tile must hold those leaf hashes."""

    def fetch(tile: Tile) -> list[tuple[bytes, bytes]]:
        data = _get(client, f"{base}/{tile.path}").content
        try:
            found = unbundle(data)
        except TileError as exc:
            raise Disagreement(f"{tile.path}: {exc}") from exc
        if len(found) != tile.width:
            raise Disagreement(f"{tile.path}: {len(found)} entries, not {tile.width}")
        leaves = [leaf_hash(entry) for entry in found]
        hashes = Tile(0, tile.index, tile.width)
        if _get(client, f"{base}/{hashes.path}").content != b"".join(leaves):
            raise Disagreement(
                f"{hashes.path}: the entries served no longer hash to its leaves: an entry was "
                "changed or removed after it was signed"
            )
        return list(zip(found, leaves, strict=True))

    with ThreadPoolExecutor(parallel) as pool:
        for bundle in pool.map(fetch, _bundles(size)):
            yield from bundle


def _hash_tiles(http: httpx.Client, base: str, size: int, full: list[bytes]) -> None:
    """The tiles above level 0 hold the heads of the full subtrees the entries make (``full``:
    those of 256 leaves, in order): what a receipt's proof is made from."""
    heads = {1: full}
    for tile in tiles_of(size):
        if tile.level < 1:
            continue
        while tile.level not in heads:
            below = heads[max(heads)]
            heads[max(heads) + 1] = [
                root(below[i : i + WIDTH]) for i in range(0, len(below) - WIDTH + 1, WIDTH)
            ]
        start = tile.index * WIDTH
        expected = b"".join(heads[tile.level][start : start + tile.width])
        if _get(http, f"{base}/{tile.path}").content != expected:
            raise Disagreement(f"{tile.path}: not the heads of the subtrees its entries make")


def audit(
    base: str,
    log: Verifier,
    state: Path,
    client: httpx.Client | None = None,
    *,
    parallel: int = PARALLEL,
    progress: Callable[[int], None] | None = None,
) -> Audit:
    """Check the log at ``base`` (its ``/log`` URL) against its key and what ``state`` says
    was seen; ``Disagreement`` with the first thing that does not hold. On success the state
    is the new checkpoint."""
    if client is None:
        with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=parallel)) as own:
            return audit(base, log, state, own, parallel=parallel, progress=progress)
    base, http = base.rstrip("/"), client
    # The open data first: every file's counts are of a checkpoint no later than the one read
    # next, so the entries read after hold all they count.
    files = _open_data(http, base.removesuffix("/log"))
    note = _get(http, f"{base}/checkpoint").text
    try:
        checkpoint = open_checkpoint(note, log, log.name)
    except CheckpointError as exc:
        raise Disagreement(f"the checkpoint: {exc}") from exc
    seen = Seen.load(state)
    if seen is not None and seen.origin != log.name:
        raise Disagreement(f"the state file is of another log: {seen.origin}")
    if seen is not None and checkpoint.size < seen.size:
        raise Disagreement(f"the log shrank: {checkpoint.size} entries, {seen.size} before")
    frontier, counted = Frontier(), _Counts()
    wanted = {f["so_cong_khai"]["diem_kiem"] for f in files} - {None}
    if any(size > checkpoint.size for size in wanted):
        raise Disagreement("the open data counts a checkpoint the log does not serve")
    at: dict[int, dict[tuple[str, str, str], int]] = {0: {}} if 0 in wanted else {}
    before = frontier.root() if seen is not None and seen.size == 0 else None
    block: list[bytes] = []  # the leaves of the current 256, whose head level-1 tiles hold
    full: list[bytes] = []
    for index, (data, leaf) in enumerate(entries(http, base, checkpoint.size, parallel)):
        if seen is not None and index == seen.size:
            before = frontier.root()
        try:
            counted.add(Entry.decode(data))
        except EntryError as exc:
            raise Disagreement(f"entry {index}: {exc}") from exc
        frontier.add(leaf)
        block.append(leaf)
        if len(block) == WIDTH:
            full.append(root(block))
            block = []
        if index + 1 in wanted:
            at[index + 1] = counted.result()
        if progress is not None and index % 100_000 == 0:
            progress(index)
    if frontier.root() != checkpoint.root:
        raise Disagreement(
            f"the entries served do not make the signed tree of {checkpoint.size}: an entry was "
            "changed or removed after it was signed"
        )
    _hash_tiles(http, base, checkpoint.size, full)
    if seen is not None and seen.size == checkpoint.size:
        before = frontier.root()
    if seen is not None and before != seen.root:
        raise Disagreement(
            f"the tree of {seen.size} entries seen before is not the start of this one: "
            "the log forked or rewrote its history"
        )
    for file in files:
        _compare(file, at)
    Seen(log.name, checkpoint.size, checkpoint.root).save(state)
    return Audit(checkpoint, seen.size if seen else None, counted.result(), len(files))


def _open_data(http: httpx.Client, site: str) -> list[dict[str, Any]]:
    try:
        index = _get(http, f"{site}/cong-khai/du-lieu.json").json()
        return [_get(http, f"{site}{path}").json() for path in index["tep"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise Disagreement(f"the open data is not as documented: {exc}") from exc


def _compare(file: dict[str, Any], at: dict[int, dict[tuple[str, str, str], int]]) -> None:
    """Each row's ``so_phieu_trong_so_*`` against the entries' count at its checkpoint."""
    size = file["so_cong_khai"]["diem_kiem"]
    if size is None:
        return
    counts = at[size]
    for row in file["dong"]:
        for column, published in row.items():
            if not column.startswith(PREFIX) or published is None:
                continue
            source = column.removeprefix(PREFIX)
            recounted = counts.get((row["ma_don_vi"], row["thang"], source), 0)
            if recounted != published:
                raise Disagreement(
                    f"the open data of {file['don_vi']} for {row['thang']} says {published} "
                    f"ballots of {row['ma_don_vi']} from {source!r} at checkpoint {size}; "
                    f"its entries count {recounted}"
                )


class _Counts:
    """Ballots counted per office, month and source, as the entries say: a ballot counts
    unless its latest decision excluded it (a decision names its ballot's month and source)."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()

    def add(self, entry: Entry) -> None:
        if entry.kind == BALLOT:
            self.counts[(entry.office, entry.day.strftime("%Y-%m"), entry.source)] += 1
        elif entry.cast is not None:
            step = -1 if entry.kind == EXCLUDE else 1
            self.counts[(entry.office, entry.cast.strftime("%Y-%m"), entry.source)] += step

    def result(self) -> dict[tuple[str, str, str], int]:
        return dict(+self.counts)
