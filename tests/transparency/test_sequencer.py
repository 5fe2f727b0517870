"""Ballots and decisions reach the log in the order they were stored, as entries that say only
what the public may see; the stored tree gives the same heads and proofs as the RFC's."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.core.locale import VN_TZ
from app.integrity.exclusions import decide
from app.models import Ballot, LogPending
from app.surveys.catalog import SurveyCatalog
from app.transparency import merkle, sequencer, tree
from app.transparency.checkpoint import open_checkpoint
from app.transparency.entries import Entry, EntryError, receipt_hash
from app.transparency.note import Signer, Verifier, generate
from tests.factories import make_office, make_user, rate

AT = datetime(2026, 11, 30, 23, 30, tzinfo=VN_TZ)  # late at night: the day is Vietnam's


@pytest.fixture
def signer() -> Signer:
    return Signer.parse(generate("hailong.example/log")[0])


def _entries(db: Session) -> list[bytes]:
    conn = db.connection()
    return tree.entries(conn, 0, tree.size(conn))


def test_ballots_and_decisions_enter_in_order_saying_only_what_is_public(
    db: Session, registered: SurveyCatalog, signer: Signer
) -> None:
    make_office(db, registered, code="LOG-A")
    ids = [rate(db, registered, "LOG-A", v, AT, address="10.0.0.7") for v in (5, 2, 4)]
    assert db.exec(select(sa.func.count()).select_from(LogPending)).one() == 3
    inspector = make_user(db, "inspector")
    first = db.get(Ballot, ids[1])
    assert first is not None
    decide(db, registered, inspector, first.receipt, "Phiếu thử nghiệm", exclude=True)

    conn = db.connection()
    assert sequencer.append(conn) == 4
    assert sequencer.append(conn) == 0
    data = _entries(db)
    entries = [Entry.decode(d) for d in data]
    assert [e.kind for e in entries] == ["ballot", "ballot", "ballot", "exclude"]
    ballot = json.loads(data[0])
    assert set(ballot) == {
        "v",
        "kind",
        "office",
        "day",
        "receipt",
        "survey",
        "version",
        "source",
        "answers",
    }
    assert ballot["day"] == "2026-11-30"
    assert ballot["office"] == "LOG-A"
    assert ballot["answers"]
    assert set(ballot["answers"].values()) == {5}
    stored = db.get(Ballot, ids[0])
    assert stored is not None
    assert ballot["receipt"] == receipt_hash(stored.receipt)
    assert "10.0.0.7" not in data[0].decode()
    assert stored.receipt not in data[0].decode()
    assert entries[3].receipt == receipt_hash(first.receipt)
    assert entries[3].category == "ballot"
    assert "thử nghiệm" not in data[3].decode()

    signed = sequencer.sign(conn, signer)
    assert signed is not None
    assert signed.size == 4
    assert signed.root == merkle.root([merkle.leaf_hash(d) for d in data])
    verifier = Verifier.parse(signer.verifier_key())
    assert open_checkpoint(signed.note, verifier, "hailong.example/log").size == 4
    assert sequencer.sign(conn, signer) is None  # nothing new: no new checkpoint


def test_an_empty_log_signs_its_empty_tree_once(db: Session, signer: Signer) -> None:
    conn = db.connection()
    first = sequencer.sign(conn, signer)
    assert first is not None
    assert first.size == 0
    assert first.root == merkle.EMPTY_ROOT
    assert sequencer.sign(conn, signer) is None


def test_the_stored_tree_gives_the_rfc_heads_and_proofs(db: Session) -> None:
    conn = db.connection()
    data = [f"entry {i}".encode() for i in range(66_000)]
    leaves = [merkle.leaf_hash(d) for d in data]
    done = 0
    for upto in (1, 255, 256, 700, 65_535, 65_536, 66_000):  # across tiles and tile levels
        conn.execute(
            tree.ENTRY.insert(),
            [{"idx": i, "hash": leaves[i]} for i in range(done, upto)],
        )
        tree.add_nodes(conn, done, upto)
        done = upto
        heads = tree.Heads(conn)
        assert heads.root(upto) == merkle.root(leaves[:upto])
    heads = tree.Heads(conn)
    assert tree.size(conn) == 66_000
    for index, size in ((0, 1), (300, 700), (65_535, 66_000), (12_345, 65_536), (699, 700)):
        assert heads.inclusion(index, size) == merkle.inclusion_proof(leaves[:size], index)
    for old, new in ((1, 700), (256, 65_536), (700, 66_000), (65_536, 66_000), (255, 257)):
        assert heads.consistency(old, new) == merkle.consistency_proof(leaves[:new], old)
    assert db.exec(sa.text("SELECT count(*) FROM log_node WHERE level = 16")).one()[0] == 1


def test_an_entry_not_in_canonical_form_is_refused() -> None:
    good = Entry(
        kind="exclude",
        office="A",
        day=date(2026, 1, 2),
        receipt="ab",
        category="x",
        cast=date(2026, 1, 1),
        source="open",
    )
    assert Entry.decode(good.encode()) == good
    for bad in (
        b"not json",
        b"[]",
        good.encode().replace(b'"v":1', b'"v":2'),
        good.encode().replace(b",", b", "),
        b'{"kind":"ballot"}',
        good.encode().replace(b'"cast":"2026-01-01",', b""),
        b'{"v":1}',
    ):
        with pytest.raises(EntryError):
            Entry.decode(bad)
