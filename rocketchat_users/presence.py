"""``rc.users.watch_presence``: presence delta polling (DESIGN §1, server-behavior.md §7.1)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import TYPE_CHECKING

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
