"""The deadlines of a Session's calls, on one event-loop timer.

A call must stop at its deadline, and a GET try at its share of it. ``asyncio.timeout_at`` and
aiohttp's ``sock_read`` each schedule timer handles per call (and asyncio orders its timer heap
with a Python ``__lt__``): measured, ~90,000 instructions of the ~140,000 a call cost over bare
aiohttp. Here each deadline is a tuple pushed on one heap, and one timer handle is armed for
the earliest; deadlines of finished calls are dropped lazily. With calls sharing one timeout,
deadlines arrive in order, so the timer is re-armed about once per timeout, not once per call.

An alarm that rings cancels its task, as ``asyncio.timeout`` does; the code around the awaited
block turns that cancellation into its timeout with :meth:`Deadlines.stop`, which tells it
apart from a cancellation of the task from outside. On 3.11+ the task's cancel count does (as
for ``asyncio.timeout``). 3.10 has no count: an alarm does not ring into a task whose
cancellation is already on its way, but an outside ``cancel()`` that comes after the alarm in
the same loop step is taken for the alarm's (the two arrive as one ``CancelledError``).
"""

from __future__ import annotations

import asyncio
import sys
import time
from heapq import heapify, heappop, heappush
from itertools import count

_COMPACT_AT = 64  # finished alarms kept on the heap before it is rebuilt without them
# A timer may fire a little before its time: asyncio by its clock's resolution, uvloop by up to
# half a millisecond (it rounds delays to whole ones). Alarms this close to due ring then, or
# the timer would be re-armed again and again until the clock caught up.
_EARLY = max(time.get_clock_info("monotonic").resolution, 0.001)


if sys.version_info >= (3, 11):

    def _cancelling(task: asyncio.Task[object]) -> int:
        return task.cancelling()

    def _uncancel(alarm: Alarm) -> bool:
        assert alarm.task is not None
        return alarm.task.uncancel() <= alarm.cancelling

    def _cancel_pending(task: asyncio.Task[object]) -> bool:
        return False  # the count tells an outside cancellation apart (_uncancel)

else:

    def _cancelling(task: asyncio.Task[object]) -> int:
        return 0

    def _uncancel(alarm: Alarm) -> bool:
        return True

    def _cancel_pending(task: asyncio.Task[object]) -> bool:
        # 3.10's Task keeps a requested cancellation in these (3.10 will not change now).
        waiter = getattr(task, "_fut_waiter", None)
        return bool(getattr(task, "_must_cancel", False)) or (
            waiter is not None and waiter.cancelled())


class Alarm:
    """One deadline of one task; ``rang`` once its time came before :meth:`Deadlines.stop`.
    ``task`` is None once stopped."""

    __slots__ = ("cancelling", "rang", "task")

    def __init__(self, task: asyncio.Task[object], cancelling: int) -> None:
        self.task: asyncio.Task[object] | None = task
        self.cancelling = cancelling
        self.rang = False


class Deadlines:
    """The alarms of one Session: a heap of ``(when, seq, alarm)`` and one timer handle."""

    __slots__ = ("_armed", "_handle", "_heap", "_live", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Alarm]] = []
        self._seq = count()
        self._live = 0
        self._handle: asyncio.TimerHandle | None = None
        self._armed = float("inf")

    def start(self, when: float) -> Alarm:
        """An alarm for the current task at loop time ``when``."""
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a call must run in an asyncio task")
        alarm = Alarm(task, _cancelling(task))
        heap = self._heap
        heappush(heap, (when, next(self._seq), alarm))
        self._live += 1
        if when < self._armed:
            self._arm(when)
        if len(heap) > 2 * self._live + _COMPACT_AT:
            # Bounded memory: finished alarms would otherwise stay until their time passed.
            heap[:] = [entry for entry in heap if entry[2].task is not None]
            heapify(heap)
        return alarm

    def stop(self, alarm: Alarm) -> bool:
        """The block the alarm covered is over. True when the alarm rang and the cancellation
        it caused is the one to turn into a timeout (no other cancellation of the task is
        pending). Idempotent: only the first stop answers True."""
        if alarm.task is None:
            return False
        self._live -= 1
        ours = alarm.rang and _uncancel(alarm)
        alarm.task = None  # the heap may keep the alarm a while: not the task and its result
        return ours

    def _arm(self, when: float) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle = asyncio.get_running_loop().call_at(when, self._ring)
        self._armed = when

    def _ring(self) -> None:
        self._handle, self._armed = None, float("inf")
        due = asyncio.get_running_loop().time() + _EARLY
        heap = self._heap
        while heap and (heap[0][0] <= due or heap[0][2].task is None):
            alarm = heappop(heap)[2]
            task = alarm.task
            if task is not None and not alarm.rang and not _cancel_pending(task):
                alarm.rang = True
                task.cancel()
        if heap:
            self._arm(heap[0][0])
