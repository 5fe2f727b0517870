"""schemathesis over every operation of the OpenAPI document, against a real server on each
database, with and without a token: no answer may be a 5xx."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
from sqlmodel import Session

from app.auth.service import create_token, create_user
from app.core.db import build_engine
from app.models import UserCreate
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import register_catalog
from tests.conftest import fresh_database
from tests.factories import make_office, six_answers
from tests.serving import serve

# Bounded so the suite stays quick; `make fuzz EXAMPLES=500` runs the same check longer.
EXAMPLES = int(os.environ.get("HAILONG_FUZZ_EXAMPLES", "25"))


def _seed(url: str, catalog: SurveyCatalog) -> str:
    engine = build_engine(url, pool_size=1)
    with Session(engine) as session:
        register_catalog(session, catalog)
        make_office(session, catalog, code="FZ", kind="province")
        make_office(session, catalog, code="FZ.1", parent="FZ", counters=3)
        create_user(
            session,
            UserCreate.model_construct(
                username="fuzz", role="admin", office=None, password="mat-khau-dai-1"
            ),
        )
        token, _ = create_token(session, "fuzz")
        session.commit()
    engine.dispose()
    return token


def test_no_operation_answers_5xx(backend: str, catalog: SurveyCatalog, tmp_path: Path) -> None:
    url = fresh_database(backend, "fuzz")
    token = _seed(url, catalog)
    with serve(url) as base, httpx.Client(base_url=base, timeout=10) as client:
        stored = client.post(
            "/api/v1/offices/FZ.1/responses",
            json={"answers": six_answers(4)},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        assert stored.status_code == 201
        spec = client.get("/openapi.json").json()
        operations = sum(len(ops) for ops in spec["paths"].values())
        # Real values for the path and query parameters, so the runs reach the handlers'
        # logic instead of stopping at "not found".
        (tmp_path / "schemathesis.toml").write_text(
            "[parameters]\n"
            '"path.code" = "FZ.1"\n'
            '"query.office" = "FZ"\n'
            f'"path.receipt" = "{stored.json()["receipt"]}"\n'
        )
        for headers in (["-H", f"Authorization: Bearer {token}"], []):
            run = subprocess.run(
                [
                    str(Path(sys.executable).with_name("st")),
                    "--no-color",
                    "run",
                    f"{base}/openapi.json",
                    *headers,
                    "--checks",
                    "not_a_server_error",
                    "--max-examples",
                    str(EXAMPLES),
                    "--workers",
                    "1",
                    "--seed",
                    "8",
                ],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            summary = "\n".join(line[:300] for line in run.stdout.splitlines()[-40:])
            assert run.returncode == 0, summary
            assert f"Tested: {operations}" in run.stdout, summary
