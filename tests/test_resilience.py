"""The retry rules end to end, against an emulator that answers 502 pages and drops connections.

The emulator's faults strike before a handler runs, so a refused POST never acted: the SDK
cannot know that, and must not send it again (DESIGN §1, Retry and rate limits).
"""

from __future__ import annotations

import asyncio

import pytest

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator, Faults
from tests.conftest import PASSWORD

PATIENT = rcu.RetryPolicy(attempts=8, backoff=0.001, max_backoff=0.01)


async def test_a_walk_over_a_flaky_server_still_yields_everyone_once() -> None:
    async with Emulator(users=300, seed=5, error_rate=0.3) as flaky, rcu.Session(
        flaky.url, user_id=flaky.admin.user_id, auth_token=flaky.admin.auth_token,
        retry=PATIENT,
    ) as rc:
        seen = [user.id async for user in rc.users.iter_list(page_size=50, concurrency=3)]
        sent = flaky.request_log.count(("GET", "/api/v1/users.list"))
    # 300 seeded + the admin + rocket.cat, each once, in _id order.
    assert len(seen) == len(set(seen)) == 302 and seen == sorted(seen)
    assert sent > 7  # 7 pages of 50 needed: the server failed some, and the walk went on


async def test_posts_refused_by_a_flaky_server_are_never_sent_twice() -> None:
    people = [{"username": f"flaky.{i}", "email": f"flaky.{i}@example.org",
               "name": f"Flaky {i}", "password": PASSWORD} for i in range(40)]
    async with Emulator(users=5, seed=6, error_rate=0.3) as server, rcu.Session(
        server.url, user_id=server.admin.user_id, auth_token=server.admin.auth_token,
        retry=PATIENT,
    ) as rc:
        report = await rcu.bulk(rc.users.create, people, concurrency=4)
        creates = server.request_log.count(("POST", "/api/v1/users.create"))
        stored = {p["username"]: server.get_user(p["username"]) for p in people}
    assert report.failed, "with 30% faults some creates must fail"
    assert creates == len(people)  # one request per user: nothing was sent again
    for item, exc in report.failed:
        assert isinstance(exc, rcu.ServerError | rcu.TransportError)
        if isinstance(exc, rcu.TransportError):
            assert exc.sent is True  # the outcome is unknown to the client
        assert stored[str(item["username"])] is None  # the fault struck before the server acted
    for item, user in report.succeeded:
        assert stored[str(item["username"])] is not None and user.username == item["username"]


async def one_create_under(faults: Faults) -> tuple[Emulator, BaseException | None]:
    """One users.create against an emulator whose every request meets ``faults``."""
    async with Emulator(users=0, seed=8, faults=faults) as server, rcu.Session(
        server.url, user_id=server.admin.user_id, auth_token=server.admin.auth_token,
        retry=PATIENT, timeout=1.0,
    ) as rc:
        try:
            await rc.users.create(email="once@example.org", name="Once", username="once",
                                  password=PASSWORD)
            error: BaseException | None = None
        except rcu.RocketChatError as exc:
            error = exc
        await asyncio.sleep(faults.slow_seconds + 0.1 if faults.slow else 0)
        return server, error


@pytest.mark.parametrize(("faults", "error", "applied"), [
    (Faults(drop=1.0), rcu.TransportError, False),
    (Faults(bad_gateway=1.0), rcu.ServerError, False),
    (Faults(lost_answer=1.0), rcu.TransportError, True),
    (Faults(slow=1.0, slow_seconds=1.5), rcu.RequestTimeoutError, True),
], ids=["drop", "bad_gateway", "lost_answer", "slow"])
async def test_each_fault_does_what_it_says_and_a_post_goes_once(
        faults: Faults, error: type[Exception], applied: bool) -> None:
    server, raised = await one_create_under(faults)
    assert type(raised) is error
    if isinstance(raised, rcu.TransportError):
        assert raised.sent is True  # written, answer unknown: never sent again
    records = [r for r in server.post_log if r.route == "users.create"]
    assert len(records) == 1 and records[0].applied is applied
    assert (server.get_user("once") is not None) is applied


def test_a_fault_plan_is_checked() -> None:
    with pytest.raises(ValueError, match="drop"):
        Faults(drop=1.5)
    with pytest.raises(ValueError, match="more than 1"):
        Faults(drop=0.6, bad_gateway=0.6)
    with pytest.raises(ValueError, match="not both"):
        Emulator(error_rate=0.1, faults=Faults(drop=0.1))
