"""Witnesses' cosignatures as C2SP tlog-cosignature specifies them: a witness that checked a
checkpoint is consistent with the last one it saw signs ``cosignature/v1``, the time and the
checkpoint with an Ed25519 key of type 0x04; its line is added to the checkpoint's note."""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.transparency.note import DASH, NoteError, key_hash, parse_key, split_note

COSIGNATURE = 0x04


def _message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


@dataclass(frozen=True)
class Witness:
    """A witness's verifier key, ``name+hash+base64(0x04 ‖ public key)``."""

    name: str
    key_hash: bytes
    public: Ed25519PublicKey

    @classmethod
    def parse(cls, vkey: str) -> Witness:
        name, hash_bytes, key = parse_key(vkey, COSIGNATURE)
        return cls(name, hash_bytes, Ed25519PublicKey.from_public_bytes(key))


def cosign(text: str, name: str, private: Ed25519PrivateKey, timestamp: int) -> str:
    """The witness's signature line for the checkpoint ``text`` at ``timestamp`` (seconds)."""
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    signature = private.sign(_message(text, timestamp))
    blob = key_hash(name, bytes([COSIGNATURE]) + public) + struct.pack(">Q", timestamp)
    return f"{DASH}{name} {base64.b64encode(blob + signature).decode()}\n"


def witness_key(name: str, private: Ed25519PrivateKey) -> str:
    public = bytes([COSIGNATURE]) + private.public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw
    )
    return f"{name}+{key_hash(name, public).hex()}+{base64.b64encode(public).decode()}"


def cosigned_by(note: str, witnesses: list[Witness]) -> dict[str, int]:
    """The witnesses among ``witnesses`` whose cosignature on the note's checkpoint holds, with
    the time each signed; a bad cosignature by a known witness refuses the note."""
    text, lines = split_note(note)
    known = {(w.name, w.key_hash): w for w in witnesses}
    found: dict[str, int] = {}
    for name, raw in lines:
        witness = known.get((name, raw[:4]))
        if witness is None:
            continue
        if len(raw) != 4 + 8 + 64:
            raise NoteError(f"the cosignature of {name} is not 76 bytes")
        (timestamp,) = struct.unpack(">Q", raw[4:12])
        try:
            witness.public.verify(raw[12:], _message(text, timestamp))
        except InvalidSignature as exc:
            raise NoteError(f"the cosignature of {name} does not hold") from exc
        found[name] = timestamp
    return found
