"""Checkpoints as C2SP tlog-checkpoint specifies them: the log's origin, its size and its tree
head, one per line (then any extension lines), signed as a note by the log and cosigned by its
witnesses."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from app.transparency.merkle import HASH_SIZE
from app.transparency.note import NoteError, Signer, Verifier, open_note, sign

SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


class CheckpointError(ValueError):
    """A checkpoint that is malformed, for another log, or not signed by the log."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        head = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "".join(f"{line}\n" for line in (*head, *self.extensions))

    def signed(self, *signers: Signer) -> str:
        return sign(self.text(), *signers)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise CheckpointError("a checkpoint has an origin, a size and a root, each a line")
        origin, size, root, *extensions = lines[:-1]
        if not origin or not origin.isprintable():
            raise CheckpointError("the checkpoint's origin is empty or not printable")
        if not SIZE.fullmatch(size) or int(size) >= 2**64:
            raise CheckpointError(f"the checkpoint's size is not a number: {size!r}")
        try:
            head = base64.b64decode(root, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CheckpointError("the checkpoint's root is not base64") from exc
        if len(head) != HASH_SIZE:
            raise CheckpointError("the checkpoint's root is not a SHA-256 hash")
        if any(not line for line in extensions):
            raise CheckpointError("a checkpoint has no empty line")
        return cls(origin, int(size), head, tuple(extensions))


def open_checkpoint(note: str, log: Verifier, origin: str | None = None) -> Checkpoint:
    """The checkpoint in ``note``, which the log's key must have signed (and whose origin must
    be ``origin``, when given)."""
    try:
        text, names = open_note(note, [log])
    except NoteError as exc:
        raise CheckpointError(str(exc)) from exc
    checkpoint = Checkpoint.parse(text)
    if log.name not in names or (origin is not None and checkpoint.origin != origin):
        raise CheckpointError(f"a checkpoint of another log: {checkpoint.origin!r}")
    return checkpoint
