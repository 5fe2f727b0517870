"""Asking witnesses to cosign the log's checkpoints (the log's side of C2SP tlog-witness).

Each new checkpoint goes to every witness in ``HAILONG_LOG_WITNESSES`` with a consistency proof
from the size that witness cosigned last; a witness that says it holds another size (409) is
asked again from that size. Its cosignature is checked with its key before it joins the
checkpoint's note. A witness that is down or refuses costs only its own line: the checkpoint is
published with those that answered, and the next one is offered to it again.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from app.transparency.cosignature import Witness, cosigned_by
from app.transparency.note import NoteError
from app.transparency.witness import SIZE_TYPE

log = logging.getLogger("hailong.log")
TIMEOUT = 5.0


@dataclass
class Peer:
    url: str  # its submission prefix: add-checkpoint is under it
    key: Witness
    size: int = 0  # the size it cosigned last, as far as this process knows

    @classmethod
    def parse(cls, setting: str) -> Peer:
        """``URL KEY``: the witness's address and its cosignature verifier key."""
        url, _, key = setting.strip().partition(" ")
        if not url.startswith(("http://", "https://")):
            raise NoteError(f"a witness is 'URL KEY', not {setting!r}")
        return cls(url.rstrip("/"), Witness.parse(key.strip()))


def cosignatures(
    peers: list[Peer],
    note: str,
    size: int,
    proof: Callable[[int], list[bytes]],
    client: httpx.Client,
) -> str:
    """The cosignature lines the witnesses gave for ``note`` (a checkpoint of ``size``);
    ``proof(old)`` is the consistency proof from ``old`` to ``size``."""
    lines = ""
    for peer in peers:
        for _attempt in range(2):
            old = peer.size if peer.size <= size else 0
            body = f"old {old}\n"
            body += "".join(base64.b64encode(h).decode() + "\n" for h in proof(old))
            try:
                answer = client.post(f"{peer.url}/add-checkpoint", content=body + "\n" + note)
            except httpx.HTTPError as exc:
                log.warning("witness %s: %s", peer.key.name, exc)
                break
            kind = answer.headers.get("content-type", "")
            if answer.status_code == 409 and kind.startswith(SIZE_TYPE):
                peer.size = int(answer.text.strip() or 0)
                continue
            if answer.status_code != 200:
                log.warning(
                    "witness %s refused: %d %s",
                    peer.key.name,
                    answer.status_code,
                    answer.text[:200],
                )
                break
            try:
                if peer.key.name in cosigned_by(note + answer.text, [peer.key]):
                    lines += "".join(
                        f"{line}\n"
                        for line in answer.text.splitlines()
                        if line.startswith("\u2014 ")
                    )
                    peer.size = size
            except NoteError as exc:
                log.warning("witness %s: %s", peer.key.name, exc)
            break
    return lines
