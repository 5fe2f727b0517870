"""Signed notes as C2SP signed-note specifies them (the format of Go's checksum database):
Ed25519 keys written ``name+hash+key``, a text signed by one or more of them, each signature a
line ``— name base64(key hash ‖ signature)`` after a blank line. Ed25519 by ``cryptography``."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

ED25519 = 0x01
DASH = "\u2014 "  # "— ": an em dash and a space begin every signature line


class NoteError(ValueError):
    """A key or a note that is malformed, or not signed by a trusted key."""


def key_hash(name: str, key: bytes) -> bytes:
    """The 4 bytes naming a key: SHA-256(name ‖ newline ‖ type ‖ key), first four."""
    return hashlib.sha256(name.encode() + b"\n" + key).digest()[:4]


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name) or not name.isprintable():
        raise NoteError(f"not a key name: {name!r}")


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NoteError("not base64") from exc


def parse_key(vkey: str, kind: int) -> tuple[str, bytes, bytes]:
    """A verifier key ``name+hash+base64(type ‖ key)`` of type ``kind``: its name, hash and
    32-byte Ed25519 key."""
    parts = vkey.split("+", 2)  # the base64 key may hold a "+" itself
    if len(parts) != 3:
        raise NoteError("a verifier key is name+hash+key")
    name, hash_hex, blob = parts
    _check_name(name)
    key = _b64(blob)
    if len(hash_hex) != 8 or len(key) != 33 or key[0] != kind:
        raise NoteError(f"not a verifier key of type {kind:#04x}")
    if key_hash(name, key).hex() != hash_hex.lower():
        raise NoteError("the verifier key's hash does not match its name and key")
    return name, bytes.fromhex(hash_hex), key[1:]


@dataclass(frozen=True)
class Verifier:
    name: str
    key_hash: bytes
    public: Ed25519PublicKey

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        """A verifier key, ``name+hash+base64(0x01 ‖ public key)``."""
        name, hash_bytes, key = parse_key(vkey, ED25519)
        return cls(name, hash_bytes, Ed25519PublicKey.from_public_bytes(key))

    def verify(self, text: bytes, signature: bytes) -> bool:
        try:
            self.public.verify(signature, text)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    name: str
    key_hash: bytes
    private: Ed25519PrivateKey

    @classmethod
    def parse(cls, skey: str) -> Signer:
        """A signer key, ``PRIVATE+KEY+name+hash+base64(0x01 ‖ seed)``."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("a signer key is PRIVATE+KEY+name+hash+key")
        name, hash_hex, blob = parts[2:]
        _check_name(name)
        seed = _b64(blob)
        if len(hash_hex) != 8 or len(seed) != 33 or seed[0] != ED25519:
            raise NoteError("not an Ed25519 signer key")
        private = Ed25519PrivateKey.from_private_bytes(seed[1:])
        public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        if key_hash(name, bytes([ED25519]) + public).hex() != hash_hex.lower():
            raise NoteError("the signer key's hash does not match its name and key")
        return cls(name, bytes.fromhex(hash_hex), private)

    def verifier_key(self) -> str:
        public = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        blob = base64.b64encode(bytes([ED25519]) + public).decode()
        return f"{self.name}+{self.key_hash.hex()}+{blob}"


def generate(name: str) -> tuple[str, str]:
    """A new key pair for ``name``: (signer key, verifier key)."""
    _check_name(name)
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    seed = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    digest = key_hash(name, bytes([ED25519]) + public).hex()
    skey = f"PRIVATE+KEY+{name}+{digest}+{base64.b64encode(bytes([ED25519]) + seed).decode()}"
    return skey, Signer.parse(skey).verifier_key()


def _check_text(text: str) -> None:
    if not text.endswith("\n") or "\n\n" in text or "\r" in text:
        raise NoteError("a note's text ends with a newline and has no blank line")


def sign(text: str, *signers: Signer) -> str:
    """The note: ``text``, a blank line, one signature line per signer."""
    _check_text(text)
    lines = [
        f"{DASH}{s.name} {base64.b64encode(s.key_hash + s.private.sign(text.encode())).decode()}\n"
        for s in signers
    ]
    return text + "\n" + "".join(lines)


def split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """A note's text and its signature lines, each (key name, decoded blob)."""
    text, sep, signatures = note.rpartition("\n\n")
    if not sep or not signatures.endswith("\n"):
        raise NoteError("not a signed note")
    text += "\n"
    _check_text(text)
    lines = []
    for line in signatures[:-1].split("\n"):
        if not line.startswith(DASH):
            raise NoteError("a signature line begins with an em dash")
        name, _, blob = line[len(DASH) :].partition(" ")
        raw = _b64(blob)
        if len(raw) < 5:
            raise NoteError("a signature is too short")
        lines.append((name, raw))
    return text, lines


def open_note(note: str, verifiers: list[Verifier]) -> tuple[str, list[str]]:
    """The note's text and the names of the ``verifiers`` whose signatures on it hold; a
    signature by an unknown key is ignored, a bad one by a known key refuses the note, and a
    note none of them signed is refused."""
    text, lines = split_note(note)
    known = {(v.name, v.key_hash): v for v in verifiers}
    verified: list[str] = []
    for name, raw in lines:
        verifier = known.get((name, raw[:4]))
        if verifier is None:
            continue
        if not verifier.verify(text.encode(), raw[4:]):
            raise NoteError(f"the signature of {name} does not hold")
        verified.append(name)
    if not verified:
        raise NoteError("the note is signed by no trusted key")
    return text, verified


def load_signer(path: Path) -> Signer:
    """The signing key in the file ``hailong log keygen`` wrote."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise NoteError(f"cannot read {path}: {exc}") from exc
    return Signer.parse(text)
