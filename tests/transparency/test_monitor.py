"""The monitor trusts nothing but the log's key: it accepts a log that grew honestly, and
catches a ballot row edited or deleted after it was signed, and a tree re-signed as a fork."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.db import build_engine
from app.core.locale import VN_TZ
from app.integrity.exclusions import decide
from app.models import Ballot
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import register_catalog
from app.transparency import merkle, sequencer, tree
from app.transparency.checkpoint import Checkpoint
from app.transparency.monitor import Disagreement, Frontier, audit
from app.transparency.note import Signer, Verifier, generate
from tests.conftest import fresh_database
from tests.factories import make_office, make_user, rate
from tests.serving import serve, wait_for

BASE = "http://testserver/log"
NOV, DEC = datetime(2026, 11, 20, 9, tzinfo=VN_TZ), datetime(2026, 12, 1, 9, tzinfo=VN_TZ)


@pytest.fixture
def signer() -> Signer:
    return Signer.parse(generate("hailong.example/log")[0])


def _run(client: TestClient, signer: Signer, state: Path):  # type: ignore[no-untyped-def]
    return audit(BASE, Verifier.parse(signer.verifier_key()), state, client, parallel=1)


def _grow(
    db: Session, registered: SurveyCatalog, signer: Signer, n: int, at: datetime
) -> list[int]:
    ids = [rate(db, registered, "MO-A", 1 + i % 5, at) for i in range(n)]
    sequencer.append(db.connection())
    sequencer.sign(db.connection(), signer)
    return ids


def _watched(
    client: TestClient,
    db: Session,
    registered: SurveyCatalog,
    signer: Signer,
    tmp_path: Path,
    n: int,
) -> tuple[list[int], Path]:
    """A log of ``n`` ballots the monitor has seen once: their ids, and its state file."""
    make_office(db, registered, code="MO-A")
    ids = _grow(db, registered, signer, n, NOV)
    state = tmp_path / "seen.json"
    _run(client, signer, state)
    return ids, state


def _resign(db: Session, signer: Signer, size: int) -> None:
    """The operator replaces every checkpoint by one of ``size``, signed with the log's key."""
    conn = db.connection()
    conn.execute(tree.CHECKPOINT.delete())
    head = tree.Heads(conn).root(size)
    note = Checkpoint(signer.name, size, head).signed(signer)
    conn.execute(tree.CHECKPOINT.insert().values(size=size, root=head, note=note, issued_at=NOV))


def test_the_frontier_gives_every_rfc_head() -> None:
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(300)]
    frontier = Frontier()
    assert frontier.root() == merkle.EMPTY_ROOT
    for n, leaf in enumerate(leaves, 1):
        frontier.add(leaf)
        assert frontier.root() == merkle.root(leaves[:n])


def test_an_honest_log_passes_and_its_counts_are_a_recount(
    client: TestClient, db: Session, registered: SurveyCatalog, signer: Signer, tmp_path: Path
) -> None:
    make_office(db, registered, code="MO-A")
    ids = _grow(db, registered, signer, 300, NOV)  # more than one bundle
    state = tmp_path / "seen.json"
    first = _run(client, signer, state)
    assert first.checkpoint.size == 300
    assert first.previous is None
    assert first.counted == {("MO-A", "2026-11", "open"): 300}
    receipt = db.get(Ballot, ids[7]).receipt  # type: ignore[union-attr]
    decide(db, registered, make_user(db, "inspector"), receipt, "Phiếu trùng lặp", exclude=True)
    _grow(db, registered, signer, 4, DEC)
    second = _run(client, signer, state)
    assert second.previous == 300
    assert second.checkpoint.size == 305
    assert second.counted == {("MO-A", "2026-11", "open"): 299, ("MO-A", "2026-12", "open"): 4}


def test_a_ballot_row_edited_after_it_was_signed_is_caught(
    client: TestClient, db: Session, registered: SurveyCatalog, signer: Signer, tmp_path: Path
) -> None:
    ids, state = _watched(client, db, registered, signer, tmp_path, 10)
    db.exec(sa.text("UPDATE answer SET value = 5 WHERE ballot_id = :id"), params={"id": ids[3]})  # type: ignore[call-overload]
    with pytest.raises(Disagreement, match="changed or removed after it was signed"):
        _run(client, signer, state)


def test_a_ballot_row_deleted_after_it_was_signed_is_caught(
    client: TestClient, db: Session, registered: SurveyCatalog, signer: Signer, tmp_path: Path
) -> None:
    ids, state = _watched(client, db, registered, signer, tmp_path, 10)
    for table in ("answer", "ballot_signal", "ballot"):
        column = "id" if table == "ballot" else "ballot_id"
        db.exec(sa.text(f"DELETE FROM {table} WHERE {column} = :id"), params={"id": ids[3]})  # type: ignore[call-overload]
    with pytest.raises(Disagreement, match="HTTP 404"):
        _run(client, signer, state)


def test_a_forked_tree_re_signed_with_the_key_is_caught(
    client: TestClient, db: Session, registered: SurveyCatalog, signer: Signer, tmp_path: Path
) -> None:
    _, state = _watched(client, db, registered, signer, tmp_path, 10)
    # The operator rewrites history: a ballot row changed, its leaf and every head above it
    # recomputed, and a bigger tree signed with the log's own key.
    conn = db.connection()
    entry = "SELECT ballot_id FROM log_entry WHERE idx = 2"
    db.exec(sa.text(f"UPDATE answer SET value = 1 WHERE ballot_id = ({entry})"))  # type: ignore[call-overload]
    [data] = tree.entries(conn, 2, 3)
    conn.execute(
        tree.ENTRY.update().where(tree.ENTRY.c.idx == 2).values(hash=merkle.leaf_hash(data))
    )
    _grow(db, registered, signer, 2, NOV)
    _resign(db, signer, 12)
    with pytest.raises(Disagreement, match="forked or rewrote its history"):
        _run(client, signer, state)


def test_a_log_that_shrank_or_another_key_is_refused(
    client: TestClient, db: Session, registered: SurveyCatalog, signer: Signer, tmp_path: Path
) -> None:
    _, state = _watched(client, db, registered, signer, tmp_path, 5)
    other = Signer.parse(generate("hailong.example/log")[0])
    with pytest.raises(Disagreement, match="checkpoint"):
        _run(client, other, state)
    _resign(db, signer, 3)
    with pytest.raises(Disagreement, match="shrank"):
        _run(client, signer, state)


def test_hailong_log_audit_watches_a_running_server(
    backend: str, catalog: SurveyCatalog, tmp_path: Path
) -> None:
    """The whole way: a real server signs its log by itself every second; the command reads it
    over HTTP, bundles in parallel, and exits 1 once a signed ballot's row is changed."""
    key_file = tmp_path / "log.key"
    skey, vkey = generate("127.0.0.1/log")
    key_file.write_text(skey + "\n")
    url = fresh_database(backend, "monitor")
    engine = build_engine(url, pool_size=1)
    with Session(engine) as session:
        register_catalog(session, catalog)
        make_office(session, catalog, code="MO-L")
        ids = [rate(session, catalog, "MO-L", 4, NOV) for _ in range(600)]
        session.commit()
    env = {"HAILONG_LOG_KEY_FILE": str(key_file), "HAILONG_LOG_SECONDS": "1"}
    try:
        with serve(url, env=env) as base:

            def signed_all() -> bool:
                got = httpx.get(f"{base}/log/checkpoint")
                return got.status_code == 200 and got.text.split("\n")[1] == "600"

            wait_for(signed_all, what="the log never signed the 600 ballots")
            state = tmp_path / "seen.json"
            command = [sys.executable, "-m", "app", "log", "audit", f"{base}/log"]
            command += ["--key", vkey, "--state", str(state)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            assert done.returncode == 0, done.stderr
            assert "MO-L\t2026-11\t600" in done.stdout
            assert done.stdout.strip().endswith("ok: 600 entries make the signed tree")
            with engine.begin() as conn:
                conn.execute(
                    sa.text("UPDATE answer SET value = 1 WHERE ballot_id = :id"), {"id": ids[500]}
                )
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            assert done.returncode == 1
            assert "changed or removed after it was signed" in done.stderr
    finally:
        engine.dispose()


def test_open_data_is_recounted_from_the_entries(
    client: TestClient,
    db: Session,
    registered: SurveyCatalog,
    signer: Signer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.offices.service import update_office
    from app.publication import open_data

    make_office(db, registered, code="MO-A")
    update_office(db, "MO-A", registered, public="on")
    now = datetime.now(VN_TZ).replace(hour=9)
    _grow(db, registered, signer, 12, now)
    done = _run(client, signer, tmp_path / "seen.json")
    assert done.files == 12  # twelve months of the one public office
    counted = open_data.logged_counts

    def one_more(*args):  # type: ignore[no-untyped-def]
        found = counted(*args)
        for by_source in found.values():
            by_source["open"] += 1
        return found

    monkeypatch.setattr(open_data, "logged_counts", one_more)
    kept = client.app.state.hailong  # type: ignore[attr-defined]
    kept.public_cache, kept.public_replay = type(kept.public_cache)(), type(kept.public_cache)()
    with pytest.raises(Disagreement, match=r"says 13 ballots of MO-A from 'open'.*count 12"):
        _run(client, signer, tmp_path / "seen.json")


def test_truncated_or_broken_bundles_are_disagreements() -> None:
    from app.transparency.monitor import entries
    from app.transparency.tiles import bundle

    whole = bundle([b"one", b"two", b"three"])
    for served, reason in (
        (whole[:-2], "ends inside an entry"),
        (bundle([b"one", b"two"]), "2 entries, not 3"),
        (b"", "0 entries, not 3"),
    ):

        def answer(request: httpx.Request, body: bytes = served) -> httpx.Response:
            return httpx.Response(200, content=body)

        client = httpx.Client(transport=httpx.MockTransport(answer))
        with client, pytest.raises(Disagreement, match=reason):
            list(entries(client, "http://log.example/log", 3, parallel=1))
    missing = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(404)))
    with missing, pytest.raises(Disagreement, match="HTTP 404"):
        list(entries(missing, "http://log.example/log", 3, parallel=1))


def test_hash_tiles_that_do_not_match_the_entries_are_caught(
    client: TestClient, db: Session, registered: SurveyCatalog, signer: Signer, tmp_path: Path
) -> None:
    """The tiles receipts' proofs are made from: a head above the leaves changed is caught."""
    _, state = _watched(client, db, registered, signer, tmp_path, 300)
    db.exec(
        sa.text("UPDATE log_node SET hash = :h WHERE level = 8 AND idx = 0"),
        params={"h": bytes(32)},
    )  # type: ignore[call-overload]
    with pytest.raises(Disagreement, match=r"tile/1/000\.p/1: not the heads"):
        _run(client, signer, state)
