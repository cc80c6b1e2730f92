"""Exact walks under live changes (issue 6): every user present for the whole walk once.

A small scripted users.list runs on 127.0.0.1 and changes its list between requests exactly
as each test says (deletes behind the walk, creates and deletes at random positions, a page cap
lowered mid-walk, ``sort`` ignored); the walk goes through the real Session and sockets. Each
test compares the users yielded with the users present throughout. The last tests run the same
churn against the emulator's ``churn=`` knob.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import string
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

import rocketchat_users as rcu
from rocketchat_users.paging import OVERLAP, UserWalk
from rocketchat_users.testing import Emulator
from tests.test_paging import Probe, page_tasks_settle

Hook = Callable[["Scripted", int, int], None]


def make_ids(n: int, rng: random.Random) -> list[str]:
    return ["".join(rng.choices(string.ascii_letters + string.digits, k=12)) for _ in range(n)]


class Scripted:
    """users.list over ``ids``; ``hook(server, offset, count)`` runs before each answer.

    ``sorts=False``: a server (or caching proxy) that ignores ``sort`` and answers in insertion
    order. ``sorts_for``: honour ``sort`` for that many requests, then ignore it.
    """

    def __init__(self, ids: list[str], *, cap: int = 100, sorts: bool = True,
                 sorts_for: int | None = None, hook: Hook | None = None) -> None:
        self.ids = list(ids)  # insertion order
        self.initial = set(ids)
        self.deleted: set[str] = set()
        self.created: set[str] = set()
        self.cap, self.sorts, self.sorts_for, self.hook = cap, sorts, sorts_for, hook
        self.requests: list[tuple[int, int]] = []
        self.served = 0  # users sent, all pages together
        self.in_flight = self.most_in_flight = 0

    @property
    def throughout(self) -> set[str]:
        return self.initial - self.deleted

    def ordered(self, sort: dict[str, int] | None = None) -> list[str]:
        honoured = self.sorts and (self.sorts_for is None or len(self.requests) <= self.sorts_for)
        if not honoured:
            return list(self.ids)
        (key, direction), = (sort or {"_id": 1}).items()
        # Usernames are "user-" + id here: both keys give the same order.
        assert key in ("_id", "username")
        return sorted(self.ids, reverse=direction < 0)

    def delete(self, ids: list[str]) -> None:
        gone = set(ids)
        self.ids = [i for i in self.ids if i not in gone]
        self.deleted |= gone & self.initial

    def create(self, ids: list[str]) -> None:
        self.ids += ids
        self.created |= set(ids)

    async def users_list(self, request: web.Request) -> web.Response:
        offset = int(request.query.get("offset", 0))
        count = int(request.query.get("count", 50))
        self.requests.append((offset, count))
        if self.hook is not None:
            self.hook(self, offset, count)
        sort = json.loads(request.query["sort"]) if "sort" in request.query else None
        order = self.ordered(sort)
        chunk = order[offset:offset + min(count, self.cap)]
        self.served += len(chunk)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.001)  # let concurrent requests interleave
        finally:
            self.in_flight -= 1
        return web.json_response({
            "users": [{"_id": i, "username": f"user-{i}"} for i in chunk],
            "count": len(chunk), "offset": offset, "total": len(order), "success": True,
        })


@asynccontextmanager
async def serving(server: Scripted) -> AsyncIterator[rcu.Session]:
    app = web.Application()
    app.router.add_get("/api/v1/users.list", server.users_list)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with rcu.Session(f"http://127.0.0.1:{port}", user_id="walker",
                               auth_token="walker-token") as rc:
            yield rc
    finally:
        await runner.cleanup()


def delete_behind(requests: range, how_many: int) -> Hook:
    """On those requests (1-based), delete the users just before the requested offset."""

    def hook(server: Scripted, offset: int, count: int) -> None:
        if len(server.requests) in requests and offset >= how_many:
            order = server.ordered()
            server.delete(order[offset - how_many:offset])

    return hook


def assert_exact(got: list[str], server: Scripted, *, ordered: bool = True) -> None:
    assert len(got) == len(set(got)), "a user was yielded twice"
    assert server.throughout <= set(got), f"missed {len(server.throughout - set(got))} users"
    # Users deleted behind the walk were yielded before they went: that is right too.
    assert set(got) <= server.initial | server.created, "yielded a user who never existed"
    if ordered:
        assert got == sorted(got)


# ---- deletes behind the walk -------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_deletes_behind_the_walk_lose_nobody(concurrency: int) -> None:
    # The case: 600 users, 3 deleted behind the walk on each of four pages; the old
    # walk missed 12 users present throughout at concurrency 1 and 4 alike.
    server = Scripted(make_ids(600, random.Random(1)), cap=50,
                      hook=delete_behind(range(2, 6), 3))
    async with serving(server) as rc:
        walk = rc.users.iter_list(page_size=50, concurrency=concurrency)
        got = [u.id async for u in walk]
    assert len(server.deleted) == 12
    assert_exact(got, server)
    assert server.most_in_flight <= concurrency  # refetches included
    assert walk.stats.pages_refetched >= 1


@pytest.mark.parametrize(("seed", "sort"), [(1, None), (2, None), (3, None),
                                            (4, {"username": -1}), (5, {"username": 1})])
async def test_creates_and_deletes_at_random_positions(
    seed: int, sort: dict[str, int] | None
) -> None:
    rng = random.Random(seed)

    def churn(server: Scripted, offset: int, count: int) -> None:
        # More deletes than creates: the users after each deletion shift towards the walk.
        server.delete(rng.sample(server.ids, 5))
        server.create(make_ids(2, rng))

    server = Scripted(make_ids(1500, rng), cap=100, hook=churn)
    async with serving(server) as rc:
        walk = rc.users.iter_list(sort=sort, concurrency=4)
        got = [u.id async for u in walk]
    assert len(server.deleted) > 30 and server.created
    # A caller's sort: a page whose first user is a new one still counts as reaching back,
    # and the users present throughout come in the caller's order.
    assert_exact(got, server, ordered=sort is None)
    present = [i for i in got if i in server.throughout]
    assert present == sorted(present, reverse=sort is not None and sort["username"] < 0)
    assert server.most_in_flight <= 4
    stats = walk.stats
    # Read pages only: a page cancelled once the walk knew its end is not counted.
    assert stats.pages_fetched <= len(server.requests)
    assert stats.duplicates_skipped >= OVERLAP * (stats.pages_fetched - 1) // 2


async def test_a_page_cap_lowered_mid_walk() -> None:
    ids = make_ids(500, random.Random(4))

    def lower(server: Scripted, offset: int, count: int) -> None:
        if len(server.requests) == 3:
            server.cap = 7  # an admin lowers API_Upper_Count_Limit while the walk runs
        if len(server.requests) in (4, 9):
            server.delete(server.ordered()[offset - 2:offset])

    server = Scripted(ids, cap=50, hook=lower)
    async with serving(server) as rc:
        got = [u.id async for u in rc.users.iter_list(page_size=50, concurrency=3)]
    assert_exact(got, server)


# ---- sort ----------------------------------------------------------------------------------


async def test_a_server_ignoring_sort_is_detected_and_nobody_is_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The case: 450 users, sort ignored; the old walk yielded 10 of them, silently.
    server = Scripted(make_ids(450, random.Random(5)), sorts=False, cap=50,
                      hook=delete_behind(range(3, 5), 3))
    with caplog.at_level(logging.WARNING, logger="rocketchat_users"):
        async with serving(server) as rc:
            got = [u.id async for u in rc.users.iter_list(page_size=50, concurrency=4)]
    assert_exact(got, server, ordered=False)
    assert len(server.deleted) == 6
    warnings = [r for r in caplog.records if r.name == "rocketchat_users"]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert "ignored sort" in warnings[0].getMessage()
    assert "memory" in warnings[0].getMessage()


async def test_sort_ignored_after_users_were_yielded_is_an_error() -> None:
    server = Scripted(make_ids(300, random.Random(6)), cap=50, sorts_for=2)
    got: list[str] = []
    async with serving(server) as rc:
        with pytest.raises(rcu.WalkError, match="sort") as caught:
            async for user in rc.users.iter_list(page_size=50, concurrency=1):
                got.append(user.id)
    assert caught.value.offset > 0 and isinstance(caught.value, rcu.RocketChatError)
    # What came before the error is right as far as it goes: ascending, no duplicates.
    assert got and got == sorted(set(got))


async def test_callers_sort_is_exact_under_deletes_behind_the_walk() -> None:
    server = Scripted(make_ids(400, random.Random(7)), cap=40,
                      hook=delete_behind(range(2, 8), 3))
    async with serving(server) as rc:
        got = [u.id async for u in rc.users.iter_list(sort={"username": -1}, page_size=40,
                                                       concurrency=3)]
    assert_exact(got, server, ordered=False)
    assert got == sorted(got, reverse=True)


# ---- edges ----------------------------------------------------------------------------------


async def test_an_empty_server() -> None:
    server = Scripted([])
    async with serving(server) as rc:
        walk = rc.users.iter_list()
        assert [u async for u in walk] == []
        pages = rc.users.iter_pages()
        assert [p async for p in pages] == []
    assert server.requests == [(0, 100 + OVERLAP)] * 2
    assert walk.stats == rcu.WalkStats(pages_fetched=1, pages_refetched=0, duplicates_skipped=0)


async def test_early_stop_yields_an_exact_prefix_and_cancels_the_rest() -> None:
    server = Scripted(make_ids(800, random.Random(8)), cap=50,
                      hook=delete_behind(range(2, 12), 3))
    got: list[str] = []
    async with serving(server) as rc:
        async for user in rc.users.iter_list(page_size=50, concurrency=4):
            got.append(user.id)
            if len(got) == 230:
                break
        assert await page_tasks_settle() == set()
    assert len(got) == len(set(got)) and got == sorted(got)
    # Up to where it stopped: everyone present throughout, and nobody who never existed.
    assert {i for i in server.throughout if i <= got[-1]} <= set(got)
    assert set(got) <= {i for i in server.initial if i <= got[-1]}


async def test_a_server_faster_than_the_walk_raises_walk_error() -> None:
    # Every page but the first jumps ahead of anything walked: as if the server deleted more
    # users before each page than any refetch can catch up with.
    async def fetch(offset: int, count: int) -> rcu.UsersPage:
        base = "a" if offset == 0 else f"b{offset:06d}"
        users = [rcu.User(id=f"{base}-{i:03d}") for i in range(min(count, 50))]
        return rcu.UsersPage(users=users, count=len(users), offset=offset, total=10_000)

    probe = Probe(fetch)
    walk = UserWalk(probe, page_size=50, concurrency=2)
    got = []
    with pytest.raises(rcu.WalkError, match="faster than the walk") as caught:
        async for user in walk:
            got.append(user.id)
    assert len(got) == 50 and caught.value.offset > 0
    assert walk.stats.pages_refetched <= 13 and len(probe.requests) < 30
    assert await page_tasks_settle() == set()


# ---- stats and pages ------------------------------------------------------------------------


async def test_stats_of_a_walk_with_nothing_changing() -> None:
    server = Scripted(make_ids(1000, random.Random(9)), cap=100)
    async with serving(server) as rc:
        walk = rc.users.iter_list(page_size=100, concurrency=4)
        assert walk.stats == rcu.WalkStats()
        got = [u.id async for u in walk]
    assert got == sorted(server.initial)
    # Pages step by 98 (the cap minus the 2-user overlap): offsets 0, 98, …, 980.
    assert [offset for offset, _ in server.requests] == list(range(0, 981, 98))
    assert walk.stats == rcu.WalkStats(pages_fetched=11, pages_refetched=0,
                                       duplicates_skipped=2 * 10)
    with pytest.raises(AttributeError):
        walk.stats.pages_fetched = 0  # type: ignore[misc]


async def test_stats_count_a_refetch() -> None:
    server = Scripted(make_ids(300, random.Random(10)), cap=50,
                      hook=delete_behind(range(3, 4), 5))
    async with serving(server) as rc:
        walk = rc.users.iter_list(page_size=50, concurrency=1)
        got = [u.id async for u in walk]
    assert_exact(got, server)
    stats = walk.stats
    # The third page came 5 users late: one refetch, from an earlier offset, closed the gap.
    assert stats.pages_refetched == 1 and stats.pages_fetched == len(server.requests)
    assert server.requests[3][0] < server.requests[2][0]
    # At concurrency 1 the late page is let go while the gap is read (one page in memory) and
    # read again after: its 50 users were neither yielded nor skipped. All others were one of both.
    assert stats.duplicates_skipped == server.served - len(got) - 50


async def test_iter_pages_is_the_same_walk_by_page() -> None:
    server = Scripted(make_ids(420, random.Random(11)), cap=60,
                      hook=delete_behind(range(2, 5), 3))
    async with serving(server) as rc:
        walk = rc.users.iter_pages(page_size=60, concurrency=3)
        pages = [page async for page in walk]
    got = [u.id for page in pages for u in page.users]
    assert_exact(got, server)
    assert all(page.users and page.count == len(page.users) for page in pages)
    assert all(isinstance(page, rcu.UsersPage) for page in pages)
    assert pages[0].offset == 0 and pages[-1].total == len(server.ids)
    assert walk.stats.pages_fetched <= len(server.requests) and walk.total == len(server.ids)


async def test_iter_pages_by_status_against_the_emulator() -> None:
    async with Emulator(users=120, seed=12, settings={"API_Upper_Count_Limit": 25}) as server, \
            rcu.Session(server.url, user_id=server.admin.user_id,
                        auth_token=server.admin.auth_token) as rc:
        expected = [u.id async for u in rc.users.iter_list_by_status(
            status="active", roles=["user"], page_size=25)]
        walk = rc.users.iter_pages_by_status(status="active", roles=["user"], page_size=25,
                                             concurrency=2)
        pages = [page async for page in walk]
    assert 20 < len(expected) and [u.id for p in pages for u in p.users] == expected
    assert len(pages) == walk.stats.pages_fetched and pages[-1].total == len(expected)


# ---- the emulator's churn= knob, over real sockets ------------------------------------------


async def test_churn_knob_is_deterministic_and_recorded() -> None:
    records = []
    for _ in range(2):
        async with Emulator(users=50, seed=7, churn=(1.5, 0.5)) as server, rcu.Session(
            server.url, user_id=server.admin.user_id, auth_token=server.admin.auth_token
        ) as rc:
            assert server.churn is not None
            for _ in range(4):
                await rc.users.list(count=1)
            server.churn.paused = True
            listed = {u.id for u in (await rc.users.list(count=0)).users}
            churn = server.churn
            assert (len(churn.created), len(churn.deleted), churn.requests) == (6, 2, 4)
            assert set(churn.created) - set(churn.deleted) <= listed
            assert not listed & set(churn.deleted) and server.admin.user_id in listed
            records.append((churn.created, churn.deleted))
    assert records[0] == records[1]
    with pytest.raises(ValueError, match="churn deletes"):
        Emulator(churn=(1, -1))


async def test_20000_users_under_emulator_churn_at_concurrency_8() -> None:
    settings = {"API_Upper_Count_Limit": 500}
    async with Emulator(users=20_000, seed=3, churn=(2, 6), settings=settings) as server, \
            rcu.Session(server.url, user_id=server.admin.user_id,
                        auth_token=server.admin.auth_token) as rc:
        churn = server.churn
        assert churn is not None
        churn.paused = True
        before = {u.id for u in (await rc.users.list(count=0, fields={"_id": 1})).users}
        churn.paused = False
        walk = rc.users.iter_list(page_size=500, concurrency=8, fields={"username": 1})
        got = [u.id async for u in walk]
    throughout = before - set(churn.deleted)
    assert len(before) == 20_002 and len(churn.deleted) >= 150
    assert len(got) == len(set(got)) and got == sorted(got)
    assert throughout <= set(got) <= before | set(churn.created)
    assert walk.stats.pages_fetched <= churn.requests

