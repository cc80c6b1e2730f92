"""``rcu.bulk``: bounded concurrent calls, failures kept per item, input order, lazy input, progress
and cancellation (DESIGN.md §1 "Bulk and streaming helpers")."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import rocketchat_users as rcu
from rocketchat_users.bulk import BulkReport, bulk
from rocketchat_users.testing import Emulator
from tests.conftest import PASSWORD, add_user, user_doc

DUPLICATES = {4, 17}  # usernames the server already holds
WEAK = {9, 22, 28}  # passwords that fail the default policy (§11)


@pytest.fixture
def rocketchat_emulator_options() -> dict[str, Any]:
    return {"users": 5, "seed": 3}


class Stop(BaseException):
    """Not an Exception: bulk must not swallow it."""


async def test_bulk_create_splits_successes_and_failures_in_input_order(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    rc = rocketchat_session
    taken = add_user(rocketchat_emulator, "taken.name")
    items = [{"username": "taken.name" if i in DUPLICATES else f"bulk.{i:02d}",
              "email": f"bulk{i}@example.com", "name": f"Bulk {i}",
              "password": "short" if i in WEAK else PASSWORD} for i in range(30)]
    progress: list[tuple[int, int | None]] = []

    def on_progress(done: int, total: int | None) -> None:
        progress.append((done, total))

    report: BulkReport[dict[str, str], rcu.User] = await bulk(
        rc.users.create, items, concurrency=4, on_progress=on_progress)
    bad = DUPLICATES | WEAK
    assert [item for item, _ in report.succeeded] == [x for i, x in enumerate(items)
                                                      if i not in bad]
    assert [item for item, _ in report.failed] == [items[i] for i in sorted(bad)]
    for item, user in report.succeeded:
        assert isinstance(user, rcu.User) and user.username == item["username"]
        assert user_doc(rocketchat_emulator, item["username"])["_id"] == user.id
    for item, exc in report.failed:
        assert isinstance(exc, rcu.BadRequestError) and exc.status == 400
        expected = ("error-field-unavailable" if item["username"] == "taken.name"
                    else "error-password-policy-not-met")
        assert exc.error_type == expected
        if item["username"] != "taken.name":
            assert rocketchat_emulator.get_user(item["username"]) is None
    # The taken name still belongs to its owner: the refused creates changed nothing.
    assert user_doc(rocketchat_emulator, "taken.name") == taken
    assert progress == [(n, 30) for n in range(1, 31)]
    assert not report.ok
    with pytest.raises(rcu.BadRequestError) as first:
        report.raise_first()
    assert first.value is report.failed[0][1]


async def test_concurrency_is_bounded_and_results_keep_input_order() -> None:
    in_flight = peak = 0

    async def double(n: int) -> int:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(random.uniform(0, 0.01))  # completion order differs from input order
        in_flight -= 1
        return 2 * n

    report = await bulk(double, range(60), concurrency=5)
    assert peak == 5
    assert report.succeeded == [(n, 2 * n) for n in range(60)] and report.failed == []
    assert report.ok
    report.raise_first()  # nothing to raise
    with pytest.raises(ValueError, match="concurrency"):
        await bulk(double, [1], concurrency=0)


async def test_failures_do_not_abort_the_rest_and_items_are_positional_unless_mappings() -> None:
    async def check(value: object, *, strict: bool = False) -> str:
        if value == 3 or strict:
            raise ValueError(f"bad {value}")
        return repr(value)

    items: list[object] = [1, "two", 3, ("tuple", 4), {"value": 5}, {"value": 6, "strict": True},
                           {"wrong": 7}]
    report = await bulk(check, items, concurrency=2)
    # Non-mapping items (a tuple included) are passed whole; a mapping is spread as keywords.
    assert report.succeeded == [(1, "1"), ("two", "'two'"), (("tuple", 4), "('tuple', 4)"),
                                ({"value": 5}, "5")]
    assert [item for item, _ in report.failed] == [3, {"value": 6, "strict": True}, {"wrong": 7}]
    kinds = [type(exc) for _, exc in report.failed]
    assert kinds == [ValueError, ValueError, TypeError]  # a bad mapping is that item's failure


async def test_a_generator_is_consumed_lazily_with_progress_total_unknown_until_the_end() -> None:
    pulled = finished = 0
    tasks_peak = 0

    def numbers() -> Iterator[int]:
        nonlocal pulled
        for n in range(5_000):
            pulled += 1
            yield n

    async def work(n: int) -> int:
        nonlocal finished, tasks_peak
        # Never more than `concurrency` items taken ahead of those finished.
        assert pulled - finished <= 8
        tasks_peak = max(tasks_peak, len(asyncio.all_tasks()))
        await asyncio.sleep(0)
        finished += 1
        return n

    progress: list[tuple[int, int | None]] = []
    baseline = len(asyncio.all_tasks())
    report = await bulk(work, numbers(), on_progress=lambda d, t: progress.append((d, t)))
    assert len(report.succeeded) == 5_000 and report.succeeded[-1] == (4_999, 4_999)
    assert tasks_peak <= baseline + 8
    assert [d for d, _ in progress] == list(range(1, 5_001))
    # The total is unknown while the generator may still yield, then exact.
    assert progress[0] == (1, None) and progress[-1] == (5_000, 5_000)


async def test_async_iterables_and_async_progress_callbacks() -> None:
    async def letters() -> AsyncIterator[str]:
        for letter in "abcdef":
            await asyncio.sleep(0)
            yield letter

    async def upper(s: str) -> str:
        await asyncio.sleep(random.uniform(0, 0.005))
        return s.upper()

    seen: list[int] = []

    async def on_progress(done: int, total: int | None) -> None:
        await asyncio.sleep(0)
        seen.append(done)

    report = await bulk(upper, letters(), concurrency=3, on_progress=on_progress)
    assert report.succeeded == [(c, c.upper()) for c in "abcdef"]
    assert seen == [1, 2, 3, 4, 5, 6]


async def test_cancelling_bulk_cancels_the_calls_in_flight_and_starts_no_more() -> None:
    started: list[int] = []
    cancelled: list[int] = []
    full = asyncio.Event()

    async def hang(n: int) -> None:
        started.append(n)
        if len(started) == 4:
            full.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(n)
            raise

    job = asyncio.create_task(bulk(hang, range(100), concurrency=4))
    await asyncio.wait_for(full.wait(), 2)
    await asyncio.sleep(0.01)  # room for a fifth call, were the bound not kept
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(job, 2)
    await asyncio.sleep(0.05)
    assert started == [0, 1, 2, 3] and sorted(cancelled) == started
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_a_base_exception_of_one_call_propagates_and_cancels_the_rest() -> None:
    cancelled: list[int] = []

    async def call(n: int) -> int:
        try:
            await asyncio.sleep(0.01 if n == 2 else 5)
        except asyncio.CancelledError:
            cancelled.append(n)
            raise
        raise Stop

    with pytest.raises(Stop):
        await asyncio.wait_for(bulk(call, range(10), concurrency=3), 2)
    assert sorted(cancelled) == [0, 1]
    assert asyncio.all_tasks() == {asyncio.current_task()}
