"""The ordered, concurrent page walker behind ``rc.users.iter_list*``."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable

from .models import User, UsersPage

BY_ID = {"_id": 1}
"""The default sort of a walk: stable, and lets a walk skip duplicates in constant memory."""

PageFetch = Callable[[int, int], Awaitable[UsersPage]]
"""``(offset, count) -> UsersPage``: one request of the walk."""


class UserWalk:
    """Async iterator of every user a paged endpoint lists, each once, in the server's order.

    The first page is fetched alone: it tells the ``total`` and the server's real page size
    (``count`` above API_Upper_Count_Limit is clamped without an error, §5.1). After it, up to
    ``concurrency`` pages are requested or wait unread ahead of the consumer. Leaving the loop
    early, ``aclose()``, or an error cancels the pages still in flight (a walk kept in a
    variable is only closed by ``aclose()``: wrap it in ``contextlib.aclosing`` to be sure).
    """

    def __init__(
        self, fetch: PageFetch, *, page_size: int = 100, concurrency: int = 4, by_id: bool = True
    ) -> None:
        for name, value in (("page_size", page_size), ("concurrency", concurrency)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, not {type(value).__name__}")
            if value < 1:
                raise ValueError(f"{name} must be at least 1, not {value}")
        self._pager = _Pager(fetch, page_size, concurrency, by_id)
        self._walk: AsyncGenerator[User, None] | None = None

    @property
    def total(self) -> int | None:
        """The ``total`` of the latest page (None before the first): it may grow mid-walk."""
        return self._pager.total

    def __aiter__(self) -> AsyncIterator[User]:
        return self

    async def __anext__(self) -> User:
        if self._walk is None:
            # The generator holds no reference back to `self`: when a caller `break`s out of
            # `async for user in rc.users.iter_list()`, both go away and asyncio's async
            # generator finaliser runs its `finally`, which cancels the pages in flight.
            self._walk = self._pager.walk()
        return await self._walk.__anext__()

    async def aclose(self) -> None:
        """Stop the walk and cancel the page requests still in flight. Idempotent."""
        if self._walk is None:
            self._walk = self._pager.walk()  # closed before its start: it will yield nothing
        await self._walk.aclose()


class _Pager:
    def __init__(self, fetch: PageFetch, size: int, concurrency: int, by_id: bool) -> None:
        self.fetch, self.size, self.concurrency, self.by_id = fetch, size, concurrency, by_id
        self.total: int | None = None

    async def walk(self) -> AsyncGenerator[User, None]:
        fetch, size, by_id = self.fetch, self.size, self.by_id
        ahead: deque[tuple[int, asyncio.Task[UsersPage]]] = deque()

        def request(offset: int, count: int, *, first: bool = False) -> None:
            task = asyncio.ensure_future(fetch(offset, count))
            if first:
                ahead.appendleft((offset, task))
            else:
                ahead.append((offset, task))

        last_id: str | None = None
        seen: set[str] = set()
        request(0, size)
        next_offset, learning = size, True
        try:
            while ahead:
                start, task = ahead.popleft()
                page = await task
                self.total = page.total
                if not page.users:
                    return  # the end, whatever `total` says: a server whose total lies stops
                end = start + len(page.users)
                if learning and end < page.total:
                    # Above API_Upper_Count_Limit the server clamps `count` without an error
                    # (§5.1): step further offsets by what it really gives.
                    size = min(size, len(page.users))
                learning = False
                if not ahead:
                    next_offset = end
                elif end < ahead[0][0]:
                    # Short in the middle (users deleted meanwhile, a cap lowered): fetch the
                    # gap rather than skip it; overlaps are dropped below as already yielded.
                    request(end, ahead[0][0] - end, first=True)
                while len(ahead) < self.concurrency and next_offset < page.total:
                    request(next_offset, size)
                    next_offset += size
                for user in page.users:
                    # Users created before the walk's position shift the offsets: the users
                    # pushed across a page boundary come back again and are recognised by id.
                    if by_id:
                        if last_id is not None and user.id <= last_id:
                            continue
                        last_id = user.id
                    elif user.id in seen:
                        continue
                    else:
                        seen.add(user.id)
                    yield user
        finally:
            for _, task in ahead:
                task.cancel()
            # Awaited so that no request outlives the walk and no exception goes unretrieved.
            await asyncio.gather(*(task for _, task in ahead), return_exceptions=True)
