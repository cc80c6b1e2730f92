"""The retry rules end to end, against an emulator that answers 502 pages and drops connections.

The emulator's faults strike before a handler runs, so a refused POST never acted: the SDK
cannot know that, and must not send it again (DESIGN §1, Retry and rate limits).
"""

from __future__ import annotations

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator
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
