"""Garbage collection with thousands of open live streams: pauses of the event loop under
Python's default collector thresholds (the baseline) and under the app's (app/core/memory.py).

    python bench/streams_gc.py [--streams 2000] [--rounds 300]

Both runs in fresh processes, after the app's modules are imported and frozen as a worker does:
``--streams`` real stream generators (app/dashboards/push.py) each holding a little state, as a
request does, with a round of ballots pushed to all of them every 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _measure(streams: int, rounds: int, tuned: bool) -> dict[str, Any]:
    import app.main  # noqa: F401 - the heap a worker has
    from app.core.memory import THRESHOLDS
    from app.dashboards.ballot_watch import Arrivals, BallotWatch
    from app.dashboards.push import Fragments, Watched, stream

    class Quiet(BallotWatch):
        def _poll(self) -> Arrivals:
            return Arrivals()

    pauses: list[tuple[int, float]] = []
    started = [0.0]

    def timing(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append((info["generation"], time.perf_counter() - started[0]))

    async def run() -> None:
        watch = Quiet(engine=None, interval=3600)  # type: ignore[arg-type]
        fragments = Fragments()
        html = "<section>" + "<p>Phiếu đã nhận</p>\n" * 60 + "</section>"
        watched = Watched(frozenset({1}), ("office", 1), lambda: html)

        async def screen() -> None:
            held = [{"header": i} for i in range(50)]  # a request's, a response's objects
            async for _ in stream(watch, fragments, watched, seconds=rounds * 0.06 + 5):
                pass
            del held

        tasks = [asyncio.create_task(screen()) for _ in range(streams)]
        await asyncio.sleep(0.5)
        for _ in range(rounds):
            fragments.invalidate({1})
            watch.tell(Arrivals(frozenset({1})))
            await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    gc.collect()
    gc.freeze()
    if tuned:
        gc.set_threshold(*THRESHOLDS)
    gc.callbacks.append(timing)
    asyncio.run(run())
    full = [p for generation, p in pauses if generation == 2]
    return {
        "collections": len(pauses),
        "full": len(full),
        "longest_ms": max((p for _, p in pauses), default=0) * 1000,
        "paused_ms": sum(p for _, p in pauses) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--one", choices=("default", "tuned"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_measure(args.streams, args.rounds, args.one == "tuned")))
        return
    found = {}
    for name in ("default", "tuned"):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                name,
                "--streams",
                str(args.streams),
                "--rounds",
                str(args.rounds),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        found[name] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{args.streams:,} streams, {args.rounds} rounds of pushes 50 ms apart:")
    print(f"  {'thresholds':12} {'collections':>11} {'full':>5} {'longest':>9} {'paused':>9}")
    for name, row in found.items():
        print(
            f"  {name:12} {row['collections']:>11} {row['full']:>5} "
            f"{row['longest_ms']:>7.0f}ms {row['paused_ms']:>7.0f}ms"
        )
    base, tuned = found["default"], found["tuned"]
    print(
        f"  longest pause: {tuned['longest_ms'] / max(base['longest_ms'], 1e-9):.2f}x the "
        f"default's; time paused: {tuned['paused_ms'] / max(base['paused_ms'], 1e-9):.2f}x"
    )


if __name__ == "__main__":
    main()
