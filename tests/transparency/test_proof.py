"""tlog-proof files: written, read back and verified offline; the specification's example
parsed; every kind of tampering refused."""

from __future__ import annotations

import pytest

from app.transparency.checkpoint import Checkpoint
from app.transparency.merkle import ProofError, inclusion_proof, leaf_hash, root
from app.transparency.note import Signer, Verifier, generate
from app.transparency.proof import TlogProof, verify_proof

ORIGIN = "hailong.example/log"
SPEC = """c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

\u2014 example.com/fancylog hI2DJw1roloI=
"""


def _log(size: int) -> tuple[list[bytes], Verifier, str]:
    skey, vkey = generate(ORIGIN)
    leaves = [leaf_hash(f"phiếu {i}".encode()) for i in range(size)]
    note = Checkpoint(ORIGIN, size, root(leaves)).signed(Signer.parse(skey))
    return leaves, Verifier.parse(vkey), note


def test_the_specifications_example_parses() -> None:
    proof = TlogProof.parse(SPEC)
    assert (proof.index, len(proof.hashes)) == (73894, 5)
    assert proof.checkpoint.startswith("example.com/fancylog\n109482\n")


def test_a_proof_written_read_back_and_verified_offline() -> None:
    leaves, log, note = _log(1000)
    proof = TlogProof(617, tuple(inclusion_proof(leaves, 617)), note, extra=b"receipt")
    again = TlogProof.parse(proof.text())
    assert again == proof
    assert len(proof.text().encode()) < 2048  # a receipt's proof fits in 2 KB
    assert verify_proof(again, leaves[617], log, ORIGIN).size == 1000


def test_tampered_proofs_are_refused() -> None:
    leaves, log, note = _log(100)
    good = TlogProof(42, tuple(inclusion_proof(leaves, 42)), note)
    other_log = Verifier.parse(generate(ORIGIN)[1])
    with pytest.raises(ProofError):
        verify_proof(good, leaves[41], log, ORIGIN)  # another ballot
    with pytest.raises(ProofError):
        verify_proof(TlogProof(43, good.hashes, note), leaves[42], log, ORIGIN)
    with pytest.raises(ProofError):
        verify_proof(good, leaves[42], other_log, ORIGIN)  # a key that did not sign it
    with pytest.raises(ProofError):
        verify_proof(good, leaves[42], log, "another.example/log")
    forged = note.replace("\n100\n", "\n101\n")
    with pytest.raises(ProofError):
        verify_proof(TlogProof(42, good.hashes, forged), leaves[42], log, ORIGIN)


@pytest.mark.parametrize(
    "text",
    [
        "c2sp.org/tlog-proof@v2\nindex 1\n\ncheckpoint",
        "c2sp.org/tlog-proof@v1\nindex 01\n\ncheckpoint",
        "c2sp.org/tlog-proof@v1\nindex 1\nnot-base64!\n\ncheckpoint",
        "c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\ncheckpoint",
        "c2sp.org/tlog-proof@v1\nindex 1",
        "",
    ],
)
def test_malformed_files_are_refused(text: str) -> None:
    with pytest.raises(ProofError):
        TlogProof.parse(text)
