"""Throughput and latency under faults: the SDK against bare aiohttp, side by side.

    python benchmarks/faults.py            # 3 rounds of 4,000 calls per scenario, ~1 minute
    python benchmarks/faults.py --smoke    # tiny, a few seconds (CI runs it)

Each scenario serves the embedded emulator (in this process, so both contenders share the CPU
with it alike) and runs the same mix from 50 tasks: 80% GET users.info, 20% POST users.create
(a new username each). Scenarios: ``quiet``; ``faults`` (5% dropped connections, 5% HTML 502s,
1% answers lost after the POST was applied, 0.5% held 2.5 s past the 2 s call timeout);
``faults+limit`` (the same, and a caller without the rate-limit bypass on a 250 calls / 0.5 s
limiter per route). Contenders: the SDK (one Session, its retries and pacing) and ``bare``
(aiohttp + msgspec, one try per call, no pacing: what a careless client gets). Printed: calls/s,
p50 and p99 latency, the share of calls that succeeded, POSTs applied twice (counted by the
emulator) and POSTs whose outcome the client cannot know. Medians of the rounds, contenders
interleaved and rotated. Nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import msgspec

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator, Faults

TASKS = 50
TIMEOUT = 2.0
FAULTS = Faults(drop=0.05, bad_gateway=0.05, lost_answer=0.01, slow=0.005, slow_seconds=2.5)
SCENARIOS: dict[str, tuple[Faults | None, tuple[int, float] | None]] = {
    "quiet": (None, None),
    "faults": (FAULTS, None),
    "faults+limit": (FAULTS, (250, 0.5)),
}


@dataclass
class Figures:
    calls_per_s: float
    p50_ms: float
    p99_ms: float
    ok_share: float
    applied_twice: int
    unknown: int


Call = Callable[[str, bool], Awaitable[bool | None]]  # (key, is_post) -> ok, None = unknown


async def sdk_client(url: str, user_id: str, token: str
                     ) -> tuple[Call, Callable[[], Awaitable[None]]]:
    rc = rcu.Session(url, user_id=user_id, auth_token=token, timeout=TIMEOUT,
                     max_connections=16,
                     retry=rcu.RetryPolicy(attempts=8, backoff=0.02, max_backoff=0.2))

    async def call(key: str, post: bool) -> bool | None:
        try:
            if post:
                await rc.users.create(email=f"{key}@example.org", name=key, username=key,
                                      password="A-long-Passw0rd!")
            else:
                await rc.users.info(username="bench.bot")
            return True
        except rcu.TransportError as exc:
            return None if post and exc.sent else False
        except rcu.RocketChatError:
            return False

    return call, rc.close


async def bare_client(url: str, user_id: str, token: str
                      ) -> tuple[Call, Callable[[], Awaitable[None]]]:
    http = aiohttp.ClientSession(
        headers={"X-User-Id": user_id, "X-Auth-Token": token},
        connector=aiohttp.TCPConnector(limit=16),
        timeout=aiohttp.ClientTimeout(total=TIMEOUT))
    encode = msgspec.json.encode

    async def call(key: str, post: bool) -> bool | None:
        try:
            if post:
                body = encode({"email": f"{key}@example.org", "name": key, "username": key,
                               "password": "A-long-Passw0rd!"})
                request = http.post(f"{url}/api/v1/users.create", data=body,
                                    headers={"Content-Type": "application/json"})
            else:
                request = http.get(f"{url}/api/v1/users.info", params={"username": "bench.bot"})
            async with request as answer:
                await answer.read()
                return answer.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return None if post else False

    return call, http.close


CLIENTS = {"sdk": sdk_client, "bare": bare_client}


async def one_run(client: str, scenario: str, calls: int, seed: int, smoke: bool) -> Figures:
    faults, limit = SCENARIOS[scenario]
    if faults is not None and smoke:
        faults = dataclasses.replace(faults, slow_seconds=0.2)  # within the timeout: quick
    async with Emulator(users=0, seed=seed, faults=faults,
                        rate_limit=limit if limit is not None else False) as server:
        server.set_permission("create-user", ["admin", "user"])
        bot = server.add_user(username="bench.bot", password="A-long-Passw0rd!", roles=["user"])
        call, close = await CLIENTS[client](server.url, bot["_id"], server.login_token(bot["_id"]))
        latencies: list[float] = []
        outcomes: Counter[bool | None] = Counter()
        rng = random.Random(seed)
        plan = [(f"u{seed}x{i}", rng.random() < 0.2) for i in range(calls)]
        queue = iter(plan)

        async def worker() -> None:
            for key, post in queue:
                started = time.perf_counter()
                outcomes[await call(key, post)] += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(TASKS)))
        elapsed = time.perf_counter() - started
        await close()
        if faults is not None:
            await asyncio.sleep(faults.slow_seconds + 0.1)  # held POSTs are applied late
        applied: Counter[bytes] = Counter(r.body for r in server.post_log if r.applied)
    latencies.sort()
    return Figures(calls / elapsed, statistics.median(latencies) * 1000,
                   latencies[int(len(latencies) * 0.99)] * 1000, outcomes[True] / calls,
                   sum(1 for n in applied.values() if n > 1), outcomes[None])


def show(runs: list[Figures], attr: str, fmt: str) -> str:
    values = [getattr(r, attr) for r in runs]
    middle = statistics.median(values)
    return (f"{middle:{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})" if len(values) > 1
            else f"{middle:{fmt}}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="tiny: 300 calls, 1 round")
    args = parser.parse_args()
    calls, rounds = (300, 1) if args.smoke else (args.calls, args.rounds)
    print(f"{calls} calls from {TASKS} tasks per run, medians of {rounds} (min-max)\n")
    print(f"{'scenario':<14}{'client':<7}{'calls/s':>18}{'p50 ms':>17}{'p99 ms':>20}"
          f"{'ok':>8}{'twice':>7}{'unknown':>9}")
    for scenario in SCENARIOS:
        results: dict[str, list[Figures]] = {name: [] for name in CLIENTS}
        for round_ in range(rounds):
            order = list(CLIENTS)[round_ % 2:] + list(CLIENTS)[:round_ % 2]
            for name in order:
                run = one_run(name, scenario, calls, round_, args.smoke)
                results[name].append(asyncio.run(run))
        for name, runs in results.items():
            print(f"{scenario:<14}{name:<7}{show(runs, 'calls_per_s', '.0f'):>18}"
                  f"{show(runs, 'p50_ms', '.1f'):>17}{show(runs, 'p99_ms', '.0f'):>20}"
                  f"{statistics.median(r.ok_share for r in runs):>8.1%}"
                  f"{max(r.applied_twice for r in runs):>7}"
                  f"{statistics.median(r.unknown for r in runs):>9.0f}")
        if any(r.applied_twice for runs in results.values() for r in runs):
            raise SystemExit("a POST was applied twice")


if __name__ == "__main__":
    main()
