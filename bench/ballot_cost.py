"""What one ballot from the citizen's form costs the server, part by part, in this process with
nothing else running: the parts ``POST /s/{office}`` runs, with the same code, on the same
bodies ``bench/submit.py`` posts.

    python bench/ballot_cost.py [--ballots 3000] [--batch 32] [--rounds 5] [--database-url URL]

Storing is timed in batches as the group-commit writer stores them (``store_ballots`` and the
commit), then again with one of its parts left out at a time: the difference is that part's
cost. Then once more beside a thread that keeps the interpreter busy, as the event loop keeps
it in the server: what each round trip to the database costs there. What the framework costs
(uvicorn, routing, the middleware, waking the request when its batch is stored) is what
``bench/submit.py`` measures beyond the sum.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.responses import RedirectResponse  # noqa: E402
from sqlmodel import Session  # noqa: E402
from starlette.requests import Request  # noqa: E402

from bench import submit  # noqa: E402
from bench.serving import UNLIMITED, app_env  # noqa: E402


def _request(body: bytes) -> Request:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        more, sent = not sent, True
        return {"type": "http.request", "body": body if more else b"", "more_body": False}

    headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    scope = {"type": "http", "method": "POST", "headers": headers, "path": "/", "query_string": b""}
    return Request(scope, receive)


def per_ballot(n: int, work: Callable[[], Any]) -> float:
    """Microseconds per ballot of ``work`` (which handles ``n`` ballots)."""
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) / n * 1e6


@contextmanager
def left_out(target: Any, name: str) -> Iterator[None]:
    """``target.name`` does nothing while inside (a part of storing, to time the rest)."""
    original = getattr(target, name)
    setattr(target, name, lambda *args, **kwargs: None)
    try:
        yield
    finally:
        setattr(target, name, original)


def beside_busy_thread(work: Callable[[], float]) -> float:
    """``work``'s result with another thread running Python meanwhile, as the event loop does
    beside the writer: every wait for the database then ends waiting for the interpreter lock."""
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            sum(range(200))

    spinner = threading.Thread(target=spin, daemon=True)
    spinner.start()
    try:
        return work()
    finally:
        stop.set()
        spinner.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", help="default: a fresh SQLite file; emptied first")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='hailong-cost-')}/c.db"
    env = app_env(url, **UNLIMITED)
    submit.prepare(url, env)
    os.environ.update(env)

    from app.ballots import service
    from app.ballots.office_info import load_office_info
    from app.core.config import get_settings
    from app.core.db import WRITE, build_engine
    from app.signals.keys import read_stamp
    from app.signals.limiter import Client, RatingLimits
    from app.signals.record import Observed
    from app.stats import rollups
    from app.surveys.catalog import load_catalog
    from app.surveys.service import register_catalog
    from app.transparency import sequencer
    from app.web.ballot_form import read_form, submission_from_form

    settings = get_settings()
    secret = settings.secret_key.get_secret_value()
    engine = build_engine(url, pool_size=2)
    catalog = load_catalog(settings.surveys_dir, settings.default_survey)
    with Session(engine) as session:
        register_catalog(session, catalog)
        session.commit()
        office = load_office_info(session, catalog, submit.OFFICE)
    n = args.ballots
    bodies = [submit.make_body(office.id) for _ in range(n)]
    results: list[tuple[str, float]] = []

    forms: list[Any] = []

    async def parse() -> None:
        for body in bodies:
            forms.append(await read_form(_request(body)))

    results.append(("reading the form", per_ballot(n, lambda: asyncio.run(parse()))))

    limits = RatingLimits(settings)

    async def count() -> None:
        for _ in range(n):
            await limits.check(office.id, Client("198.51.100.7", uuid.uuid4().hex))

    counted = per_ballot(n, lambda: asyncio.run(count()))
    results.append(("rating limits: the address's and the device's", counted))
    stamps = [str(form.get("stamp")) for form in forms]
    checked = per_ballot(n, lambda: [read_stamp(secret, office.id, s) for s in stamps])
    results.append(("the form's signed time", checked))
    client = Client("198.51.100.7", uuid.uuid4().hex)

    def prepared() -> list[Any]:
        return [
            service.prepare(
                office,
                submission_from_form(form),
                channel="web",
                idempotency_key=uuid.uuid4().hex,
                strict_replay=False,
                key_covers_answers=True,
                observed=Observed(client, read_stamp(secret, office.id, stamp), form=True),
            )
            for form, stamp in zip(forms, stamps, strict=True)
        ]

    results.append(("validating and preparing the rows", per_ballot(n, prepared)))

    def stored(commit: bool = True) -> float:
        """µs a ballot of storing ``n`` prepared ballots in batches, each committed (or, to
        time the commit, rolled back)."""
        batch = prepared()
        conn = engine.connect().execution_options(**WRITE)
        try:
            started = time.perf_counter()
            for start in range(0, n, args.batch):
                transaction = conn.begin()
                service.store_ballots(conn, batch[start : start + args.batch])
                transaction.commit() if commit else transaction.rollback()
            return float((time.perf_counter() - started) / n * 1e6)
        finally:
            conn.close()

    stored()  # warm: the first batches create the rollup rows every later one updates
    parts = [
        ("  counting into the rollups (the unit and its ancestors)", rollups, "add"),
        ("  what the detectors keep of it (signals)", service, "record_signals"),
        ("  cases for the dissatisfied (one in five)", service, "open_for_ballots"),
        ("  a place in the public log's queue", sequencer, "wait"),
    ]
    # Rounds taking turns, each variant's median: the database grows as they run.
    durable = "  the commit"
    times: dict[str, list[float]] = {label: [] for label in ("", durable, *(p[0] for p in parts))}
    for _ in range(args.rounds):
        times[""].append(stored())
        times[durable].append(stored(commit=False))
        for label, holder, name in parts:
            with left_out(holder, name):
                times[label].append(stored())
    whole = statistics.median(times[""])
    shares = [
        (label, whole - statistics.median(values)) for label, values in times.items() if label
    ]
    results.append((f"storing, in batches of {args.batch}, committed", whole))
    results += shares
    beside = beside_busy_thread(lambda: statistics.median(stored() for _ in range(args.rounds)))
    # Not a part: storing again, as in the server, where each answer from the database waits
    # for the interpreter lock that the event loop holds (up to its 5 ms switch interval).
    results.append(("  the same, beside a thread that keeps the interpreter busy", beside))

    def answer() -> None:
        for _ in range(n):
            response = RedirectResponse("/s/BENCH.H56/r/ABCDE23456", status_code=303)
            response.set_cookie("hl_visit", uuid.uuid4().hex, max_age=900, path="/s/BENCH.H56",
                                httponly=True, samesite="lax")  # fmt: skip

    results.append(("the answer: redirect and cookie", per_ballot(n, answer)))
    backend = url.split(":", 1)[0].split("+")[0]
    print(f"\n{backend}; {n:,} ballots, one in five dissatisfied; µs a ballot:")
    for label, value in results:
        print(f"  {label:58} {value:8.1f}")
    total = sum(value for label, value in results if not label.startswith("  "))
    print(f"  {'sum of the parts (storing once)':58} {total:8.1f}")


if __name__ == "__main__":
    main()
