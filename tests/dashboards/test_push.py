"""Compute once, push to all: a hundred screens watching one office cost one rendering of its
figures per round of ballots, and each gets the same fragment, at most once a second."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from app.dashboards import push
from app.dashboards.ballot_watch import Arrivals, BallotWatch
from app.dashboards.push import Fragments, Watched, sse, stream
from tests.dashboards.test_many_screens import _in_thread

SCREENS = 100


class _Watch(BallotWatch):
    """A watcher whose poll finds nothing: the test tells the screens of ballots itself."""

    def _poll(self) -> Arrivals:
        return Arrivals()


def _render_counter() -> tuple[list[int], Any]:
    calls: list[int] = []
    lock = threading.Lock()

    def render() -> str:
        with lock:
            calls.append(1)
        time.sleep(0.05)  # a real rendering takes a while: screens asking meanwhile must wait
        return f"<p>Phiếu đã nhận: {len(calls)}</p>\n<p>dòng hai</p>"

    return calls, render


async def _screens(rounds: int) -> tuple[list[list[bytes]], int, int]:
    watch = _Watch(engine=None, interval=3600)  # type: ignore[arg-type]
    fragments = Fragments()
    calls, render = _render_counter()
    watched = Watched(offices=frozenset({7, 8}), key=("office", 7), render=render)
    seen: list[list[bytes]] = [[] for _ in range(SCREENS)]

    async def screen(i: int) -> None:
        async for event in stream(watch, fragments, watched, seconds=rounds * 1.2 + 1):
            if event.startswith(b"event: figures"):
                seen[i].append(event)

    tasks = [asyncio.create_task(screen(i)) for i in range(SCREENS)]
    await asyncio.sleep(0.2)
    for _ in range(rounds):
        # Several polls' worth of ballots, for the office and for one outside the sub-tree.
        for offices in ({8}, {99}, {7}):
            fragments.invalidate(offices)
            watch.tell(Arrivals(frozenset(offices)))
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.1)
    await asyncio.gather(*tasks)
    return seen, len(calls), fragments.rendered


def test_a_hundred_screens_cost_one_rendering_per_round() -> None:
    seen, calls, rendered = _in_thread(_screens(rounds=3))
    assert calls == rendered
    # One screen or a hundred: at most one rendering per round of ballots.
    assert 3 <= rendered <= 3 * 2
    for events in seen:
        assert 3 <= len(events) <= 3 * 2  # folded: several ballots, one push a second at most
    # Every screen got one of the few renderings, and all ended on the same, newest one.
    assert len({event for events in seen for event in events}) == rendered
    assert len({events[-1] for events in seen}) == 1


def test_a_fragment_is_one_event_however_many_lines() -> None:
    event = sse("figures", "<p>a</p>\n<p>b</p>")
    assert event == b"event: figures\ndata: <p>a</p>\ndata: <p>b</p>\n\n"


def test_a_fragment_rendered_while_a_ballot_came_in_is_not_kept() -> None:
    fragments = Fragments(seconds=60)
    renders: list[int] = []

    def render() -> str:
        renders.append(1)
        if len(renders) == 1:
            fragments.invalidate({7})  # as the watcher does when a ballot lands meanwhile
        return f"<p>{len(renders)}</p>"

    async def ask() -> list[bytes]:
        return [await fragments.event("k", {7}, render) for _ in range(3)]

    first, second, third = _in_thread(ask())
    assert b"<p>1</p>" in first
    assert second == third  # the second rendering is kept
    assert b"<p>2</p>" in second


def test_a_quiet_stream_keeps_proxies_patient_and_ends_on_time(monkeypatch: Any) -> None:
    monkeypatch.setattr(push, "KEEPALIVE_SECONDS", 0.2)

    async def quiet() -> tuple[list[bytes], float, int]:
        watch = _Watch(engine=None, interval=3600)  # type: ignore[arg-type]
        watched = Watched(offices=frozenset({7}), key=("office", 7), render=lambda: "<p></p>")
        loop = asyncio.get_running_loop()
        started = loop.time()
        # Keep-alives at 0.2, 0.4 and 0.6 s, each counted from the one before: 0.2 s of slack
        # for a busy machine's delays before the third would miss the end, and no room for a
        # fourth, due at 0.8 s at the earliest.
        events = [e async for e in stream(watch, Fragments(), watched, seconds=0.8)]
        return events, loop.time() - started, len(watch._listeners)

    events, took, listening = _in_thread(quiet())
    assert events == [push.RETRY, push.KEEPALIVE, push.KEEPALIVE, push.KEEPALIVE]
    assert 0.8 <= took < 1.6
    assert listening == 0  # the ended stream no longer hears of ballots


def test_news_for_other_offices_wakes_no_stream() -> None:
    async def unrelated() -> list[bytes]:
        watch = _Watch(engine=None, interval=3600)  # type: ignore[arg-type]
        watched = Watched(offices=frozenset({7}), key=("office", 7), render=lambda: "<p>7</p>")
        events: list[bytes] = []

        async def screen() -> None:
            async for event in stream(watch, Fragments(), watched, seconds=1.5):
                events.append(event)

        task = asyncio.create_task(screen())
        await asyncio.sleep(0.05)
        watch.tell(Arrivals(frozenset({8})))
        await asyncio.sleep(0.6)
        assert events == [push.RETRY]
        watch.tell(Arrivals(frozenset({7})))
        await task
        return events

    events = _in_thread(unrelated())
    assert events[1:] == [sse("figures", "<p>7</p>")]
