"""The log as served: its verifier key at /log/key (a file that is not a key stops the app at
start, naming the setting), its checkpoint and tiles, and a receipt's proof."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import get_settings
from app.core.locale import VN_TZ
from app.main import create_app
from app.models import Ballot
from app.surveys.catalog import SurveyCatalog
from app.transparency import merkle, sequencer
from app.transparency.checkpoint import open_checkpoint
from app.transparency.entries import Entry, receipt_hash
from app.transparency.note import Signer, Verifier, generate
from app.transparency.proof import TlogProof, verify_proof
from app.transparency.tiles import unbundle
from tests.factories import make_office, rate
from tests.test_cli import run


def _app(key_file: Path | None):  # type: ignore[no-untyped-def]
    settings = get_settings().model_copy(update={"log_key_file": key_file})
    return create_app(settings, register_surveys=False)


def test_the_key_is_served_as_keygen_printed_it(tmp_path: Path) -> None:
    key_file = tmp_path / "log.key"
    printed = run("log", "keygen", "--origin", "hailong.example/log", "-o", str(key_file))[1]
    vkey = printed.strip().splitlines()[-1]
    served = TestClient(_app(key_file)).get("/log/key")
    assert served.status_code == 200
    assert served.text == vkey + "\n"
    assert served.headers["content-type"].startswith("text/plain")


def test_no_log_is_a_404_and_a_bad_key_file_stops_the_app(tmp_path: Path) -> None:
    missing = TestClient(_app(None)).get("/log/key")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n")
    with pytest.raises(RuntimeError, match="HAILONG_LOG_KEY_FILE"):
        _app(bad)


def _signed_log(db: Session, registered: SurveyCatalog, n: int) -> tuple[list[str], Signer]:
    make_office(db, registered, code="PL-A")
    at = datetime(2026, 11, 2, 9, tzinfo=VN_TZ)
    ids = [rate(db, registered, "PL-A", 1 + i % 5, at) for i in range(n)]
    receipts = [db.get(Ballot, i).receipt for i in ids]  # type: ignore[union-attr]
    signer = Signer.parse(generate("hailong.example/log")[0])
    sequencer.append(db.connection())
    sequencer.sign(db.connection(), signer)
    return receipts, signer


def test_checkpoint_tiles_and_bundles_are_served_as_tlog_tiles_says(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    assert client.get("/log/checkpoint").status_code == 404
    _, signer = _signed_log(db, registered, 3)
    got = client.get("/log/checkpoint")
    assert got.status_code == 200
    checkpoint = open_checkpoint(got.text, Verifier.parse(signer.verifier_key()))
    assert checkpoint.size == 3
    level0 = client.get("/log/tile/0/000.p/3")
    assert level0.status_code == 200
    assert level0.headers["cache-control"] == "public, max-age=5"
    leaves = [level0.content[i : i + 32] for i in range(0, 96, 32)]
    assert merkle.root(leaves) == checkpoint.root
    bundle = client.get("/log/tile/entries/000.p/3")
    entries = unbundle(bundle.content)
    assert [merkle.leaf_hash(e) for e in entries] == leaves
    assert {Entry.decode(e).office for e in entries} == {"PL-A"}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/log/tile/0/000", 404),  # a full tile of a tree of 3
        ("/log/tile/0/000.p/4", 404),  # wider than the signed tree
        ("/log/tile/1/000.p/1", 404),  # no full level-0 tile below it
        ("/log/tile/0/x000/001", 422),  # not how the spec writes 1
        ("/log/tile/0/000.p/0", 422),
        ("/log/tile/0/000.p/256", 422),
        ("/log/tile/entries/abc", 422),
        ("/log/tile/99/000", 422),
    ],
)
def test_tiles_out_of_range_or_malformed_are_clear_4xx(
    client: TestClient, db: Session, registered: SurveyCatalog, path: str, status: int
) -> None:
    _signed_log(db, registered, 3)
    got = client.get(path)
    assert got.status_code == status
    assert got.headers["content-type"] == "application/json"
    assert got.json()["detail"]


def test_a_receipt_downloads_a_proof_that_verifies_offline(
    client: TestClient, db: Session, registered: SurveyCatalog, tmp_path: Path
) -> None:
    make_office(db, registered, code="PL-B")
    early = db.get(Ballot, rate(db, registered, "PL-B", 5, datetime(2026, 11, 2, tzinfo=VN_TZ)))
    assert early is not None
    waiting = client.get(f"/s/PL-B/r/{early.receipt}/proof")
    assert waiting.status_code == 404
    assert "Xin thử lại sau hai phút" in waiting.text
    receipts, signer = _signed_log(db, registered, 20)
    got = client.get(f"/s/PL-A/r/{receipts[13]}/proof")
    assert got.status_code == 200
    assert len(got.content) <= 2048
    assert got.headers["content-disposition"].endswith('.tlog-proof"')
    proof = TlogProof.parse(got.text)
    verifier = Verifier.parse(signer.verifier_key())
    verify_proof(proof, merkle.leaf_hash(proof.extra), verifier, "hailong.example/log")
    assert Entry.decode(proof.extra).receipt == receipt_hash(receipts[13])
    file = tmp_path / "phieu.tlog-proof"
    file.write_bytes(got.content)
    code, out = run("proof", "verify", str(file), "--key", signer.verifier_key())
    assert code == 0
    assert out.startswith("valid: entry 14 of 21")  # the early ballot came first
    assert client.get(f"/s/PL-B/r/{receipts[13]}/proof").status_code == 404  # another office's
    assert client.get("/s/PL-A/r/KHONGCO/proof").status_code == 404
