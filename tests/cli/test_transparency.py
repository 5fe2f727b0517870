"""`hailong log keygen` and `hailong proof verify`: a proof checked offline with nothing but the
file and the keys, and refused, with the reason, when anything in it does not hold."""

from __future__ import annotations

import stat
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.transparency.checkpoint import Checkpoint
from app.transparency.cosignature import cosign, witness_key
from app.transparency.merkle import inclusion_proof, leaf_hash, root
from app.transparency.note import Signer
from app.transparency.proof import TlogProof
from tests.test_cli import run

ORIGIN = "hailong.example/log"


def test_keygen_writes_a_private_key_once_and_prints_the_verifier_key(tmp_path: Path) -> None:
    out = tmp_path / "log.key"
    code, printed = run("log", "keygen", "--origin", ORIGIN, "-o", str(out))
    assert code == 0, printed
    vkey = printed.strip().splitlines()[-1]
    assert vkey.startswith(f"{ORIGIN}+")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert Signer.parse(out.read_text().strip()).verifier_key() == vkey
    assert run("log", "keygen", "--origin", ORIGIN, "-o", str(out))[0] == 1  # never replaced
    assert run("log", "keygen", "--origin", "has space", "-o", str(tmp_path / "x"))[0] == 2


def _proof(tmp_path: Path, *, extra: bytes | None = None) -> tuple[Path, str, str]:
    key_file = tmp_path / "log.key"
    vkey = run("log", "keygen", "--origin", ORIGIN, "-o", str(key_file))[1].strip().splitlines()[-1]
    entries = [f"phiếu {i}".encode() for i in range(300)]
    leaves = [leaf_hash(e) for e in entries]
    text = Checkpoint(ORIGIN, 300, root(leaves)).text()
    witness = Ed25519PrivateKey.generate()
    note = Checkpoint.parse(text).signed(Signer.parse(key_file.read_text().strip()))
    note += cosign(text, "thanh-tra.example/witness", witness, 1_780_000_000)
    proof = TlogProof(123, tuple(inclusion_proof(leaves, 123)), note, extra or entries[123])
    path = tmp_path / "phieu.tlog-proof"
    path.write_text(proof.text(), encoding="utf-8")
    return path, vkey, witness_key("thanh-tra.example/witness", witness)


def test_a_proof_verified_offline_with_its_witness(tmp_path: Path) -> None:
    path, vkey, wkey = _proof(tmp_path)
    code, out = run("proof", "verify", str(path), "--key", vkey, "--witness", wkey)
    assert code == 0, out
    assert "valid: entry 123 of 300 in hailong.example/log, cosigned by thanh-tra" in out


def test_what_does_not_hold_is_refused_with_the_reason(tmp_path: Path) -> None:
    path, vkey, wkey = _proof(tmp_path, extra="phiếu 124".encode())  # another entry
    code, out = run("proof", "verify", str(path), "--key", vkey)
    assert code == 1
    assert "not valid:" in out
    (tmp_path / "b").mkdir()
    path, vkey, wkey = _proof(tmp_path / "b")
    other = Ed25519PrivateKey.generate()
    stranger = witness_key("other.example/witness", other)
    code, out = run("proof", "verify", str(path), "--key", vkey, "--witness", stranger)
    assert code == 1
    assert "0 of the 1 cosignatures needed" in out
    code, out = run("proof", "verify", str(path), "--key", wkey)
    assert code == 2  # a witness's key is not a log's
    path.write_text("c2sp.org/tlog-proof@v1\nindex 1\n\nnothing\n", encoding="utf-8")
    code, out = run("proof", "verify", str(path), "--key", vkey)
    assert code == 1
    assert "not valid:" in out
