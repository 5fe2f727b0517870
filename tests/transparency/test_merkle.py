"""The Merkle tree against RFC 6962's published vectors (Certificate Transparency's reference
leaves, tree heads and proofs), and every proof of many tree sizes verified, and refused when
changed."""

from __future__ import annotations

import pytest

from app.transparency.merkle import (
    EMPTY_ROOT,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

DATA = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
        "606162636465666768696a6b6c6d6e6f"]  # fmt: skip
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = {
    (0, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (5, 8): ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
}  # fmt: skip
CONSISTENCY = {
    (2, 5): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],
}  # fmt: skip
LEAVES = [leaf_hash(bytes.fromhex(d)) for d in DATA]


def test_the_reference_tree_heads() -> None:
    assert root([]) == EMPTY_ROOT
    for size in range(9):
        assert root(LEAVES[:size]).hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size"), INCLUSION)
def test_the_reference_inclusion_proofs(index: int, size: int) -> None:
    proof = inclusion_proof(LEAVES[:size], index)
    assert [h.hex() for h in proof] == INCLUSION[(index, size)]
    verify_inclusion(LEAVES[index], index, size, proof, bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("old", "new"), CONSISTENCY)
def test_the_reference_consistency_proofs(old: int, new: int) -> None:
    proof = consistency_proof(LEAVES[:new], old)
    assert [h.hex() for h in proof] == CONSISTENCY[(old, new)]
    verify_consistency(old, new, bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new]), proof)


def test_every_proof_of_many_sizes_verifies_and_a_changed_one_does_not() -> None:
    many = [leaf_hash(i.to_bytes(2, "big")) for i in range(40)]
    for size in range(1, len(many) + 1):
        tree, head = many[:size], root(many[:size])
        for index in range(size):
            proof = inclusion_proof(tree, index)
            verify_inclusion(tree[index], index, size, proof, head)
            if proof:
                with pytest.raises(ProofError):  # another leaf's place
                    verify_inclusion(tree[index], index ^ 1, size, proof, head)
                bent = [proof[0][:-1] + bytes([proof[0][-1] ^ 1]), *proof[1:]]
                with pytest.raises(ProofError):
                    verify_inclusion(tree[index], index, size, bent, head)
        for old in range(1, size + 1):
            proof = consistency_proof(tree, old)
            verify_consistency(old, size, root(many[:old]), head, proof)
            if old < size:
                with pytest.raises(ProofError):
                    verify_consistency(old, size, root(many[1 : old + 1]), head, proof)
                with pytest.raises(ProofError):
                    verify_consistency(old, size, root(many[:old]), head, proof[:-1])


def test_nonsense_is_refused_not_believed() -> None:
    head = root(LEAVES)
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[0], 8, 8, [], head)  # index out of range
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[0], 0, 8, [b"short"], head)
    with pytest.raises(ProofError):
        verify_consistency(9, 8, head, head, [])
    with pytest.raises(ProofError):
        inclusion_proof(LEAVES, 8)
