"""The log as C2SP tlog-tiles serves it: static files a plain web server or a CDN can serve.
Level-0 tiles hold 256 leaf hashes, each tile above holds the tree heads of 256 full tiles
below, the rightmost tiles are partial (``.p/<W>``), and entry bundles hold the entries
themselves, each prefixed by its length."""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from app.transparency.merkle import root

WIDTH = 256
MAX_LEVEL = 63
_LEVEL = re.compile(r"0|[1-9][0-9]?")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")


class TileError(ValueError):
    """A tile or entry bundle path that is not one, or a bundle that does not parse."""


@dataclass(frozen=True)
class Tile:
    level: int  # -1 for an entry bundle
    index: int
    width: int = WIDTH  # below 256: a partial tile

    @property
    def path(self) -> str:
        level = "entries" if self.level < 0 else str(self.level)
        partial = f".p/{self.width}" if self.width < WIDTH else ""
        return f"tile/{level}/{encode_index(self.index)}{partial}"

    def span(self) -> tuple[int, int]:
        """The leaves [start, end) this tile covers (its hashes, each a subtree's head)."""
        per = WIDTH ** max(self.level, 0)
        start = self.index * WIDTH * per
        return start, start + self.width * per


def encode_index(n: int) -> str:
    """1234067 → ``x001/x234/067``: three digits a path element, all but the last after x."""
    groups = []
    while True:
        n, rest = divmod(n, 1000)
        groups.append(f"{rest:03d}")
        if n == 0:
            break
    groups.reverse()
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


def parse_path(path: str) -> Tile:
    """A tile's or an entry bundle's path (after the log's prefix), strictly as the spec
    writes it; ``TileError`` otherwise."""
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise TileError(f"not a tile path: {path!r}")
    level_part, rest = parts[1], parts[2:]
    if level_part == "entries":
        level = -1
    elif _LEVEL.fullmatch(level_part) and int(level_part) <= MAX_LEVEL:
        level = int(level_part)
    else:
        raise TileError(f"not a tile level: {level_part!r}")
    width = WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        if not _WIDTH.fullmatch(rest[-1]) or int(rest[-1]) >= WIDTH:
            raise TileError(f"not a partial tile's width: {rest[-1]!r}")
        width = int(rest[-1])
        rest = [*rest[:-2], rest[-2][: -len(".p")]]
    if len(rest) > 7 or any(not re.fullmatch(r"x[0-9]{3}", g) for g in rest[:-1]):
        raise TileError(f"not a tile index: {'/'.join(rest)!r}")
    if not re.fullmatch(r"[0-9]{3}", rest[-1]):
        raise TileError(f"not a tile index: {'/'.join(rest)!r}")
    index = int("".join(g.lstrip("x") for g in rest))
    if encode_index(index) != "/".join(rest):  # one path per tile: no leading x000
        raise TileError(f"not a tile index: {'/'.join(rest)!r}")
    return Tile(level, index, width)


def tiles_of(size: int) -> list[Tile]:
    """Every hash tile of a tree of ``size`` leaves, full and partial (no empty one)."""
    found = []
    level = 0
    while size >= WIDTH**level:
        count = size // WIDTH**level  # hashes at this level
        full, partial = divmod(count, WIDTH)
        found += [Tile(level, n) for n in range(full)]
        if partial:
            found.append(Tile(level, full, partial))
        if count < WIDTH:
            break
        level += 1
    return found


def tile_hashes(leaves: Sequence[bytes], tile: Tile) -> bytes:
    """The tile's bytes: ``width`` tree heads of consecutive subtrees of 256**level leaves."""
    per = WIDTH**tile.level
    start, _ = tile.span()
    return b"".join(
        root(leaves[start + i * per : start + (i + 1) * per]) for i in range(tile.width)
    )


def bundle(entries: Sequence[bytes]) -> bytes:
    """An entry bundle: each entry after its length as a big-endian uint16."""
    out = bytearray()
    for entry in entries:
        if len(entry) > 0xFFFF:
            raise TileError("an entry is longer than 65,535 bytes")
        out += struct.pack(">H", len(entry)) + entry
    return bytes(out)


def unbundle(data: bytes) -> list[bytes]:
    entries, at = [], 0
    while at < len(data):
        if at + 2 > len(data):
            raise TileError("the bundle ends inside a length")
        (length,) = struct.unpack_from(">H", data, at)
        at += 2
        if at + length > len(data):
            raise TileError("the bundle ends inside an entry")
        entries.append(data[at : at + length])
        at += length
    return entries
