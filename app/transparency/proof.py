"""Proofs as C2SP tlog-proof specifies them: one self-contained text a citizen can keep and
anyone can check offline against the log's key: the entry's index, its inclusion proof and the
signed checkpoint of the tree it is in (``.tlog-proof`` files)."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from app.transparency.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from app.transparency.merkle import HASH_SIZE, ProofError, verify_inclusion
from app.transparency.note import Verifier

HEADER = "c2sp.org/tlog-proof@v1"
INDEX = re.compile(r"index (0|[1-9][0-9]{0,19})")


@dataclass(frozen=True)
class TlogProof:
    index: int
    hashes: tuple[bytes, ...]
    checkpoint: str  # the signed note, verbatim
    extra: bytes = b""

    def text(self) -> str:
        lines = [HEADER]
        if self.extra:
            lines.append(f"extra {base64.b64encode(self.extra).decode()}")
        lines.append(f"index {self.index}")
        lines += [base64.b64encode(h).decode() for h in self.hashes]
        return "\n".join(lines) + "\n\n" + self.checkpoint

    @classmethod
    def parse(cls, text: str) -> TlogProof:
        head, sep, checkpoint = text.partition("\n\n")
        lines = head.split("\n")
        if not sep or lines[0] != HEADER:
            raise ProofError(f"not a proof: the first line must be {HEADER}")
        extra = b""
        rest = lines[1:]
        if rest and rest[0].startswith("extra "):
            extra = _b64(rest.pop(0)[len("extra ") :])
        if not rest or not INDEX.fullmatch(rest[0]):
            raise ProofError("the proof's index line is missing or not a number")
        index = int(rest[0][len("index ") :])
        hashes = tuple(_b64(line) for line in rest[1:])
        if any(len(h) != HASH_SIZE for h in hashes) or len(hashes) > 64:
            raise ProofError("the proof's hashes are not SHA-256 hashes")
        return cls(index, hashes, checkpoint, extra)


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProofError("a proof line is not base64") from exc


def verify_proof(proof: TlogProof, leaf: bytes, log: Verifier, origin: str) -> Checkpoint:
    """The checkpoint, once ``proof`` shows the leaf hash ``leaf`` at its index in the tree that
    the log's key signed for ``origin``; ``ProofError`` otherwise (never a false "valid")."""
    try:
        checkpoint = open_checkpoint(proof.checkpoint, log, origin)
    except CheckpointError as exc:
        raise ProofError(f"the proof's checkpoint: {exc}") from exc
    verify_inclusion(leaf, proof.index, checkpoint.size, proof.hashes, checkpoint.root)
    return checkpoint
