"""Rate-limit pacing: a limited caller waits for the reset instead of collecting 429s.

The adversary is the emulator's limiter (a fixed window per client IP and route, counted before
the check, server-behavior §6), with short windows so that a test sees many of them.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator, RateWindow

PASSWORD = "A-long-Passw0rd!"


@asynccontextmanager
async def limited(calls: int, seconds: float, *, users: int = 0, **session: object
                  ) -> AsyncIterator[tuple[Emulator, rcu.Session]]:
    """An emulator whose limiter allows ``calls`` per ``seconds`` per route, and a Session of a
    plain user (no ``api-bypass-rate-limit``) who may create users, as a delegated admin or a
    provisioning bot without the bypass would."""
    async with Emulator(users=users, seed=3, rate_limit=(calls, seconds)) as server:
        server.set_permission("create-user", ["admin", "user"])
        ops = server.add_user(username="ops.bot", password=PASSWORD, roles=["user"])
        token = server.login_token(ops["_id"])
        async with rcu.Session(server.url, user_id=ops["_id"], auth_token=token,
                               **session) as rc:  # type: ignore[arg-type]
            yield server, rc


def windows(server: Emulator, route: str) -> list[RateWindow]:
    return [w for w in server.rate_limit_windows if w.route == route]


def person(i: int) -> dict[str, Any]:
    return {"email": f"p{i}@example.org", "name": f"Person {i}", "username": f"p{i}",
            "password": PASSWORD}


async def test_bulk_create_of_2000_fills_each_window_and_meets_no_429() -> None:
    calls, seconds, n = 200, 0.5, 2000
    async with limited(calls, seconds) as (server, rc):
        started = time.perf_counter()
        report = await rcu.bulk(rc.users.create, [person(i) for i in range(n)], concurrency=8)
        elapsed = time.perf_counter() - started
        limits = rc.rate_limits
    assert report.ok and len(report.succeeded) == n
    used = windows(server, "POST users.create")
    assert sum(w.calls for w in used) == n  # nothing sent twice, nothing refused and resent
    assert [w.refused for w in used] == [0] * len(used)
    # The theoretical minimum is ceil(n / calls) windows; a window the walk could not fill
    # (the machine too slow for 200 creates in 0.5 s) would show here as one more.
    assert len(used) <= math.ceil(n / calls) + 1
    assert limits["POST users.create"].limit == calls
    minimum = (math.ceil(n / calls) - 1) * seconds
    print(f"\n2,000 paced creates: {elapsed:.2f} s, theoretical minimum {minimum:.2f} s, "
          f"{len(used)} windows")


async def test_concurrent_calls_beyond_the_limit_wait_for_the_reset_in_order() -> None:
    async with limited(5, 0.6) as (server, rc):
        await rcu.bulk(rc.users.create, [person(i) for i in range(5)], concurrency=1)
        assert rc.rate_limits["POST users.create"].remaining == 0
        # The window is spent: the next 12 calls queue, 5 per window, first come first served.
        tasks = []
        for i in range(5, 17):
            tasks.append(asyncio.create_task(rc.users.create(**person(i))))
            await asyncio.sleep(0)  # each task reaches the queue before the next starts
        created = await asyncio.gather(*tasks)
    assert [u.username for u in created] == [f"p{i}" for i in range(5, 17)]
    received = [record.body for record in server.post_log if record.route == "users.create"]
    order = [int(body.split(b'"username":"p')[1].split(b'"')[0]) for body in received]
    assert order == list(range(17))  # in order, each once
    used = windows(server, "POST users.create")
    assert [w.refused for w in used] == [0] * len(used)
    assert [w.calls for w in used] == [5, 5, 5, 2]


async def test_a_reset_beyond_the_timeout_fails_at_once_unsent() -> None:
    async with limited(2, 30) as (server, rc):
        for i in range(2):
            await rc.users.create(**person(i))
        sent = len(server.post_log)
        with pytest.raises(rcu.RateLimitError) as caught:  # not a timeout 5 s later
            await rc.users.create(**person(9), timeout=5)
    assert len(server.post_log) == sent  # not sent
    assert caught.value.limit == 2 and caught.value.remaining == 0
    assert caught.value.retry_after is not None and 25 < caught.value.retry_after <= 30
    assert "not sent" in str(caught.value)
    assert server.get_user("p9") is None


async def test_a_wait_that_times_out_or_is_cancelled_leaves_the_queue() -> None:
    async with limited(2, 1.0) as (server, rc):
        for i in range(2):
            await rc.users.create(**person(i))
        # Three calls queue for the next window; it has room for two, and the third's budget
        # ends before the window after: it times out, unsent.
        outcomes = await asyncio.gather(
            *(rc.users.create(**person(i), timeout=1.5) for i in range(2, 5)),
            return_exceptions=True)
        cancelled = asyncio.create_task(rc.users.create(**person(5)))
        await asyncio.sleep(0.05)
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        # The slots they held are back: the next window takes exactly two, then one more.
        later = await asyncio.gather(*(rc.users.create(**person(i)) for i in range(6, 9)))
    assert [getattr(o, "username", None) for o in outcomes[:2]] == ["p2", "p3"]
    assert isinstance(outcomes[2], rcu.RequestTimeoutError) and outcomes[2].sent is False
    assert [u.username for u in later] == ["p6", "p7", "p8"]
    assert server.get_user("p4") is None and server.get_user("p5") is None
    used = windows(server, "POST users.create")
    assert [w.refused for w in used] == [0] * len(used)
    assert [w.calls for w in used] == [2, 2, 2, 1]


async def test_callers_that_bypass_the_limiter_are_never_paced(
        caplog: pytest.LogCaptureFixture) -> None:
    async with Emulator(users=5, rate_limit=(3, 60)) as server, rcu.Session(
            server.url, user_id=server.admin.user_id, auth_token=server.admin.auth_token) as rc:
        with caplog.at_level(logging.INFO, logger="rocketchat_users"):
            for _ in range(20):  # a 4th call of a paced route would wait 60 s: timeout=5 fails
                await rc.users.info(username="admin", timeout=5)  # admins hold the bypass
        assert dict(rc.rate_limits) == {}
    assert server.rate_limit_windows == []
    assert not [r for r in caplog.records if "rate limit" in r.getMessage()]


async def test_a_route_stops_being_paced_when_its_answers_lose_the_headers() -> None:
    async with limited(4, 60) as (server, rc):
        for _ in range(2):
            await rc.users.info(username="ops.bot")
        assert rc.rate_limits["GET users.info"].remaining == 2
        # An admin grants the bypass: answers come without X-RateLimit-*, and nothing waits.
        server.set_permission("api-bypass-rate-limit", ["admin", "bot", "app", "user"])
        for _ in range(10):  # paced, the 3rd would raise RateLimitError (reset in 60 s)
            await rc.users.info(username="ops.bot", timeout=5)
        assert "GET users.info" not in rc.rate_limits


async def test_rate_limits_is_a_read_only_snapshot() -> None:
    async with limited(4, 60) as (_, rc):
        assert dict(rc.rate_limits) == {}
        await rc.users.info(username="ops.bot")
        limits = rc.rate_limits
        with pytest.raises(TypeError):
            limits["GET users.info"] = limits["GET users.info"]  # type: ignore[index]
        info = limits["GET users.info"]
        assert (info.limit, info.remaining, info.waiting) == (4, 3, 0)
        assert 55 < (info.reset_at.timestamp() - time.time()) <= 60
        await rc.users.info(username="ops.bot")
        assert limits["GET users.info"].remaining == 3  # the snapshot did not move
        assert rc.rate_limits["GET users.info"].remaining == 2


async def test_waits_are_logged_once_per_window_not_per_call(
        caplog: pytest.LogCaptureFixture) -> None:
    async with limited(3, 0.4) as (_, rc):
        with caplog.at_level(logging.INFO, logger="rocketchat_users"):
            await asyncio.gather(*(rc.users.info(username="ops.bot") for _ in range(3)))
            await asyncio.gather(*(rc.users.info(username="ops.bot") for _ in range(9)))
    waits = [r for r in caplog.records if "rate limit of GET users.info" in r.getMessage()]
    assert 1 <= len(waits) <= 3  # the 9 calls spread over 3 windows: one line per wait
    assert all(r.levelno == logging.INFO for r in waits)


async def test_walks_and_sync_work_through_pacing() -> None:
    async with limited(10, 0.3, users=150) as (server, rc):
        seen = [u.id async for u in rc.users.iter_list(page_size=10, concurrency=4)]
        desired = [{"username": f"new{i}", "email": f"new{i}@example.org", "name": f"New {i}"}
                   for i in range(25)]
        server.set_permission("view-full-other-user-info", ["admin", "user"])
        server.set_permission("edit-other-user-info", ["admin", "user"])
        plan = await rcu.sync.plan(rc, desired)
        report = await rcu.sync.apply(rc, plan, concurrency=8)
    assert len(seen) == len(set(seen)) == 153  # seeded + admin + rocket.cat + ops.bot
    assert report.ok and len(plan.creates) == 25
    for route in ("GET users.list", "POST users.create"):
        used = windows(server, route)
        assert used and [w.refused for w in used[1:]] == [0] * (len(used) - 1), route


async def test_refusals_checked_before_the_limiter_do_not_stop_pacing() -> None:
    # A 400 for a bad argument (schema) or a 401 comes before the limiter: no headers. It must
    # not release the queue into a spent window.
    async with limited(3, 0.6) as (server, rc):
        for i in range(3):
            await rc.users.create(**person(i))
        calls = [rc.users.create(**person(i)) for i in range(3, 5)]
        calls.insert(1, rc.users.create(email="bad", name="Bad", username="", password="x"))
        calls += [rc.users.create(**person(i)) for i in range(5, 9)]
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(outcomes[1], rcu.BadRequestError)
    assert all(isinstance(o, rcu.User) for i, o in enumerate(outcomes) if i != 1)
    used = windows(server, "POST users.create")
    assert [w.refused for w in used] == [0] * len(used)


async def test_another_client_spending_the_window_costs_only_the_calls_already_sent() -> None:
    # The limiter counts per IP: a second Session of the same host spends the same window.
    async with limited(6, 0.8) as (server, rc):
        await rc.users.info(username="ops.bot")  # this Session saw 5 left
        ops = server.get_user("ops.bot")
        assert ops is not None
        async with rcu.Session(server.url, user_id=ops["_id"],
                               auth_token=server.login_token(ops["_id"])) as other:
            for _ in range(5):
                await other.users.info(username="ops.bot")
        # 5 go at once on what this Session knew; their 429s tell the window is spent, and
        # the other 3 (and the 5, again) wait for the reset instead of going in too.
        got = await asyncio.gather(*(rc.users.info(username="ops.bot") for _ in range(8)))
    assert len(got) == 8
    used = windows(server, "GET users.info")
    assert sum(w.refused for w in used) <= 5


async def test_a_client_clock_ahead_of_the_server_still_paces(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # This machine's clock 150 ms ahead: by it, each window ends 150 ms before it does.
    real = time.time
    ahead = type("Clock", (), {"time": staticmethod(lambda: real() + 0.15)})
    monkeypatch.setattr("rocketchat_users._pacing.time", ahead)
    monkeypatch.setattr("rocketchat_users._protocol.time", ahead)
    async with limited(5, 0.5) as (server, rc):
        report = await rcu.bulk(rc.users.create, [person(i) for i in range(40)], concurrency=8)
    assert report.ok
    used = windows(server, "POST users.create")
    # The first window meets 429s (8 calls at once before any answer, then the calls sent
    # when this clock said it was over); the next one, one (its probe); after that, none.
    shown = [(w.calls, w.refused) for w in used]
    assert used[1].refused <= 1 and sum(w.refused for w in used[2:]) == 0, shown
