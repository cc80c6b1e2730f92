"""The exact, ordered, concurrent page walker behind ``rc.users.iter_list*`` and ``iter_pages*``.

Offset paging over a list that changes is not exact by itself: a user deleted before the walk's
position shifts everyone after it one place forward, and the user who crossed the page boundary
is never read. The walk makes it exact by overlap verification:

- each page re-reads the last few users of the previous one (``OVERLAP``, growing under churn);
- a page is a contiguous slice of the sorted list at the moment it was read, so a page whose
  first user lies inside what the walk has already covered leaves no hole behind it: it is
  *trusted*, and extends what is covered to its last user;
- a page that does not reach back (users were deleted before it, or it came back short) is held,
  and the gap before it is read again from an earlier offset, backing off further each time;
  after ``MAX_REFETCHES`` reads without progress the walk raises ``WalkError``.

"Inside what is covered" is ``first id <= highest id covered`` under the default sort
``{"_id": 1}`` (constant memory), and ``first id already yielded`` under a caller's sort or a
server that ignores ``sort`` (a set of every id yielded: memory grows with the walk).
"""

from __future__ import annotations

import asyncio
import logging
from bisect import bisect_right
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from operator import lt

from .errors import WalkError
from .models import User, UsersPage

__all__ = ["BY_ID", "PageWalk", "UserWalk", "WalkStats"]

logger = logging.getLogger("rocketchat_users")

BY_ID = {"_id": 1}
"""The default sort of a walk: a strict order on a key that never changes, so it can be exact."""

OVERLAP = 2
"""Users a page re-reads of the previous one: at the default 100-user cap, 2% more requests."""

CALM_PAGES = 8
"""Pages in a row that reach back, after which a grown overlap halves again."""

MAX_REFETCHES = 12
"""Reads of one gap in a row that bring nothing new before the walk gives up (WalkError)."""

PageFetch = Callable[[int, int], Awaitable[UsersPage]]
"""``(offset, count) -> UsersPage``: one request of the walk."""


@dataclass(frozen=True)
class WalkStats:
    """What a walk did so far (a snapshot: read ``walk.stats`` again for newer figures)."""

    pages_fetched: int = 0
    """Pages received, refetches included."""
    pages_refetched: int = 0
    """Pages requested again to close a gap (users deleted before a page, a short page)."""
    duplicates_skipped: int = 0
    """Users received again and not yielded: the overlaps, and users shifted across pages."""


class _Walk:
    def __init__(
        self, fetch: PageFetch, *, page_size: int = 100, concurrency: int = 4, by_id: bool = True
    ) -> None:
        for name, value in (("page_size", page_size), ("concurrency", concurrency)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, not {type(value).__name__}")
            if value < 1:
                raise ValueError(f"{name} must be at least 1, not {value}")
        self._pager = _Pager(fetch, page_size, concurrency, by_id)
        self._pages: AsyncGenerator[UsersPage, None] | None = None

    @property
    def total(self) -> int | None:
        """The ``total`` of the latest page (None before the first): it may grow mid-walk."""
        return self._pager.total

    @property
    def stats(self) -> WalkStats:
        """Pages fetched and refetched, users skipped as duplicates, so far."""
        pager = self._pager
        return WalkStats(pager.fetched, pager.refetched, pager.duplicates)

    def _started(self) -> AsyncGenerator[UsersPage, None]:
        if self._pages is None:
            # The generator holds no reference back to `self`: when a caller `break`s out of
            # `async for user in rc.users.iter_list()`, both go away and asyncio's async
            # generator finaliser runs its `finally`, which cancels the pages in flight.
            self._pages = self._pager.pages()
        return self._pages

    async def aclose(self) -> None:
        """Stop the walk and cancel the page requests still in flight. Idempotent."""
        await self._started().aclose()  # closed before its start: it will yield nothing


class UserWalk(_Walk):
    """Async iterator of every user a paged endpoint lists, each once, in the server's order.

    The first page is fetched alone: it tells the ``total`` and the server's real page size
    (``count`` above API_Upper_Count_Limit is clamped without an error, §5.1). After it, up to
    ``concurrency`` pages are requested or held ahead of the consumer. Leaving the loop
    early, ``aclose()``, or an error cancels the pages still in flight (a walk kept in a
    variable is only closed by ``aclose()``: wrap it in ``contextlib.aclosing`` to be sure).
    See the module docstring for what makes it exact.

    Made by ``rc.users.iter_list()`` / ``iter_list_by_status()``. Iterating raises
    ``WalkError`` when the walk cannot stay exact, and what a page's request raised.
    """

    def __init__(
        self, fetch: PageFetch, *, page_size: int = 100, concurrency: int = 4, by_id: bool = True
    ) -> None:
        super().__init__(fetch, page_size=page_size, concurrency=concurrency, by_id=by_id)
        self._users: AsyncGenerator[User, None] | None = None

    def _each(self) -> AsyncGenerator[User, None]:
        if self._users is None:
            self._users = _each_user(self._started())
        return self._users

    def __aiter__(self) -> AsyncIterator[User]:
        # `async for` steps the generator itself: its __anext__ is C code, where a Python
        # `async def __anext__` would build and run a coroutine for every user.
        return self._each()

    def __anext__(self) -> Awaitable[User]:
        return self._each().__anext__()

    async def aclose(self) -> None:
        """Stop the walk and cancel the page requests still in flight. Idempotent."""
        await self._each().aclose()
        await super().aclose()


async def _each_user(pages: AsyncGenerator[UsersPage, None]) -> AsyncGenerator[User, None]:
    try:
        async for page in pages:
            for user in page.users:
                yield user
    finally:
        await pages.aclose()  # at once, not whenever the finaliser gets to it


class PageWalk(_Walk):
    """The same walk as ``UserWalk``, one ``UsersPage`` at a time.

    Each page holds the users it adds to the walk (overlaps and duplicates removed, never
    empty), ``count`` their number, ``offset`` where it was read and ``total`` as it said.

    Made by ``rc.users.iter_pages()`` / ``iter_pages_by_status()``; it raises as ``UserWalk``.
    """

    def __aiter__(self) -> AsyncIterator[UsersPage]:
        # As UserWalk: `async for` steps the pages generator itself, no coroutine per page.
        return self._started()

    def __anext__(self) -> Awaitable[UsersPage]:
        return self._started().__anext__()


class _Slot:
    """One page request of the walk: where it was asked, and its answer (possibly held)."""

    __slots__ = ("count", "counted", "offset", "task")

    def __init__(self, offset: int, count: int, task: asyncio.Task[UsersPage]) -> None:
        self.offset, self.count, self.task, self.counted = offset, count, task, False


class _Pager:
    def __init__(self, fetch: PageFetch, size: int, concurrency: int, by_id: bool) -> None:
        self.fetch, self.ask, self.concurrency, self.by_id = fetch, size, concurrency, by_id
        self.total: int | None = None
        self.fetched = self.refetched = self.duplicates = 0

    async def pages(self) -> AsyncGenerator[UsersPage, None]:
        ahead: deque[_Slot] = deque()
        dropped: list[asyncio.Task[UsersPage]] = []
        overlap = OVERLAP
        # Asking `page_size + overlap` costs nothing where the cap allows it; at the cap the
        # server clamps (§5.1) and the walk steps by what it really gives minus the overlap.
        size = self.ask + overlap
        next_offset = 0

        def request(offset: int, *, refetch: bool = False) -> None:
            nonlocal next_offset
            count = self.ask + overlap
            slot = _Slot(offset, count, asyncio.ensure_future(self.fetch(offset, count)))
            if not refetch:
                ahead.append(slot)
                return
            self.refetched += 1
            ahead.appendleft(slot)
            while len(ahead) > self.concurrency:
                # Memory stays within `concurrency` pages: the farthest one is read again later.
                last = ahead.pop()
                last.task.cancel()
                dropped[:] = [task for task in dropped if not task.done()]  # a long walk
                dropped.append(last.task)
                next_offset = min(next_offset, last.offset)

        covered: str | None = None  # by id: every user present throughout up to it was yielded
        seen: set[str] = set()  # otherwise: every id yielded
        yielded = False
        last_end = last_total = 0  # where the last trusted page ended, and its total
        misses = back = dry = calm = 0
        request(0)
        try:
            while ahead:
                slot = ahead.popleft()
                page = await slot.task
                if not slot.counted:
                    slot.counted = True
                    self.fetched += 1
                self.total = page.total
                users = page.users
                if self.by_id:
                    ids = [u.id for u in users]
                    # Strictly ascending, in C loops (it runs for every user): a slice is a
                    # cheaper second iterator than islice.
                    if not all(map(lt, ids, ids[1:])):
                        self._sort_ignored(slot.offset, yielded)
                first = users[0].id if users else None
                if first is None:
                    trusted = slot.offset == 0
                elif self.by_id:
                    trusted = slot.offset == 0 or (covered is not None and first <= covered)
                else:
                    # Any user already yielded will do: the page is contiguous, and what was
                    # walked is one run from the start (the first user may be a new one).
                    trusted = slot.offset == 0 or any(u.id in seen for u in users)
                if not trusted:
                    misses, calm = misses + 1, 0
                    if misses > MAX_REFETCHES:
                        raise WalkError(
                            f"the server changed faster than the walk could verify its pages: "
                            f"{MAX_REFETCHES} reads in a row found no page reaching back to the "
                            f"users already walked (offset {slot.offset}, total {page.total})",
                            offset=slot.offset,
                        )
                    ahead.appendleft(slot)  # held: trusted once the gap before it is read
                    resume = last_end - overlap
                    if slot.offset > resume:
                        offset = resume  # a short page before it: read on from where it ended
                    else:
                        # Users were deleted before this page: back off further each time, and
                        # overlap more from now on, since the server is moving.
                        back = max(2 * overlap, last_total - page.total) if not back else 4 * back
                        overlap = min(2 * overlap, max(OVERLAP, size // 4))
                        offset = max(0, min(slot.offset, resume) - back)
                    request(offset, refetch=True)
                    continue
                if self.by_id:
                    # `ids` ascends (checked above): the users already covered lead it.
                    start = 0 if covered is None else bisect_right(ids, covered)
                    new = users[start:] if start else users
                    if users and (covered is None or users[-1].id > covered):
                        covered = users[-1].id
                else:
                    # Unseen users before a seen one were created behind the walk: leaving
                    # them out keeps the users present throughout in the caller's order.
                    start = next((i for i in range(len(users), 0, -1) if users[i - 1].id in seen),
                                 0)
                    new = [u for u in users[start:] if u.id not in seen]
                    seen.update(u.id for u in new)
                self.duplicates += len(users) - len(new)
                end = slot.offset + len(users)
                # Shorter than the server's pages and nothing new: the end, or a cap lowered
                # just then (a refetch behind the walk); twice in a row, it is the end.
                dry = dry + 1 if not new and len(users) < min(slot.count, size) else 0
                if dry:
                    # Nothing but the overlap came back: read on overlapping by less, so that
                    # the next page shows whether anything follows (a cap as small as it).
                    overlap = max(1, min(overlap, len(users) - 1))
                if end >= page.total or dry == 2:
                    # The list ended within this page when it was read: every user present
                    # throughout has been yielded. (A `total` that lies high ends by `dry`.)
                    if new:
                        yield _added(page, slot.offset, new)
                    return
                if new:
                    misses = back = 0
                    calm += 1
                    if calm == CALM_PAGES and overlap > OVERLAP:
                        overlap, calm = max(OVERLAP, overlap // 2), 0  # quiet again: cheaper
                    elif overlap < OVERLAP < len(users):
                        overlap = OVERLAP  # pages are long enough again
                if len(users) > overlap:
                    # The first page teaches the server's cap; a cap changed mid-walk is
                    # followed the same way: step by what comes back now.
                    size = len(users)
                last_end, last_total = end, page.total
                if not ahead:
                    next_offset = end - overlap
                step = max(1, size - overlap)
                while len(ahead) < self.concurrency and next_offset < page.total:
                    request(next_offset)
                    next_offset += step
                if new:
                    yielded = True
                    yield _added(page, slot.offset, new)
        finally:
            tasks = [slot.task for slot in ahead] + dropped
            for task in tasks:
                task.cancel()
            # Awaited so that no request outlives the walk and no exception goes unretrieved.
            await asyncio.gather(*tasks, return_exceptions=True)

    def _sort_ignored(self, offset: int, yielded: bool) -> None:
        """A page out of id order under the default sort: the server (or a proxy) ignores it."""
        if yielded:
            raise WalkError(
                f"the server stopped honouring sort {BY_ID} mid-walk (the page at offset "
                f"{offset} is not in id order): users already yielded cannot be told from "
                "new ones, so the walk stops rather than lose or repeat users",
                offset=offset,
            )
        logger.warning(
            "users.list ignored sort %s (the page at offset %d is not in id order): walking on "
            "with a set of every id seen, which costs memory for each user walked and is exact "
            "only if the server's own order is stable", BY_ID, offset,
        )
        self.by_id = False


def _added(page: UsersPage, offset: int, users: list[User]) -> UsersPage:
    return UsersPage(users=users, count=len(users), offset=offset, total=page.total)
