"""The witness (C2SP tlog-witness): it cosigns a log's checkpoints only when each is consistent
with the last it cosigned, answering every other request with the spec's status code; and a
running log gets its checkpoints cosigned by a witness running on its own server."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from app.core.db import build_engine
from app.core.locale import VN_TZ
from app.models import Ballot
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import register_catalog
from app.transparency import merkle
from app.transparency.checkpoint import Checkpoint
from app.transparency.cosignature import Witness as WitnessKey
from app.transparency.cosignature import cosigned_by
from app.transparency.note import Signer, Verifier, generate
from app.transparency.witness import Witness
from tests.conftest import fresh_database
from tests.factories import make_office, rate
from tests.serving import free_port, serve
from tests.test_cli import run

LEAVES = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(40)]


@pytest.fixture
def log() -> Signer:
    return Signer.parse(generate("hailong.example/log")[0])


@pytest.fixture
def witness(log: Signer, tmp_path: Path) -> Witness:
    signer = Signer.parse(generate("thanhtra.example/w1")[0])
    return Witness(signer, [Verifier.parse(log.verifier_key())], tmp_path / "state.json")


def _body(log: Signer, old: int, size: int, leaves: list[bytes] = LEAVES) -> str:
    proof = merkle.consistency_proof(leaves[:size], old) if 0 < old < size else []
    note = Checkpoint(log.name, size, merkle.root(leaves[:size])).signed(log)
    lines = "".join(base64.b64encode(h).decode() + "\n" for h in proof)
    return f"old {old}\n{lines}\n{note}"


def test_consistent_checkpoints_are_cosigned_in_turn(witness: Witness, log: Signer) -> None:
    key = WitnessKey.parse(witness.verifier_key)
    for old, size in ((0, 5), (5, 9), (9, 9), (9, 40)):
        body = _body(log, old, size)
        answer = witness.add_checkpoint(body)
        assert answer.status == 200, answer.body
        note = body.split("\n\n", 1)[1]
        assert "thanhtra.example/w1" in cosigned_by(note + answer.body, [key])


def test_every_other_request_gets_the_spec_s_status(witness: Witness, log: Signer) -> None:
    assert witness.add_checkpoint(_body(log, 0, 8)).status == 200
    stale = witness.add_checkpoint(_body(log, 5, 9))  # the witness holds 8, not 5
    assert (stale.status, stale.body, stale.content_type) == (409, "8\n", "text/x.tlog.size")
    forked = [merkle.leaf_hash(b"rewritten"), *LEAVES[1:]]
    assert witness.add_checkpoint(_body(log, 8, 12, forked)).status == 422
    assert witness.add_checkpoint(_body(log, 8, 8, forked)).status == 409
    stranger = Signer.parse(generate("other.example/log")[0])
    assert witness.add_checkpoint(_body(stranger, 0, 3)).status == 404
    impostor = Signer.parse(generate("hailong.example/log")[0])  # the log's name, another key
    assert witness.add_checkpoint(_body(impostor, 8, 12)).status == 403
    assert witness.add_checkpoint(_body(log, 13, 12)).status == 400
    note = _body(log, 8, 12).split("\n\n", 1)[1]
    for head in ("", "old 8\n", "old x\n\n", "old 08\n\n", "old 8\nnot base64!\n\n", "new 8\n\n"):
        assert witness.add_checkpoint(head + note).status == 400, head
    assert witness.add_checkpoint(_body(log, 8, 12)).status == 200  # none of that moved it


def test_a_running_log_is_cosigned_by_a_witness_on_its_own_server(
    backend: str, catalog: SurveyCatalog, tmp_path: Path
) -> None:
    log_key, witness_key = tmp_path / "log.key", tmp_path / "witness.key"
    vkey = run("log", "keygen", "--origin", "127.0.0.1/log", "-o", str(log_key))[1].split()[-1]
    wkey = run("witness", "keygen", "--name", "thanhtra.example/w1", "-o", str(witness_key))[1]
    wkey = wkey.split()[-1]
    port = free_port()
    command = [sys.executable, "-m", "app", "witness", "serve", "--log-key", vkey]
    command += ["--key", str(witness_key), "--state", str(tmp_path / "w.json"), "--port", str(port)]
    witness = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    url = fresh_database(backend, "witnessed")
    engine = build_engine(url, pool_size=1)
    with Session(engine) as session:
        register_catalog(session, catalog)
        make_office(session, catalog, code="WI-A")
        ballot = session.get(
            Ballot, rate(session, catalog, "WI-A", 5, datetime(2026, 11, 3, tzinfo=VN_TZ))
        )
        assert ballot is not None
        receipt = ballot.receipt
        session.commit()
    env = {
        "HAILONG_LOG_KEY_FILE": str(log_key),
        "HAILONG_LOG_SECONDS": "1",
        "HAILONG_LOG_WITNESSES": f'["http://127.0.0.1:{port} {wkey}"]',
    }
    try:
        with serve(url, env=env) as base:
            deadline, note = time.monotonic() + 30, ""
            while time.monotonic() < deadline:
                got = httpx.get(f"{base}/log/checkpoint")
                if got.status_code == 200 and "thanhtra.example/w1" in got.text:
                    note = got.text
                    break
                time.sleep(0.3)
            assert "thanhtra.example/w1" in cosigned_by(note, [WitnessKey.parse(wkey)])
            assert note.split("\n")[1] == "1"
            proof = tmp_path / "phieu.tlog-proof"
            proof.write_bytes(httpx.get(f"{base}/s/WI-A/r/{receipt}/proof").content)
            code, out = run("proof", "verify", str(proof), "--key", vkey, "--witness", wkey)
            assert code == 0, out
            assert "cosigned by thanhtra.example/w1" in out
    finally:
        witness.terminate()
        witness.wait(10)
        engine.dispose()
