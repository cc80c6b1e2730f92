"""``rcu.bulk``: one coroutine function over many items, with bounded concurrency (DESIGN §1)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
    Sized,
)
from dataclasses import dataclass, field
from typing import Generic, TypeVar, overload

Item = TypeVar("Item")
Result = TypeVar("Result")
Kwargs = TypeVar("Kwargs", bound=Mapping[str, object])
# on_progress(done, total): total is None while an unsized input is not yet exhausted.
Progress = Callable[[int, int | None], object]


@dataclass
class BulkReport(Generic[Item, Result]):
    """What ``bulk()`` did; both lists are in input order."""

    succeeded: list[tuple[Item, Result]] = field(default_factory=list)
    failed: list[tuple[Item, Exception]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no call failed."""
        return not self.failed

    def raise_first(self) -> None:
        """Raise the exception of the first failed item (in input order), if any.

        Raises:
            Exception: the first failure's own exception.
        """
        if self.failed:
            raise self.failed[0][1]


@overload
async def bulk(
    fn: Callable[..., Awaitable[Result]], items: Iterable[Kwargs] | AsyncIterable[Kwargs], *,
    concurrency: int = 8, on_progress: Progress | None = None,
) -> BulkReport[Kwargs, Result]: ...
@overload
async def bulk(
    fn: Callable[[Item], Awaitable[Result]], items: Iterable[Item] | AsyncIterable[Item], *,
    concurrency: int = 8, on_progress: Progress | None = None,
) -> BulkReport[Item, Result]: ...
async def bulk(
    fn: Callable[..., Awaitable[Result]], items: Iterable[Item] | AsyncIterable[Item], *,
    concurrency: int = 8, on_progress: Progress | None = None,
) -> BulkReport[Item, Result]:
    """Await ``fn(**item)`` for a mapping item, ``fn(item)`` otherwise, at most ``concurrency``
    at a time; an ``Exception`` is recorded for its item and the others go on.

    ``items`` may be any iterable or async iterable; it is read lazily, so at most
    ``concurrency`` items are held in tasks. ``on_progress(done, total)`` runs after each item,
    sync or async (an awaitable result is awaited); ``total`` is ``len(items)`` when known, else
    ``None`` until the input is exhausted. Anything else raised (cancellation, an error of the
    input or of ``on_progress``) cancels the calls in flight, waits for them, and propagates.

    Args:
        fn: a coroutine function, e.g. ``rc.users.create``.
        items: the arguments of each call: a mapping is passed as keywords, anything else as
            the one positional argument.
        concurrency: calls in flight at most.
        on_progress: ``(done, total)``, called after each item; may be async.

    Returns:
        A ``BulkReport``: ``succeeded`` as (item, result) and ``failed`` as (item, exception),
        each in input order.

    Raises:
        ValueError: ``concurrency`` is below 1.
        BaseException: what the input or ``on_progress`` raised, or a cancellation (the calls
            in flight are cancelled first). A call's own ``Exception`` is never raised: it is
            in ``failed``.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency!r}")
    total = len(items) if isinstance(items, Sized) else None
    source = aiter(items) if isinstance(items, AsyncIterable) else iter(items)
    running: dict[asyncio.Task[Result], tuple[int, Item]] = {}
    succeeded: list[tuple[int, Item, Result]] = []
    failed: list[tuple[int, Item, Exception]] = []
    pulled = reported = 0
    exhausted = False
    try:
        while True:
            while not exhausted and len(running) < concurrency:
                try:
                    item = (await anext(source) if isinstance(source, AsyncIterator)
                            else next(source))
                except (StopIteration, StopAsyncIteration):
                    exhausted, total = True, pulled
                    break
                running[asyncio.create_task(_call(fn, item))] = (pulled, item)
                pulled += 1
            # Reported after the refill: calls go on meanwhile, and the end of an unsized
            # input is known by the time its last items are reported.
            while on_progress is not None and reported < len(succeeded) + len(failed):
                reported += 1
                if inspect.isawaitable(shown := on_progress(reported, total)):
                    await shown
            if not running:
                break
            finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in sorted(finished, key=lambda task: running[task][0]):
                index, item = running.pop(task)
                error = task.exception()  # raises CancelledError if someone cancelled the call
                if error is None:
                    succeeded.append((index, item, task.result()))
                elif isinstance(error, Exception):
                    failed.append((index, item, error))
                else:
                    raise error
    finally:
        # Only on the way out of an error: the calls still in flight must not outlive bulk().
        for task in running:
            task.cancel()
        if running:  # gathered with their outcomes, so asyncio logs none as never retrieved
            await asyncio.gather(*running, return_exceptions=True)
    succeeded.sort(key=lambda entry: entry[0])
    failed.sort(key=lambda entry: entry[0])
    return BulkReport([(i, r) for _, i, r in succeeded], [(i, e) for _, i, e in failed])


async def _call(fn: Callable[..., Awaitable[Result]], item: object) -> Result:
    # Called inside the task, so a TypeError from a bad item is that item's failure.
    return await (fn(**item) if isinstance(item, Mapping) else fn(item))
