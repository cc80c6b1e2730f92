"""The emulator's fault plan, and what it saw of each POST (to count what was applied)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Faults:
    """Faults the emulator injects, each a fraction of all requests (one draw per request from
    the emulator's ``seed``, so a run is repeatable given the same order of requests).

    - ``drop``: the connection closes before the handler runs: nothing done, no answer.
    - ``bad_gateway``: a proxy's HTML 502 page before the handler runs: nothing done.
    - ``lost_answer``: the handler runs (a POST is applied), then the connection closes with
      no answer: the client cannot know the outcome.
    - ``slow``: the request waits ``slow_seconds`` before the handler runs, and the handler
      runs even if the client has given up meanwhile (a POST is then applied after its caller
      saw a timeout).

    ``Emulator(error_rate=e)`` is ``Faults(drop=e / 2, bad_gateway=e / 2)``.
    """

    drop: float = 0.0
    bad_gateway: float = 0.0
    lost_answer: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 5.0

    def __post_init__(self) -> None:
        rates = {"drop": self.drop, "bad_gateway": self.bad_gateway,
                 "lost_answer": self.lost_answer, "slow": self.slow}
        for name, rate in rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"Faults.{name} must be a fraction between 0 and 1, got {rate}")
        if sum(rates.values()) > 1.0:
            raise ValueError("the fault fractions add up to more than 1")
        if self.slow_seconds < 0:
            raise ValueError(f"Faults.slow_seconds must not be negative, got {self.slow_seconds}")

    @property
    def any(self) -> bool:
        """True when some fault is on."""
        return self.drop + self.bad_gateway + self.lost_answer + self.slow > 0


@dataclass
class PostRecord:
    """One POST the emulator received.

    ``route`` (``users.create``), ``body`` (the raw JSON body; ``b""`` for other content
    types), ``applied`` (its handler ran and succeeded, whether or not the answer got through),
    ``status`` (the answer the client could see: None when the connection was cut, by a
    ``drop`` or ``lost_answer`` fault, or while the request is still held) and ``error_type``
    (the answer's ``errorType``, e.g. ``totp-required``).
    """

    route: str
    body: bytes
    applied: bool = False
    status: int | None = None
    error_type: str | None = None
