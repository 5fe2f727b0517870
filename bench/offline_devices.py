"""What working offline costs the server, each against its baseline in the same run.

    python bench/offline_devices.py [--seconds 6] [--rounds 3] [--queue 2000] [--database-url URL]

``codes``: counter ratings posted through a screen's own code (``/r/{token}``, kind 4: the
screen looked up, cached, its RFC 6238 code recomputed, its clock offset applied) against the
same ratings through a code the server drew (kind 3: one HMAC with the deployment's key), in
alternating rounds, 64 connections. Target: at least 0.95. Also the check alone, in this
process: ``links.verify`` of each kind of code, in microseconds.

``queue``: a kiosk's queue drained as ``static/js/kiosk.js`` drains it (one connection, one
rating after another, each signed, with its cast time, under its own key) against the same
kiosk posting as many ordinary ballots the same way. Prints both rates, their ratio, and how
long a day's queue of a busy kiosk (300 ratings) takes to arrive (target: seconds, not
minutes). At the end the database is recounted: every acknowledged ballot is stored once.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.config import Settings  # noqa: E402
from app.sources import device_keys, links, tokens  # noqa: E402
from app.sources.links import Keys  # noqa: E402
from app.sources.service import ScreenClock  # noqa: E402
from bench import loadgen  # noqa: E402
from bench.serving import UNLIMITED, app_env, cli, free_port, reset_schema, start  # noqa: E402
from bench.submit import QUESTIONS, device_cookie, stored_ballots  # noqa: E402

OFFICE = "BENCH.OFF"
SECRET = "bench-secret-" + "x" * 40
FORM = "application/x-www-form-urlencoded"


def _device(env: dict[str, str], kind: str, *extra: str) -> tuple[str, int, bytes]:
    out = cli(env, "device", "add", f"Bench {kind}", "--office", OFFICE, "--kind", kind, *extra)
    token = out.strip().splitlines()[-1]
    found = re.search(r"#k=([A-Za-z0-9_-]{43})", out)
    assert found is not None, out
    secret = _b64(found.group(1))
    listed = cli(env, "device", "list")
    ident = int(next(line for line in listed.splitlines() if token[:10] in line).split("\t")[0])
    return token, ident, secret


def _b64(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _answers() -> dict[str, int]:
    return {key: 5 if i % 2 else 4 for i, key in enumerate(QUESTIONS)}


def _form() -> bytes:
    fields = {f"q.{k}": str(v) for k, v in _answers().items()}
    fields.update(idem=uuid.uuid4().hex, survey="cong-chuc")
    return urlencode(fields).encode()


def _api(kiosk: str, body: dict[str, object], key: str) -> bytes:
    raw = json.dumps(body).encode()
    return (
        f"POST /api/v1/offices/{OFFICE}/responses HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nAuthorization: Bearer {kiosk}\r\n"
        f"Idempotency-Key: {key}\r\nContent-Length: {len(raw)}\r\n\r\n"
    ).encode() + raw


def _check_alone(keys: Keys, screen_id: int) -> None:
    import timeit

    clock = ScreenClock(screen_id, OFFICE, 1, "salt-of-the-benchmark", 1500)
    window = links.counter_window(keys)
    drawn = links.mint_counter(keys, OFFICE, 1, screen_id, window)
    own = links.mint_screen(keys, clock, window)
    n = 20_000
    server = timeit.timeit(lambda: links.verify(drawn, keys, lambda _: None), number=n) / n
    screen = (
        timeit.timeit(lambda: links.verify(own, keys, lambda _: None, screen=clock), number=n) / n
    )
    print(
        f"checking a code: drawn by the server {server * 1e6:.1f} µs, by the screen "
        f"{screen * 1e6:.1f} µs"
    )


def _report(what: str, rates: list[float]) -> float:
    median = statistics.median(rates)
    print(f"{what:<44} {median:8.0f} req/s  (rounds: {', '.join(f'{r:.0f}' for r in rates)})")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queue", type=int, default=2000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="hailong-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    env = app_env(url, **UNLIMITED, HAILONG_SECRET_KEY=SECRET)
    reset_schema(url)
    cli(env, "migrate")
    cli(env, "office", "add", OFFICE, "Bộ phận một cửa (benchmark)", "--counters", "1")
    _, screen_id, screen_secret = _device(env, "counter-screen", "--counter", "1")
    kiosk_token, _, kiosk_secret = _device(env, "kiosk")
    keys = Keys.from_secret(Settings(secret_key=SECRET).secret_key)
    port = free_port()
    server = start(["--factory", "app.main:create_app", "--workers", "1"], port, env)
    acknowledged = 0
    try:

        def drawn_by(server_side: bool) -> Callable[[], bytes]:
            window = links.counter_window(keys)
            if server_side:
                token = links.mint_counter(keys, OFFICE, 1, screen_id, window)
            else:
                claims = tokens.CounterClaims(OFFICE, 1, screen_id, window, kind=tokens.SCREEN)
                code = device_keys.window_code(screen_secret, window)
                token = tokens.with_code(tokens.counter_payload(claims), code)
            path = f"/r/{token}"
            return lambda: loadgen.post_request("127.0.0.1", path, _form(), FORM, device_cookie())

        rates: dict[str, list[float]] = {"server": [], "screen": []}
        for round_ in range(args.rounds):
            for name in ("server", "screen") if round_ % 2 == 0 else ("screen", "server"):
                got = loadgen.run(
                    "127.0.0.1", port, drawn_by(name == "server"),
                    seconds=args.seconds, concurrency=64,
                )  # fmt: skip
                assert set(got.statuses) == {303}, got.statuses
                acknowledged += got.requests
                rates[name].append(got.rate)
        _check_alone(keys, screen_id)
        server_rate = _report("counter ratings, code drawn by the server", rates["server"])
        screen_rate = _report("counter ratings, code drawn by the screen", rates["screen"])
        print(f"  ratio screen / server: {screen_rate / server_rate:.2f} (target >= 0.95)")

        def ordinary() -> bytes:
            body: dict[str, object] = {"answers": _answers(), "survey": "cong-chuc"}
            return _api(kiosk_token, body, uuid.uuid4().hex)

        cast_start = int(time.time() * 1000) - 3 * 3_600_000

        def queued_entry(n: int) -> bytes:
            idem, cast = uuid.uuid4().hex, cast_start + n * 1000
            answers = _answers()
            message = device_keys.entry_message(idem, cast, "cong-chuc", 1, answers, None)
            body = {
                "answers": answers, "survey": "cong-chuc", "survey_version": 1,
                "cast_at_ms": cast, "signature": device_keys.sign_entry(kiosk_secret, message),
            }  # fmt: skip
            return _api(kiosk_token, body, idem)

        drained: dict[str, list[float]] = {"ordinary": [], "queued": []}
        numbers = iter(range(10**9))  # each queued rating cast a second after the one before

        def queued() -> bytes:
            return queued_entry(next(numbers))

        for round_ in range(args.rounds):
            # Taking turns, and which goes first too: the table grows as the rounds go.
            turns = [("ordinary", ordinary), ("queued", queued)]
            for name, make in turns if round_ % 2 == 0 else turns[::-1]:
                got = loadgen.run(
                    "127.0.0.1", port, make, seconds=600, concurrency=1, limit=args.queue
                )
                assert set(got.statuses) == {201}, got.statuses
                acknowledged += got.requests
                drained[name].append(got.rate)
        ordinary_rate = _report("kiosk, ordinary ballots one after another", drained["ordinary"])
        queued_rate = _report("kiosk, its offline queue drained", drained["queued"])
        print(f"  ratio queued / ordinary: {queued_rate / ordinary_rate:.2f}")
        print(f"  a day's queue of 300 ratings arrives in {300 / queued_rate:.1f} s")
    finally:
        server.terminate()
        server.wait()
    stored = stored_ballots(url)
    print(f"acknowledged {acknowledged}, stored {stored}")
    assert stored == acknowledged


if __name__ == "__main__":
    main()
