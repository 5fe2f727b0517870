"""Checkpoints: the C2SP tlog-checkpoint example parsed, signed ones opened, bad ones refused."""

from __future__ import annotations

import base64

import pytest

from app.transparency.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from app.transparency.merkle import leaf_hash, root
from app.transparency.note import Signer, Verifier, generate

EXAMPLE = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"


def test_the_specifications_example() -> None:
    checkpoint = Checkpoint.parse(EXAMPLE)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert (
        base64.b64encode(checkpoint.root).decode() == "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
    )
    assert checkpoint.text() == EXAMPLE


def test_signed_by_the_log_and_opened_with_its_key() -> None:
    skey, vkey = generate("hailong.example/log")
    head = root([leaf_hash(b"a"), leaf_hash(b"b")])
    note = Checkpoint("hailong.example/log", 2, head).signed(Signer.parse(skey))
    opened = open_checkpoint(note, Verifier.parse(vkey), "hailong.example/log")
    assert (opened.size, opened.root) == (2, head)
    with pytest.raises(CheckpointError):
        open_checkpoint(note, Verifier.parse(vkey), "another.example/log")
    other = Verifier.parse(generate("hailong.example/log")[1])
    with pytest.raises(CheckpointError):
        open_checkpoint(note, other)


@pytest.mark.parametrize(
    "text",
    [
        "example.com/log\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "example.com/log\n012\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "example.com/log\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n",
        "example.com/log\n12\n",
        "\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "example.com/log\n18446744073709551616\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.parse(text)
