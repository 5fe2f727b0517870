"""An export stops at the newest ballot committed when it is asked for: every ballot acknowledged
before the request is in the file, and the manifest, made later from the same snapshot, agrees
with the file. On PostgreSQL writers commit out of id order; here one holds a ballot it took an
id for, uncommitted, for 10 s while the server acknowledges others after it and the file is
asked for."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from app.ballots.service import submit
from app.ballots.validation import Submission
from app.exports import ballot_export
from app.surveys.catalog import SurveyCatalog
from tests.conftest import fresh_database
from tests.exports.test_files import _setup
from tests.factories import six_answers
from tests.serving import CHECKOUT, launch, load_demo

# The demo's province, a unit using the six criteria, and one using another survey: a ballot of
# the other survey shares no count (and so no row lock) with the first unit's ballots.
PROVINCE, UNIT, OTHER = "38", "16003.MC", "16033.MC"


def test_the_snapshot_is_the_newest_ballot_committed(
    db: Session, registered: SurveyCatalog
) -> None:
    _setup(db, registered)
    submit(
        db,
        registered,
        "X-A",
        Submission(answers=six_answers(5)),
        channel="web",
        idempotency_key=uuid.uuid4().hex,
        strict_replay=True,
    )
    newest = db.connection().execute(text("SELECT max(id) FROM ballot")).scalar_one()
    assert ballot_export.settled(db.connection()) == newest


def _token(url: str) -> str:
    env = {**os.environ, "HAILONG_DATABASE_URL": url}
    made = subprocess.run(
        [sys.executable, "-m", "app", "token", "create", "demo.thanhtra"],
        cwd=CHECKOUT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return made.stdout.strip()


def _stall(url: str, catalog: SurveyCatalog, seconds: float, commit: bool, during: Any) -> str:
    """Store a ballot at ``OTHER`` in a transaction left open ``seconds`` while ``during``
    runs (in a thread, so it is under way meanwhile); commit it or roll it back. Its receipt."""
    engine = create_engine(url, poolclass=NullPool)
    survey = catalog.get("co-so-vat-chat")
    answers = {q.key: 4 for q in survey.questions if q.required}
    with Session(engine) as stalled:
        held, _ = submit(
            stalled,
            catalog,
            OTHER,
            Submission(answers=answers),
            channel="api",
            idempotency_key=uuid.uuid4().hex,
            strict_replay=True,
        )
        worker = threading.Thread(target=during)
        worker.start()
        time.sleep(seconds)
        if commit:
            stalled.commit()
        else:
            stalled.rollback()
        worker.join(timeout=60)
    engine.dispose()
    return held.receipt


def _receipts(content: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    return [row[rows[0].index("Mã phiếu")] for row in rows[1:]]


def test_a_stalled_writer_neither_drops_nor_adds_a_row(catalog: SurveyCatalog) -> None:
    url = fresh_database("postgresql", "snapshot")
    load_demo(url)
    token = _token(url)
    limits = {"HAILONG_LIMIT_ADDRESS": "1000 per minute", "HAILONG_LIMIT_DEVICE": "1000 per minute"}
    proc, base = launch(url, env=limits)
    try:
        http = httpx.Client(base_url=base, timeout=90, headers={"Authorization": f"Bearer {token}"})
        citizen = httpx.Client(base_url=base, timeout=30)
        query = f"office={PROVINCE}"
        for commit, seconds in ((True, 10.0), (False, 2.0)):
            acknowledged: list[str] = []
            got: dict[str, Any] = {}

            def during(into: dict[str, Any] = got, mine: list[str] = acknowledged) -> None:
                for _ in range(5):  # acknowledged after the stalled ballot took its id
                    sent = citizen.post(
                        f"/api/v1/offices/{UNIT}/responses", json={"answers": six_answers(4)}
                    )
                    assert sent.status_code == 201, sent.text
                    mine.append(sent.json()["receipt"])
                started = time.monotonic()
                into["file"] = http.get(f"/api/v1/exports/ballots.csv?{query}")
                into["seconds"] = time.monotonic() - started

            held = _stall(url, catalog, seconds, commit, during)
            answer = got["file"]
            assert answer.status_code == 200, answer.text
            in_file = _receipts(answer.content)
            assert set(acknowledged) <= set(in_file)
            # The file waited for the stalled writer, then held its ballot only if it committed.
            assert (held in in_file) is commit
            assert got["seconds"] > seconds - 3
            snapshot = answer.headers["x-export-snapshot"]
            manifest = http.get(
                f"/api/v1/exports/ballots.csv.manifest.json?{query}&snapshot={snapshot}"
            ).json()
            assert manifest["rows"] == len(in_file)
            assert manifest["sha256"] == hashlib.sha256(answer.content).hexdigest()
        http.close()
        citizen.close()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
