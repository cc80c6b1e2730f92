"""``rc.users.watch_presence``: presence delta polling (DESIGN §1, server-behavior.md §7.1)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

import anyio
import msgspec

from .models import PresenceBatch, User

if TYPE_CHECKING:
    from .api.users import UsersAPI

logger = logging.getLogger("rocketchat_users")

# §7.1: a `from` older than 10 minutes counts as absent; 540 s leaves a minute for slow answers.
MAX_INTERVAL = 540.0
# The Date header has whole seconds: stepping back one keeps changes made in the previous
# answer's last second (the overlap they bring is filtered out against the known map).
OVERLAP = timedelta(seconds=1)
# 8.x http-router parses queries with qs {arrayLimit: 500, throwOnLimitExceeded: true}: a 501st
# ids= value is a 400. The comma form (ids=a,b) is one value, but one URL holding a big roster
# outgrows Node's 16 KiB header limit (431), and nginx's default 8 KiB request-line buffer
# (414) sooner; so both forms need chunking, and repeated ids= works on every 8.x server.
# A chunk holds at most 500 ids and about 6 KiB of them, leaving room for path and `from`.
IDS_PER_REQUEST = 500
ID_BYTES_PER_REQUEST = 6144


def _chunks(ids: list[str]) -> list[list[str]]:
    chunks: list[list[str]] = [[]]
    size = 0
    for uid in dict.fromkeys(ids):  # an id asked twice is asked once
        cost = len(quote(uid, safe="")) + len("&ids=")
        if chunks[-1] and (len(chunks[-1]) == IDS_PER_REQUEST
                           or size + cost > ID_BYTES_PER_REQUEST):
            chunks.append([])
            size = 0
        chunks[-1].append(uid)
        size += cost
    return chunks


async def presence_in_chunks(
    ask: Callable[[list[str] | None, float], Awaitable[PresenceBatch]],
    ids: list[str] | None,
    timeout: float,
) -> PresenceBatch:
    """users.presence for any number of ids, in chunks (see above): one batch, one budget.

    The merged batch is ``full`` only if every answer was (the server answers full with no
    users when presence broadcast is off) and carries the earliest ``fetched_at``, so a later
    ``from`` never skips a change made between the requests.
    """
    chunks = [ids] if ids is None else _chunks(ids)
    if len(chunks) == 1:
        return await ask(chunks[0], timeout)
    deadline = anyio.current_time() + timeout
    batches: list[PresenceBatch] = []
    for chunk in chunks:
        left = max(deadline - anyio.current_time(), 0.001)
        batches.append(await ask(chunk, left))
    users = {user.id: user for batch in batches for user in batch.users}
    return PresenceBatch(users=list(users.values()), full=all(b.full for b in batches),
                         fetched_at=min(b.fetched_at for b in batches))


def watch_presence(
    users: UsersAPI, *, interval: float = 10.0, ids: list[str] | None = None
) -> AsyncGenerator[PresenceBatch, None]:
    """Poll users.presence every ``interval`` seconds, measured from the start of each poll.

    The first batch is ``full``: the whole map of users not offline (with ``ids``, of those
    users); replace yours with it. Each later poll yields one batch (possibly empty) of the
    users whose presence item changed since the previous batch; a user who went offline comes
    with status ``offline``. A later ``full`` batch (the server ignored ``from``) again replaces
    the map. Arguments are checked at once, not on the first iteration.
    """
    if not 0 < interval <= MAX_INTERVAL:  # also refuses NaN
        raise ValueError(f"interval must be > 0 and <= {MAX_INTERVAL:g} s, got {interval!r}")
    if ids is not None and not ids:
        # users.presence without ids answers about everyone: never what an empty list means.
        raise ValueError("ids must not be empty")
    return _watch(users, interval, ids)


async def _watch(
    users: UsersAPI, interval: float, ids: list[str] | None
) -> AsyncGenerator[PresenceBatch, None]:
    loop = asyncio.get_running_loop()
    known: dict[str, User] = {}  # what the consumer holds: users not offline, as last yielded
    previous: PresenceBatch | None = None
    warned = False
    while True:
        started = loop.time()
        # §7.1: with ids the server ignores `from`, so it is not sent.
        since = None if previous is None or ids else previous.fetched_at - OVERLAP
        answer = await users.presence(from_=since, ids=ids)
        if previous is None or answer.full:
            if previous is not None and not answer.users and not warned:
                warned = True
                logger.warning("users.presence answered an empty full map to a later poll: "
                               "presence broadcast is off on the server; polling goes on")
            known = {user.id: user for user in answer.users}
            # With ids the server says full=false, yet the first answer is the whole map.
            batch = msgspec.structs.replace(answer, full=True)
        else:
            batch = msgspec.structs.replace(answer, users=_changes(known, answer.users, ids))
        previous = answer
        yield batch
        # Between yields nothing is pending, so a consumer's break or aclose() ends it here.
        await asyncio.sleep(max(0.0, started + interval - loop.time()))


def _changes(known: dict[str, User], answer: list[User], ids: list[str] | None) -> list[User]:
    """Update ``known`` from a full=false answer; return what differs from it."""
    changed: list[User] = []
    for user in answer:
        if (user.status or "offline") == "offline":
            # A `from` delta lists offline users too; news only if we had them online.
            if known.pop(user.id, None) is not None:
                changed.append(user)
        elif known.get(user.id) != user:
            known[user.id] = user
            changed.append(user)
    if ids:
        # An ids answer lists only users not offline: whoever dropped out went offline.
        listed = {user.id for user in answer}
        for gone in [uid for uid in known if uid not in listed]:
            was = known.pop(gone)
            changed.append(User(id=gone, username=was.username, name=was.name, status="offline"))
    return changed
