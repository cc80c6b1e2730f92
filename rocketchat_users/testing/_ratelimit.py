"""The REST rate limiter: fixed window per (client IP, route) (server-behavior.md §6)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from ._wire import ApiError

WINDOW_LOG_LIMIT = 100_000


@dataclass
class RateWindow:
    """One fixed window of the limiter: its client IP and route (``"POST users.create"``), its
    start (epoch seconds), the calls counted in it and how many of those were refused (429)."""

    ip: str
    route: str
    start: float
    calls: int = 0
    refused: int = 0


@dataclass
class RateLimiter:
    # (calls, seconds) given explicitly; None = the API_Enable_Rate_Limiter_* settings, read
    # per request (Backend.rate_rule).
    default: tuple[int, float] | None
    _windows: dict[tuple[str, str], RateWindow] = field(default_factory=dict)
    log: list[RateWindow] = field(default_factory=list)  # every window, oldest first

    def hit(self, ip: str, route: str, rule: tuple[int, float]) -> dict[str, str]:
        """Record one call; return the X-RateLimit-* headers or raise the 429 (§6.2).

        The call is counted before the check, so calls 1..N pass and N+1 is refused.
        """
        calls, seconds = rule
        now = time.time()
        key = (ip, route)
        window = self._windows.get(key)
        if window is None or now >= window.start + seconds:
            window = RateWindow(ip, route, start=now)
            self._windows[key] = window
            self.log.append(window)
            if len(self.log) > WINDOW_LOG_LIMIT:
                del self.log[: len(self.log) - WINDOW_LOG_LIMIT // 2]
        window.calls += 1
        reset_at = window.start + seconds
        headers = {
            "X-RateLimit-Limit": str(calls),
            "X-RateLimit-Remaining": str(max(0, calls - window.calls)),
            "X-RateLimit-Reset": str(int(reset_at * 1000)),
        }
        if window.calls > calls:
            window.refused += 1
            wait = math.ceil(reset_at - now)
            message = (
                "Error, too many requests. Please slow down. You must wait "
                f"{wait} seconds before trying this endpoint again. [error-too-many-requests]"
            )
            raise ApiError(429, {"success": False, "error": message}, headers)
        return headers
