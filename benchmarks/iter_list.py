"""Walk 10,000 users with ``rc.users.iter_list``: throughput by concurrency, bounded memory,
the requests the overlap-verified walk costs (nothing changing, and under churn), and the
walk's own cost per user.

    .venv/bin/python benchmarks/iter_list.py

Prints figures only (benchmarks are never timed asserts). The emulator runs in the same process
and event loop, so the figures include its own work; the ratio is what matters.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time
import tracemalloc
from collections.abc import AsyncIterator

import rocketchat_users as rcu
from rocketchat_users.paging import UserWalk
from rocketchat_users.testing import Emulator

USERS = 10_000


async def walk(rc: rcu.Session, concurrency: int) -> tuple[int, float]:
    started = time.perf_counter()
    seen = 0
    async for _ in rc.users.iter_list(page_size=100, concurrency=concurrency):
        seen += 1
    return seen, time.perf_counter() - started


async def throughput(latency: float) -> None:
    async with Emulator(users=USERS, seed=1, host="127.0.0.1", latency=latency) as server:
        async with rcu.Session(server.url, user_id=server.admin.user_id,
                               auth_token=server.admin.auth_token) as rc:
            await walk(rc, 4)  # warm the server's sorted-users cache and the connection pool
            rates = {}
            for concurrency in (1, 4):
                # Best of three: the walks are short enough for the scheduler's noise to show.
                seen, seconds = min([await walk(rc, concurrency) for _ in range(3)],
                                    key=lambda r: r[1])
                rates[concurrency] = seen / seconds
                print(f"latency {latency * 1000:4.1f} ms  concurrency {concurrency}: "
                      f"{seen} users in {seconds:6.3f} s = {rates[concurrency]:9,.0f} users/s")
            ratio = rates[4] / rates[1]
            print(f"latency {latency * 1000:4.1f} ms  concurrency 4 / 1: {ratio:.2f}x")


async def memory() -> None:
    async with Emulator(users=USERS, seed=1, host="127.0.0.1") as server:
        async with rcu.Session(server.url, user_id=server.admin.user_id,
                               auth_token=server.admin.auth_token) as rc:
            await walk(rc, 4)
            tracemalloc.start()
            try:
                for concurrency in (1, 4, 16):
                    tracemalloc.reset_peak()
                    base = tracemalloc.get_traced_memory()[0]
                    seen = 0
                    async for _ in rc.users.iter_list(page_size=100, concurrency=concurrency):
                        seen += 1
                        if seen % 10 == 0:
                            await asyncio.sleep(0.001)  # a slow consumer: ~10 users per ms
                    peak = tracemalloc.get_traced_memory()[1] - base
                    print(f"slow consumer, concurrency {concurrency:2}: {seen} users, "
                          f"peak traced memory {peak / 1e6:6.2f} MB")
                tracemalloc.reset_peak()
                base = tracemalloc.get_traced_memory()[0]
                everyone = (await rc.users.list(count=0)).users
                peak = tracemalloc.get_traced_memory()[1] - base
                print(f"for scale, one count=0 list of all {len(everyone)} users: "
                      f"peak {peak / 1e6:6.2f} MB")
            finally:
                tracemalloc.stop()


def list_requests(server: Emulator) -> int:
    return sum(path.endswith("/users.list") for _, path in server.request_log)


async def requests(churn: tuple[float, float] | None) -> None:
    """users.list requests per 1,000 users, against a plain walk (one request per 100)."""
    async with Emulator(users=USERS, seed=1, host="127.0.0.1", churn=churn) as server:
        async with rcu.Session(server.url, user_id=server.admin.user_id,
                               auth_token=server.admin.auth_token) as rc:
            if server.churn is not None:
                server.churn.paused = True
            before = {u.id for u in (await rc.users.list(count=0, fields={"_id": 1})).users}
            if server.churn is not None:
                server.churn.paused = False
            start = list_requests(server)
            walk = rc.users.iter_list(page_size=100, concurrency=4)
            got = {u.id async for u in walk}
            sent = list_requests(server) - start
            deleted = set(server.churn.deleted) if server.churn is not None else set()
            missed = len(before - deleted - got)
            # A plain walk steps by the cap (100): one request per 100 users of the list.
            plain = math.ceil(len(before) / 100)
            label = "no change" if churn is None else f"churn {churn[0]:g} created + " \
                f"{churn[1]:g} deleted per request"
            print(f"{label:38}: {sent} requests for {len(got)} users = "
                  f"{sent * 1000 / len(got):5.2f} per 1,000 users; a plain walk: "
                  f"{plain * 1000 / len(before):5.2f} ({(sent / plain - 1) * 100:+5.1f}%); "
                  f"refetched {walk.stats.pages_refetched}, missed {missed}")


async def per_user_cost() -> None:
    """The walk's own cost per user over in-memory pages, against a bare async iterator."""
    users = [rcu.User(id=f"u{i:07d}") for i in range(200_000)]

    async def fetch(offset: int, count: int) -> rcu.UsersPage:
        chunk = users[offset:offset + min(count, 100)]
        return rcu.UsersPage(users=chunk, count=len(chunk), offset=offset, total=len(users))

    class Bare:
        """The floor: an async iterator that only hands out a list's items."""

        def __init__(self) -> None:
            self.index = 0

        def __aiter__(self) -> AsyncIterator[rcu.User]:
            return self

        async def __anext__(self) -> rcu.User:
            index = self.index
            if index == len(users):
                raise StopAsyncIteration
            self.index = index + 1
            return users[index]

    async def timed(walk: AsyncIterator[rcu.User]) -> float:
        started = time.perf_counter()
        async for _ in walk:
            pass
        return (time.perf_counter() - started) / len(users) * 1e6

    walked, bare = [], []
    for _ in range(7):  # interleaved, medians: the machine is noisy
        walked.append(await timed(UserWalk(fetch, page_size=100, concurrency=4)))
        bare.append(await timed(Bare()))
    print(f"per user: walk {statistics.median(walked):.3f} us, bare async iterator "
          f"{statistics.median(bare):.3f} us")


async def main() -> None:
    await requests(None)
    await requests((1, 1))
    await requests((2, 5))
    await per_user_cost()
    await throughput(0.0)
    await throughput(0.005)
    await memory()


if __name__ == "__main__":
    asyncio.run(main())
