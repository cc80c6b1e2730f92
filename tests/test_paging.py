"""The ordered concurrent page walker (DESIGN.md §1 "Bulk and streaming helpers").

Walks run against the emulator over loopback sockets; fault sequences a server cannot be made to
produce on purpose (a ``total`` that lies, a short page mid-walk) use a hand-written ``fetch``.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import rocketchat_users as rcu
from rocketchat_users.paging import BY_ID, UserWalk
from rocketchat_users.testing import Emulator
from tests.conftest import PASSWORD, add_user, logged_in

CAP = 40
TOTAL = 250 + 2  # the seeded users, the admin and rocket.cat

Fetch = Callable[[int, int], Awaitable[rcu.UsersPage]]


@pytest.fixture
def rocketchat_emulator_options() -> dict[str, Any]:
    return {"users": 250, "seed": 1, "settings": {"API_Upper_Count_Limit": CAP}}


async def ids_by_id(rc: rcu.Session) -> list[str]:
    return [u.id for u in (await rc.users.list(count=0, sort=BY_ID)).users]


def list_calls(server: Emulator) -> int:
    return sum(path.endswith("/users.list") for _, path in server.request_log)


class Probe:
    """Wraps a fetch: records the requests, the most in flight at once, and cancellations."""

    def __init__(self, fetch: Fetch) -> None:
        self.fetch = fetch
        self.requests: list[tuple[int, int]] = []
        self.cancelled: list[int] = []
        self.in_flight = self.most = self.served = 0

    async def __call__(self, offset: int, count: int) -> rcu.UsersPage:
        self.requests.append((offset, count))
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            page = await self.fetch(offset, count)
        except asyncio.CancelledError:
            self.cancelled.append(offset)
            raise
        finally:
            self.in_flight -= 1
        self.served += len(page.users)
        return page


def fake_server(ids: list[str], *, cap: int = 1000, total: int | None = None,
                short: dict[int, int] | None = None, delay: float = 0.0) -> Fetch:
    """A users.list over ``ids``: ``total`` may lie, ``short[offset]`` truncates that page."""

    async def fetch(offset: int, count: int) -> rcu.UsersPage:
        await asyncio.sleep(delay)
        users = [rcu.User(id=i) for i in ids[offset:offset + min(count, cap)]]
        users = users[:(short or {}).get(offset, len(users))]
        return rcu.UsersPage(users=users, count=len(users), offset=offset,
                             total=len(ids) if total is None else total)

    return fetch


PAGE_COROUTINES = ("iter_list.<locals>.page", "Probe.__call__", "fake_server.<locals>.fetch")


async def page_tasks_settle(seconds: float = 1.0) -> set[asyncio.Task[Any]]:
    """The walk's page requests still pending after the event loop had a few chances to run."""
    for _ in range(round(seconds / 0.01)):
        pending = {t for t in asyncio.all_tasks() if not t.done()
                   and getattr(t.get_coro(), "__qualname__", "").endswith(PAGE_COROUTINES)}
        if not pending:
            break
        await asyncio.sleep(0.01)
    return pending


# ---- every user, once, in order --------------------------------------------------------------


@pytest.mark.parametrize(("page_size", "concurrency"), [(30, 3), (100, 1), (100, 4), (1000, 8)])
async def test_every_user_once_in_id_order(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, page_size: int,
    concurrency: int,
) -> None:
    rc = rocketchat_session
    expected = await ids_by_id(rc)
    assert len(expected) == TOTAL
    before = list_calls(rocketchat_emulator)
    walk = rc.users.iter_list(page_size=page_size, concurrency=concurrency)
    assert walk.total is None
    users = [user async for user in walk]
    assert [u.id for u in users] == expected and walk.total == TOTAL
    assert all(isinstance(u, rcu.User) and u.username for u in users)
    # A page_size above the server's cap (40 here) loses nothing and wastes no request: the
    # first page teaches the real page size.
    assert list_calls(rocketchat_emulator) - before == math.ceil(TOTAL / min(page_size, CAP))


async def test_list_by_status_with_filters(rocketchat_session: rcu.Session) -> None:
    rc = rocketchat_session
    filters: dict[str, Any] = {"status": "active", "roles": ["user"], "type": "user"}
    expected = await rc.users.list_by_status(**filters, count=0, sort=BY_ID)
    assert 0 < expected.total < TOTAL
    walk = rc.users.iter_list_by_status(**filters, page_size=25, concurrency=2)
    got = [u async for u in walk]
    assert [u.id for u in got] == [u.id for u in expected.users]
    assert all(u.active and "user" in (u.roles or ()) for u in got)
    assert walk.total == expected.total


async def test_callers_sort_and_query(rocketchat_session: rcu.Session) -> None:
    rc = rocketchat_session
    sort = {"username": -1}
    expected = await rc.users.list(count=0, sort=sort)
    got = [u.username async for u in rc.users.iter_list(sort=sort, page_size=33)]
    assert got == [u.username for u in expected.users] and len(set(got)) == TOTAL
    query = {"username": {"$regex": "^a"}}
    subset = await rc.users.list(count=0, query=query, sort=BY_ID)
    assert 0 < subset.total < TOTAL
    walked = [u.id async for u in rc.users.iter_list(query=query, page_size=5, concurrency=3)]
    assert walked == [u.id for u in subset.users]


# ---- a server that changes under the walk -------------------------------------------------------


@pytest.mark.parametrize("sort", [None, {"username": 1}])
async def test_users_created_mid_walk_bring_no_duplicates(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, sort: dict[str, int] | None
) -> None:
    rc = rocketchat_session
    before = set(await ids_by_id(rc))
    admin = rocketchat_emulator.admin
    # The same fetch as rc.users.iter_list's, counting what the server really sent.
    probe = Probe(lambda offset, count: rc.users.list(sort=sort or BY_ID, offset=offset,
                                                      count=count))
    got: list[str] = []
    created: list[str] = []
    async with rcu.Session(rocketchat_emulator.url, user_id=admin.user_id,
                           auth_token=admin.auth_token) as other:
        async for user in UserWalk(probe, page_size=20, concurrency=2, by_id=sort is None):
            got.append(user.id)
            if len(got) % 20 == 10:
                # Random ids land anywhere, `0…` usernames first: some users go behind the walk
                # and shift the users it has yet to read.
                for k in range(3):
                    name = f"0mid{len(got)}x{k}"
                    created.append((await other.users.create(
                        email=f"{name}@example.com", name=name, password=PASSWORD, username=name
                    )).id)
    after = set(await ids_by_id(rc))
    assert len(created) >= 39 and after == before | set(created)
    assert len(got) == len(set(got)) and (sort is not None or got == sorted(got))
    assert before <= set(got) <= after  # everyone present from start to end, nothing invented
    # The server did send some users twice (shifted across a page boundary): the walk dropped them.
    assert probe.served > len(got)


async def test_total_growth_extends_the_walk(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    walk = rocketchat_session.users.iter_list(page_size=50, concurrency=1)
    got = [(await walk.__anext__()).id]
    assert walk.total == TOTAL
    # `~` sorts after every character of a random id: these users land at the end.
    late = [add_user(rocketchat_emulator, f"late{i}", _id=f"~late{i:02d}")["_id"]
            for i in range(30)]
    got += [u.id async for u in walk]
    assert walk.total == TOTAL + 30 and got[-30:] == late
    assert got == await ids_by_id(rocketchat_session)


async def test_short_page_mid_walk_is_fetched_again_from_where_it_ended() -> None:
    ids = [f"u{i:03d}" for i in range(100)]
    probe = Probe(fake_server(ids, cap=10, short={24: 4}))
    walk = UserWalk(probe, page_size=25, concurrency=3)
    assert [u.id async for u in walk] == ids
    # Every page asks page_size + the 2-user overlap; the first teaches the cap (10), so pages
    # step by 8. 24 came back with 4 users (24..27): the page at 32 does not reach back, and
    # the gap is read again from 26 (27's overlap) before 32 is trusted.
    assert probe.requests[0] == (0, 27) and (26, 27) in probe.requests
    assert {count for _, count in probe.requests} == {27}
    assert walk.stats.pages_refetched == 1


async def test_a_total_that_lies_ends_at_the_first_empty_page() -> None:
    probe = Probe(fake_server([f"u{i:02d}" for i in range(45)], cap=10, total=10_000))
    walk = UserWalk(probe, page_size=10, concurrency=4)
    assert len([u async for u in walk]) == 45 and walk.total == 10_000
    # The pages up to the short one, those in flight when it came, and two reads back from
    # the first empty page (an empty page proves nothing: users may have been deleted before
    # it; a short page with nothing new, twice, is the end).
    assert len(probe.requests) <= 6 + 4 + 1 and await page_tasks_settle() == set()


# ---- bounds, early exit, errors ------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_a_stalled_consumer_holds_at_most_concurrency_pages(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, concurrency: int
) -> None:
    start = list_calls(rocketchat_emulator)
    probe = Probe(lambda offset, count: rocketchat_session.users.list(
        sort=BY_ID, offset=offset, count=count))
    walk = UserWalk(probe, page_size=20, concurrency=concurrency)
    await walk.__anext__()
    await asyncio.sleep(0.3)  # the consumer stalls: the walker must not read the whole server
    assert list_calls(rocketchat_emulator) - start == 1 + concurrency
    rest = [u async for u in walk]
    assert len(rest) == TOTAL - 1 and probe.most <= concurrency
    assert list_calls(rocketchat_emulator) - start == math.ceil(TOTAL / 20)


async def test_break_and_aclose_cancel_the_pages_in_flight() -> None:
    async with Emulator(users=100, seed=2, latency=0.2) as server, rcu.Session(
        server.url, user_id=server.admin.user_id, auth_token=server.admin.auth_token
    ) as rc:
        async for _ in rc.users.iter_list(page_size=10, concurrency=4):
            break  # four pages are in flight now
        # Gone well before the server's 0.2 s answer: cancelled, not left to finish.
        assert await page_tasks_settle(0.1) == set()
        probe = Probe(lambda offset, count: rc.users.list(offset=offset, count=count))
        async for _ in UserWalk(probe, page_size=10, concurrency=4):
            await asyncio.sleep(0.05)  # the four requests are on the wire, waiting for answers
            break
        assert await page_tasks_settle(0.1) == set() and sorted(probe.cancelled) == [10, 20, 30, 40]
        probe = Probe(lambda offset, count: rc.users.list(offset=offset, count=count))
        walk = UserWalk(probe, page_size=10, concurrency=4)
        await walk.__anext__()
        await asyncio.sleep(0.05)  # the four requests are on the wire, waiting for answers
        await walk.aclose()
        assert sorted(probe.cancelled) == [10, 20, 30, 40] and probe.in_flight == 0
        await walk.aclose()  # idempotent, and a closed walk yields nothing more
        assert [u async for u in walk] == []
        unstarted = rc.users.iter_list()
        await unstarted.aclose()
        assert [u async for u in unstarted] == [] and unstarted.total is None


async def test_a_permission_error_mid_walk_reaches_the_consumer(
    rocketchat_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    # A guest lacks view-outside-room: once the server applies it to users.list, it answers 403.
    add_user(rocketchat_emulator, "gus", roles=["guest"])
    got: list[str] = []
    async with logged_in(rocketchat_emulator, "gus") as guest:
        with pytest.raises(rcu.PermissionDeniedError) as caught:
            async for user in guest.users.iter_list(page_size=20, concurrency=3):
                got.append(user.id)
                rocketchat_emulator.settings[
                    "API_Apply_permission_view-outside-room_on_users-list"] = True
        assert caught.value.status == 403 and 20 <= len(got) < TOTAL
    assert await page_tasks_settle() == set()
    gc.collect()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_an_error_cancels_the_other_pages(caplog: pytest.LogCaptureFixture) -> None:
    slow = fake_server([f"u{i:03d}" for i in range(200)], cap=10, delay=2.0)

    async def fetch(offset: int, count: int) -> rcu.UsersPage:
        if offset == 0:
            return await fake_server([f"u{i:03d}" for i in range(200)])(offset, count)
        if offset in (10, 30):  # the head page and one behind it both fail
            await asyncio.sleep(0.05)
            raise rcu.ServerError(status=502, error="Bad Gateway", endpoint="GET users.list")
        return await slow(offset, count)

    probe = Probe(fetch)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(rcu.ServerError):
        async for _ in UserWalk(probe, page_size=10, concurrency=4):
            pass
    assert loop.time() - started < 1.0 and sorted(probe.cancelled) == [20, 40]
    assert probe.in_flight == 0
    gc.collect()
    await asyncio.sleep(0.01)
    assert "never retrieved" not in caplog.text


async def test_arguments_are_checked(rocketchat_session: rcu.Session) -> None:
    rc = rocketchat_session
    with pytest.raises(ValueError, match="page_size"):
        rc.users.iter_list(page_size=0)
    with pytest.raises(ValueError, match="concurrency"):
        rc.users.iter_list_by_status(concurrency=0)
    with pytest.raises(TypeError, match="page_size"):
        UserWalk(fake_server([]), page_size="10")  # type: ignore[arg-type]
    assert [u async for u in UserWalk(fake_server([]))] == []
