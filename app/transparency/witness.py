"""A witness for other parties' logs, as C2SP tlog-witness specifies it: a province's
inspectorate runs ``hailong witness serve`` on its own server, and cosigns each checkpoint of
the logs it knows only when it is consistent with the last one it cosigned. A log that forks,
or rewrites what it signed, can then not get the witness's cosignature for it.

This is the protocol without HTTP (``app/web/witness.py`` serves it): ``add_checkpoint`` takes
the request body and answers the spec's status code and body. The state (each log's latest
cosigned size and head) is a small JSON file, checked and replaced under one lock, so two
requests can never roll it back.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from app.transparency.checkpoint import Checkpoint, CheckpointError
from app.transparency.cosignature import cosign, witness_key
from app.transparency.merkle import EMPTY_ROOT, HASH_SIZE, ProofError, verify_consistency
from app.transparency.note import NoteError, Signer, Verifier, open_note
from app.transparency.proof import INDEX

MAX_PROOF = 63
SIZE_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def _refuse(status: int, reason: str) -> Answer:
    return Answer(status, reason + "\n")


class Witness:
    def __init__(self, signer: Signer, logs: list[Verifier], state: Path) -> None:
        self.signer = signer
        self.logs = {log.name: log for log in logs}
        self.state = state
        self._lock = threading.Lock()

    @property
    def verifier_key(self) -> str:
        return witness_key(self.signer.name, self.signer.private)

    def _load(self) -> dict[str, tuple[int, bytes]]:
        if not self.state.exists():
            return {}
        data = json.loads(self.state.read_text(encoding="utf-8"))
        return {o: (int(v["size"]), base64.b64decode(v["root"])) for o, v in data.items()}

    def _save(self, seen: dict[str, tuple[int, bytes]]) -> None:
        body = {o: {"size": s, "root": base64.b64encode(r).decode()} for o, (s, r) in seen.items()}
        temporary = self.state.with_suffix(self.state.suffix + ".tmp")
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(json.dumps(body, sort_keys=True) + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.state)

    def add_checkpoint(self, body: str, now: int | None = None) -> Answer:
        """One ``add-checkpoint`` request: its answer, with the spec's status codes."""
        head, sep, note = body.partition("\n\n")
        lines = head.split("\n")
        old_line = lines[0].removeprefix("old ")
        if not sep or not lines[0].startswith("old ") or not INDEX.fullmatch(f"index {old_line}"):
            return _refuse(400, "the body starts with an old size line, then a blank line")
        if len(lines) - 1 > MAX_PROOF:
            return _refuse(400, f"more than {MAX_PROOF} consistency proof lines")
        try:
            proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
        except (binascii.Error, ValueError):
            return _refuse(400, "a consistency proof line is not base64")
        if any(len(h) != HASH_SIZE for h in proof):
            return _refuse(400, "a consistency proof line is not a SHA-256 hash")
        origin = note.split("\n", 1)[0]
        log = self.logs.get(origin)
        if log is None:
            return _refuse(404, f"this witness does not know the log {origin!r}")
        try:
            text, names = open_note(note, [log])
            checkpoint = Checkpoint.parse(text)
        except (NoteError, CheckpointError) as exc:
            status = 403 if isinstance(exc, NoteError) else 400
            return _refuse(status, f"the checkpoint: {exc}")
        if log.name not in names:
            return _refuse(403, "the checkpoint is not signed by the log's key")
        old = int(old_line)
        if old > checkpoint.size:
            return _refuse(400, "the old size is larger than the checkpoint's")
        with self._lock:
            seen = self._load()
            size, root = seen.get(origin, (0, EMPTY_ROOT))
            if old != size:
                return Answer(409, f"{size}\n", SIZE_TYPE)
            if old == checkpoint.size and root != checkpoint.root and old:
                return _refuse(409, "the same size as the last checkpoint, another head")
            try:
                if old:
                    verify_consistency(old, checkpoint.size, root, checkpoint.root, proof)
                elif proof:
                    raise ProofError("a proof from the empty tree must be empty")
            except ProofError as exc:
                return _refuse(422, f"not consistent with the checkpoint cosigned before: {exc}")
            seen[origin] = (checkpoint.size, checkpoint.root)
            self._save(seen)
        stamp = int(time.time()) if now is None else now
        return Answer(200, cosign(text, self.signer.name, self.signer.private, stamp))
