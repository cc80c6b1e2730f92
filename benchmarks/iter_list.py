"""Walk 10,000 users with ``rc.users.iter_list``: throughput by concurrency, and bounded memory.

    .venv/bin/python benchmarks/iter_list.py

Prints figures only (benchmarks are never timed asserts). The emulator runs in the same process
and event loop, so the figures include its own work; the ratio is what matters.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc

import rocketchat_users as rcu
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


async def main() -> None:
    await throughput(0.0)
    await throughput(0.005)
    await memory()


if __name__ == "__main__":
    asyncio.run(main())
