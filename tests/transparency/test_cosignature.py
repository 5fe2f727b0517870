"""Witness cosignatures, with a real checkpoint of Certificate Transparency's staging log
cosigned by public witnesses (as quoted by the tests of transparency-dev's tools), and our own
witness keys signing what they verify."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.transparency.checkpoint import Checkpoint, open_checkpoint
from app.transparency.cosignature import Witness, cosign, cosigned_by, witness_key
from app.transparency.note import NoteError, Verifier

CHECKPOINT = (
    "arche2025h1.staging.ct.transparency.dev\n1432088532\n"
    "U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n\n"
    "\u2014 arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6ho"
    "GREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n"
    "\u2014 arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUk"
    "zbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n"
    "\u2014 remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIob"
    "WX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n"
)
LOG = (
    "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
)
REMORA = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"


def test_a_real_log_checkpoint_and_its_witness() -> None:
    checkpoint = open_checkpoint(CHECKPOINT, Verifier.parse(LOG))
    assert checkpoint.size == 1432088532
    times = cosigned_by(CHECKPOINT, [Witness.parse(REMORA)])
    assert list(times) == ["remora.n621.de"]
    assert times["remora.n621.de"] > 1_700_000_000  # a time in seconds, 2023 or later


def test_a_changed_checkpoint_loses_its_cosignature() -> None:
    changed = CHECKPOINT.replace("1432088532", "1432088533")
    with pytest.raises(NoteError):
        cosigned_by(changed, [Witness.parse(REMORA)])


def test_our_witness_signs_what_it_verifies() -> None:
    private = Ed25519PrivateKey.generate()
    text = Checkpoint("hailong.example/log", 7, bytes(32)).text()
    note = text + "\n" + cosign(text, "thanh-tra.example/witness", private, 1_780_000_000)
    key = witness_key("thanh-tra.example/witness", private)
    assert cosigned_by(note, [Witness.parse(key)]) == {"thanh-tra.example/witness": 1_780_000_000}
    with pytest.raises(NoteError):
        Witness.parse(LOG)  # a log's key (type 0x01) is not a witness's (0x04)
