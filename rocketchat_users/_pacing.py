"""Rate-limit pacing: calls wait for the reset instead of being sent into a sure 429.

The server keys its limiter per client IP and route (server-behavior §6.1) and says, on every
answer of a limited route, ``X-RateLimit-Limit`` (calls per window), ``X-RateLimit-Remaining``
(calls left after this one) and ``X-RateLimit-Reset`` (the window's end, epoch milliseconds).
One :class:`_Route` per row keeps what the latest answer said and a *budget*: how many more
calls may go out before the reset without one being refused.

The budget is a lower bound, never a guess. When an answer says ``Remaining = R`` while ``F``
other calls of the route are still in flight, those ``F`` may still be counted after it, so at
most ``R - F`` more may go; each call sent afterwards takes one from it. Another client on the
same IP spends the same window, so of two bounds from one window the lower holds. A window
that ends with no new answer allows ``Limit - F``: calls in flight may be counted in the next
one. Calls that find no budget queue in order and are let go as budget returns, at most
``Limit`` per window; while the reset is unknown (the window just ended) they wait for the
next answer, and a route with nothing in flight lets one call go to learn it.

A 429 that still names a window this clock took for over means the server's clock is behind
ours: the window is reopened, later resets are awaited longer (the estimate doubles with each
such 429), and each new window is tried by one call before the others follow.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from .errors import RateLimitError

logger = logging.getLogger("rocketchat_users")

# Answers of one window may differ in their Reset by a few milliseconds (the server adds its
# own clock's time to the time left); a newer window ends at least one window later.
_SAME_WINDOW_MS = 50.0
# Reset is whole milliseconds, rounded down: wake a little after it, not a little before.
_MARGIN = 0.010
_LATEST_RESET_MS = 253_402_300_799_999.0  # 9999-12-31T23:59:59.999Z


@dataclass(frozen=True)
class RateLimit:
    """What the server said about one route's rate limit in its latest answer (read-only).

    ``limit`` calls per window, ``remaining`` calls left after that answer, the window's end
    ``reset_at`` (UTC), and ``waiting``: calls of this Session queued for the reset right now.
    """

    limit: int
    remaining: int
    reset_at: datetime
    waiting: int = 0


class _Route:
    """The pacing state of one route (one endpoint row)."""

    __slots__ = (
        "budget",
        "in_flight",
        "label",
        "limit",
        "logged",
        "probing",
        "remaining",
        "reset_at",
        "reset_ms",
        "skew",
        "timer",
        "waiters",
    )

    def __init__(self, label: str) -> None:
        self.label = label
        self.limit = 0
        self.remaining = 0
        self.reset_ms: float | None = None  # the server's Reset: tells one window from the next
        self.reset_at: float | None = None  # the same in loop time; None: end unknown
        self.budget: int | None = None  # calls that may go now; None: the route is not paced
        self.in_flight = 0
        self.waiters: deque[asyncio.Future[None]] = deque()
        self.timer: asyncio.TimerHandle | None = None
        self.logged = False  # this window's wait was logged
        self.skew = 0.0  # how far the server's clock is behind ours, as far as 429s showed
        self.probing = False  # a 429 showed the skew: a new window is tried by one call first

    # ---- sending ------------------------------------------------------------------------------

    def take(self) -> bool:
        """Take a slot without waiting, if one is free and nobody is queued before us."""
        if self.budget is None and not self.waiters:
            self.in_flight += 1
            return True
        if not self.waiters and self._may_send(asyncio.get_running_loop().time()):
            self._grant_one()
            return True
        return False

    async def wait(self, deadline: float) -> None:
        """Queue for a slot; the caller has found none free (:meth:`take` said False).

        Raises :class:`RateLimitError` at once when the window ends after ``deadline`` (the
        call could only time out). Cancellation (the call's timeout too) leaves the queue.
        """
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self.reset_at is not None and self.reset_at > deadline and (self.budget or 0) <= 0:
            raise self._too_late()
        if not self.logged:
            self.logged = True
            if self.reset_at is not None:
                logger.info("rate limit of %s (%d calls per window) reached: calls wait "
                            "%.1f s for the reset", self.label, self.limit, self.reset_at - now)
            else:
                logger.info("rate limit of %s (%d calls per window): calls wait for the "
                            "next window", self.label, self.limit)
        future: asyncio.Future[None] = loop.create_future()
        self.waiters.append(future)
        self._arm(loop)
        try:
            await future
        except BaseException:
            if future.done() and not future.cancelled():
                self.in_flight -= 1  # granted, then cancelled before it could go: give it back
                if self.budget is not None:
                    self.budget += 1
            else:
                future.cancel()
                try:
                    self.waiters.remove(future)
                except ValueError:
                    pass
            self._grant()
            raise

    def settle(self, headers: Mapping[str, str] | None, status: int = 0, *,
               refund: bool = False) -> None:
        """One call of the route is over: learn from its answer's headers (None: no answer).

        ``refund``: the request was never written, so the server did not count it.
        """
        self.in_flight -= 1
        if headers is None:
            if refund and self.budget is not None:
                self.budget += 1
        elif (facts := _facts(headers)) is not None:
            self._learn(*facts, refused=status == 429)
        elif self.reset_ms is not None and 200 <= status < 300 \
                and "X-RateLimit-Limit" not in headers:
            # A success without the headers: the route is not limited for this caller (bypass,
            # limiter off). Refusals tell nothing: the server checks auth and the request's
            # schema before its limiter, and a 5xx may be a proxy's page.
            self._forget()
        if self.waiters:
            self._grant()

    # ---- what the server said -----------------------------------------------------------------

    def _learn(self, limit: int, remaining: int, reset_ms: float, *, refused: bool) -> None:
        known = self.reset_ms
        if known is not None and reset_ms < known - _SAME_WINDOW_MS:
            return  # an answer of an older window
        self.limit, self.remaining = limit, remaining
        bound = remaining - self.in_flight
        if known is not None and reset_ms <= known + _SAME_WINDOW_MS:  # the same window
            if self.reset_at is None:
                if not refused:
                    return  # a late answer, counted before that window's end
                # Refused in a window we took for over: this clock is ahead of the server's, by
                # at least this much. The estimate doubles on each such refusal, and from now on
                # a new window is tried by one call before the rest follow.
                self.skew = max(self.skew * 2, time.time() - reset_ms / 1000, 0.01)
                self.probing = True
                self._open(reset_ms, bound)
            else:
                # Another client on the same IP spends the same window: the lower bound holds.
                self.budget = bound if self.budget is None else min(self.budget, bound)
            return
        self._open(reset_ms, bound)

    def _open(self, reset_ms: float, budget: int) -> None:
        """A window the server is counting in, ending at ``reset_ms`` (its clock)."""
        loop = asyncio.get_running_loop()
        self.reset_ms = reset_ms
        self.reset_at = loop.time() + reset_ms / 1000 + self.skew - time.time() + _MARGIN
        self.budget = budget
        self.logged = False
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _forget(self) -> None:
        self.budget = self.reset_ms = self.reset_at = None
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def snapshot(self) -> RateLimit | None:
        if self.reset_ms is None:
            return None
        return RateLimit(self.limit, self.remaining,
                         datetime.fromtimestamp(self.reset_ms / 1000, timezone.utc),
                         sum(1 for f in self.waiters if not f.done()))

    # ---- letting calls go ---------------------------------------------------------------------

    def _may_send(self, now: float) -> bool:
        if self.reset_at is not None and now >= self.reset_at:
            # The window is over; its successor starts with the next call the server counts,
            # which may be one still in flight.
            self.reset_at = None
            self.budget = self.limit - self.in_flight
            if self.probing:
                self.budget = min(self.budget, 1 - self.in_flight)
            self.logged = False
        if self.budget is None or self.budget > 0:
            return True
        # The end of the window is unknown and no answer is coming to tell it: one call goes.
        return self.reset_at is None and self.in_flight == 0

    def _grant_one(self) -> None:
        if self.budget is not None:
            self.budget -= 1
        self.in_flight += 1

    def _grant(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self.waiters and self._may_send(now):
            future = self.waiters.popleft()
            if future.done():
                continue  # cancelled while queued
            self._grant_one()
            future.set_result(None)
        if self.waiters:
            self._arm(loop)

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.timer is None and self.reset_at is not None:
            self.timer = loop.call_at(self.reset_at, self._on_reset)

    def _on_reset(self) -> None:
        self.timer = None
        self._grant()

    def _too_late(self) -> RateLimitError:
        reset_ms = self.reset_ms or 0.0
        seconds = max(0.0, reset_ms / 1000 - time.time())
        reset_at = datetime.fromtimestamp(reset_ms / 1000, timezone.utc)
        return RateLimitError(
            status=429,
            error=(f"not sent: the rate limit of {self.label} ({self.limit} calls per window) "
                   f"resets in {seconds:.1f} s, after this call's deadline"),
            endpoint=self.label, limit=self.limit, remaining=0, reset_at=reset_at,
            retry_after=seconds,
        )


def _facts(headers: Mapping[str, str]) -> tuple[int, int, float] | None:
    limit = headers.get("X-RateLimit-Limit")
    if limit is None:
        return None
    limit = limit.strip()
    remaining = (headers.get("X-RateLimit-Remaining") or "").strip()
    reset = (headers.get("X-RateLimit-Reset") or "").strip()
    if not all(v.isascii() and v.isdigit() for v in (limit, remaining, reset)):
        return None  # not what the server sends: nothing to pace by
    if float(reset) > _LATEST_RESET_MS:
        return None  # not epoch milliseconds a datetime can hold
    return int(limit), int(remaining), float(reset)
