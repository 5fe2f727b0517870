"""The Merkle tree of RFC 6962 / RFC 9162: leaf and node hashes, tree heads, inclusion and
consistency proofs, and their verification, byte for byte as Certificate Transparency and Go's
checksum database compute them (tested against their published vectors).

Written here rather than taken from a package: no kept Python library implements RFC 9162's
proofs and their verification both; these are its section 2.1 algorithms, short enough to read
against the RFC line by line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not prove what it claims (or is not a proof at all)."""


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 ‖ data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1): where RFC 6962 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """The tree head of these leaf hashes (MTH of RFC 6962, section 2.1)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node_hash(root(leaves[:k]), root(leaves[k:]))


Heads = Callable[[int, int], bytes]  # the head of the leaves [start, end) of some tree


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``leaves`` (PATH, section 2.1.3.1)."""
    return inclusion_path(lambda a, b: root(leaves[a:b]), index, len(leaves))


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """The proof that the tree of the first ``old_size`` leaves is a prefix of the tree of all
    ``leaves`` (PROOF, section 2.1.4.1)."""
    return consistency_path(lambda a, b: root(leaves[a:b]), old_size, len(leaves))


def inclusion_path(heads: Heads, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) where ``heads(a, b)`` is MTH(D[a:b]): the stored log asks its own
    subtree heads instead of rehashing the leaves."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            path.append(heads(start + k, end))
            end = start + k
        else:
            path.append(heads(start, start + k))
            start += k
    path.reverse()
    return path


def consistency_path(heads: Heads, old_size: int, size: int) -> list[bytes]:
    """PROOF(old_size, D[size]), with ``heads`` as for ``inclusion_path``."""
    if not 0 < old_size <= size:
        raise ProofError(f"no consistency proof from {old_size} to {size}")
    path: list[bytes] = []
    start, end, m, whole = 0, size, old_size, True
    while m != end - start:
        k = split(end - start)
        if m <= k:
            path.append(heads(start + k, end))
            end = start + k
        else:
            path.append(heads(start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        path.append(heads(start, end))
    path.reverse()
    return path


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes
) -> None:
    """Raise ``ProofError`` unless ``proof`` puts ``leaf`` at ``index`` of the tree of ``size``
    leaves whose head is ``expected_root`` (section 2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} cannot be in a tree of {size}")
    if any(len(h) != HASH_SIZE for h in proof):
        raise ProofError("a proof hash is not 32 bytes")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is too short")
    if r != expected_root:
        raise ProofError("the inclusion proof leads to another tree head")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ``ProofError`` unless ``proof`` shows the tree of ``old_size`` (head ``old_root``)
    is a prefix of the tree of ``new_size`` (head ``new_root``) (section 2.1.4.2)."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"a tree of {new_size} cannot extend one of {old_size}")
    if any(len(h) != HASH_SIZE for h in proof):
        raise ProofError("a proof hash is not 32 bytes")
    if old_size == new_size:
        if proof:
            raise ProofError("two trees of one size need an empty proof")
        if old_root != new_root:
            raise ProofError("two trees of one size with different heads")
        return
    if old_size == 0:
        if proof:
            raise ProofError("an empty tree needs an empty proof")
        return
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old head starts the path
        path.insert(0, old_root)
    if not path:
        raise ProofError("the consistency proof is empty")
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is too short")
    if fr != old_root or sr != new_root:
        raise ProofError("the consistency proof does not join the two tree heads")
