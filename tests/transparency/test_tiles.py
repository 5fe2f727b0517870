"""Tiles as the C2SP tlog-tiles specification describes them, with its own examples."""

from __future__ import annotations

import pytest

from app.transparency.merkle import leaf_hash, root
from app.transparency.tiles import (
    Tile,
    TileError,
    bundle,
    encode_index,
    parse_path,
    tile_hashes,
    tiles_of,
    unbundle,
)


def test_the_specifications_index_example() -> None:
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(0) == "000"
    assert Tile(0, 1234067, 112).path == "tile/0/x001/x234/067.p/112"
    assert Tile(-1, 5).path == "tile/entries/005"
    for tile in (Tile(0, 1234067, 112), Tile(2, 0, 1), Tile(-1, 999_999), Tile(63, 7)):
        assert parse_path(tile.path) == tile


def test_the_specifications_tree_of_70000() -> None:
    tiles = tiles_of(70_000)
    level0 = [t for t in tiles if t.level == 0]
    assert len([t for t in level0 if t.width == 256]) == 273
    assert [t.width for t in level0 if t.width < 256] == [112]
    assert [(t.index, t.width) for t in tiles if t.level == 1] == [(0, 256), (1, 17)]
    assert [(t.index, t.width) for t in tiles if t.level == 2] == [(0, 1)]
    assert [(t.level, t.width) for t in tiles_of(256)] == [(0, 256), (1, 1)]
    assert tiles_of(0) == []


def test_a_tile_above_holds_the_heads_of_the_full_tiles_below() -> None:
    leaves = [leaf_hash(i.to_bytes(3, "big")) for i in range(256 * 3 + 5)]
    below = [tile_hashes(leaves, Tile(0, n)) for n in range(3)]
    above = tile_hashes(leaves, Tile(1, 0, 3))
    for n in range(3):
        hashes = [below[n][i : i + 32] for i in range(0, 8192, 32)]
        assert above[n * 32 : (n + 1) * 32] == root(hashes) == root(leaves[n * 256 : (n + 1) * 256])
    assert len(tile_hashes(leaves, Tile(0, 3, 5))) == 5 * 32


def test_entry_bundles_round_trip() -> None:
    entries = [b"", b"phi\xe1\xba\xbfu", bytes(300)]
    assert unbundle(bundle(entries)) == entries
    with pytest.raises(TileError):
        unbundle(bundle(entries)[:-1])


@pytest.mark.parametrize(
    "path",
    [
        "tile/64/000",
        "tile/01/000",
        "tile/0/1234",
        "tile/0/x1/234",
        "tile/0/001/234",
        "tile/0/000.p/256",
        "tile/0/000.p/0",
        "tile/0/000.p/012",
        "tiles/0/000",
        "tile/0",
        "tile/0/../000",
        "tile/0/x000/001",
    ],
)
def test_paths_that_are_not_tiles_are_refused(path: str) -> None:
    with pytest.raises(TileError):
        parse_path(path)
