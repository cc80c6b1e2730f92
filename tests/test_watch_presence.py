"""``rc.users.watch_presence`` against the emulator: full map first, then deltas with ``from``,
the ids form's drop-outs, broadcast off, interval checks and a clean stop (DESIGN.md §1;
server-behavior.md §7.1)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest

import rocketchat_users as rcu
from rocketchat_users.api.users import UsersAPI
from rocketchat_users.presence import watch_presence
from rocketchat_users.testing import Emulator
from tests.conftest import stored

ONLINE = frozenset({"online", "away", "busy"})


@pytest.fixture
def rocketchat_emulator_options() -> dict[str, Any]:
    return {"users": 12, "seed": 1}


class Recorder(UsersAPI):
    """The real users API, noting each users.presence poll: its `from`, start time and answer."""

    def __init__(self, session: rcu.Session) -> None:
        super().__init__(session)
        self.sent: list[datetime | str | None] = []
        self.started: list[float] = []
        self.answers: list[rcu.PresenceBatch] = []

    async def presence(
        self, *, from_: datetime | str | None = None, ids: list[str] | None = None,
        timeout: float | None = None,
    ) -> rcu.PresenceBatch:
        self.sent.append(from_)
        self.started.append(asyncio.get_running_loop().time())
        answer = await super().presence(from_=from_, ids=ids, timeout=timeout)
        self.answers.append(answer)
        return answer


async def step(watch: AsyncIterator[rcu.PresenceBatch]) -> rcu.PresenceBatch:
    return await asyncio.wait_for(anext(watch), 3)


async def close(watch: AsyncIterator[rcu.PresenceBatch]) -> None:
    assert isinstance(watch, AsyncGenerator)  # closable: a consumer may aclose() it
    await watch.aclose()


def leftovers() -> set[asyncio.Task[Any]]:
    """Tasks still alive but this test's own and the emulator's kept-alive connection handlers."""
    return {t for t in asyncio.all_tasks()
            if t is not asyncio.current_task() and "RequestHandler" not in repr(t.get_coro())}


def polls(server: Emulator) -> int:
    return sum(1 for _, path in server.request_log if path == "/api/v1/users.presence")


async def docs_with(server: Emulator, rc: rcu.Session, status: str) -> list[dict[str, Any]]:
    found = [d for d in await stored(server, rc) if d.get("status") == status
             and d.get("type") == "user" and d["_id"] != server.admin.user_id]
    assert found, f"the seed should hold a {status} user"
    return found


async def test_full_map_first_then_only_the_changes(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    rc, server = rocketchat_session, rocketchat_emulator
    comes = (await docs_with(server, rc, "offline"))[0]
    goes = (await docs_with(server, rc, "online"))[0]
    watch = rc.users.watch_presence(interval=0.05)
    first = await step(watch)
    assert first.full is True
    expected = {d["_id"] for d in await stored(server, rc)
                if d.get("status") in ONLINE and d.get("username")}
    assert {u.id for u in first.users} == expected and goes["_id"] in expected
    server.set_connection_status(comes["_id"], "online")
    server.set_connection_status(goes["_id"], "offline")
    delta = await step(watch)
    assert delta.full is False
    assert {u.id: u.status for u in delta.users} == {comes["_id"]: "online", goes["_id"]: "offline"}
    # The next `from` overlaps those changes by a second; they are not reported twice.
    assert (await step(watch)).users == []
    server.set_connection_status(comes["_id"], "away")
    assert [(u.id, u.status) for u in (await step(watch)).users] == [(comes["_id"], "away")]
    await close(watch)


async def test_from_is_the_previous_server_time_minus_one_second_without_drift(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    users = Recorder(rocketchat_session)
    interval = 0.2
    watch = watch_presence(users, interval=interval)
    for _ in range(4):
        await step(watch)
        await asyncio.sleep(0.15)  # a slow consumer: the next poll is still due `interval` later
    await close(watch)
    assert users.sent[0] is None
    for previous, sent in zip(users.answers[:-1], users.sent[1:], strict=True):
        assert sent == previous.fetched_at - timedelta(seconds=1)
    gaps = [b - a for a, b in zip(users.started[:-1], users.started[1:], strict=True)]
    assert len(gaps) == 3 and all(interval - 0.01 <= gap < interval + 0.1 for gap in gaps), gaps
    assert polls(rocketchat_emulator) == 4


async def test_ids_report_drop_outs_as_offline_and_no_repeats(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    rc, server = rocketchat_session, rocketchat_emulator
    online = (await docs_with(server, rc, "online"))[0]
    away = (await docs_with(server, rc, "away"))[0]
    offline = (await docs_with(server, rc, "offline"))[0]
    users = Recorder(rc)
    watch = watch_presence(users, interval=0.05,
                           ids=[online["_id"], away["_id"], offline["_id"]])
    first = await step(watch)
    # The whole map of the watched users, though the server says full=false for ids.
    assert first.full is True
    assert {u.id: u.status for u in first.users} == {online["_id"]: "online", away["_id"]: "away"}
    server.set_connection_status(online["_id"], "offline")
    server.set_connection_status(offline["_id"], "busy")
    delta = await step(watch)
    assert delta.full is False
    assert {u.id: u.status for u in delta.users} == {online["_id"]: "offline",
                                                     offline["_id"]: "busy"}
    gone = next(u for u in delta.users if u.id == online["_id"])
    assert gone.username == online["username"]  # still says who went offline
    # The server lists `away` and `offline` again; neither changed, so nothing is reported.
    assert (await step(watch)).users == []
    await close(watch)
    assert users.sent == [None, None, None]  # the server ignores `from` with ids (§7.1)


async def test_broadcast_off_warns_once_and_polling_goes_on(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="rocketchat_users")
    watch = rocketchat_session.users.watch_presence(interval=0.05)
    assert (await step(watch)).users != []
    rocketchat_emulator.settings["Presence_broadcast_disabled"] = True
    for _ in range(3):
        batch = await step(watch)
        assert batch.full is True and batch.users == []
    warnings = [r for r in caplog.records if r.name == "rocketchat_users"]
    assert len(warnings) == 1 and "broadcast" in warnings[0].getMessage()
    rocketchat_emulator.settings["Presence_broadcast_disabled"] = False
    assert (await step(watch)).full is False  # deltas again
    await close(watch)
    assert polls(rocketchat_emulator) == 5


async def test_arguments_are_checked_at_once(rocketchat_session: rcu.Session) -> None:
    for interval in (0, -1.0, 540.5, 3600, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="interval"):
            rocketchat_session.users.watch_presence(interval=interval)
    with pytest.raises(ValueError, match="ids"):
        rocketchat_session.users.watch_presence(ids=[])
    with pytest.raises(TypeError):
        rocketchat_session.users.watch_presence(ids="abc")  # type: ignore[arg-type]
    await close(rocketchat_session.users.watch_presence(interval=540))  # the largest allowed


async def test_break_stops_polling_with_nothing_left_running(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    async def consume() -> int:
        seen = 0
        async for _ in rocketchat_session.users.watch_presence(interval=0.05):
            seen += 1
            if seen == 3:
                break
        return seen

    assert await asyncio.wait_for(consume(), 3) == 3
    assert polls(rocketchat_emulator) == 3
    await asyncio.sleep(0.3)
    assert polls(rocketchat_emulator) == 3
    assert leftovers() == set()


async def test_a_cancelled_wait_ends_the_watch(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    watch = rocketchat_session.users.watch_presence(interval=5)
    await step(watch)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(anext(watch), 0.1)  # cancels the sleep inside the iterator
    with pytest.raises(StopAsyncIteration):
        await anext(watch)
    assert polls(rocketchat_emulator) == 1
    assert leftovers() == set()


async def test_a_failed_poll_raises_a_typed_error(anonymous: rcu.Session) -> None:
    watch = anonymous.users.watch_presence(interval=0.05)
    with pytest.raises(rcu.AuthenticationError) as caught:
        await step(watch)
    assert caught.value.status == 401
