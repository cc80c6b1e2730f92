"""A bot that greets people as they come online, with ``rc.users.watch_presence``.

    python examples/presence_bot.py                # demo on the embedded emulator, then stop
    python examples/presence_bot.py --polls 360    # with ROCKETCHAT_URL: an hour at 10 s a poll

Without ``ROCKETCHAT_URL`` (or with ``--demo``) it starts the embedded emulator, polls fast,
has a few users connect between polls and stops. Against a real server set ``ROCKETCHAT_URL``,
``ROCKETCHAT_USER_ID`` and ``ROCKETCHAT_AUTH_TOKEN``; it polls every ``--interval`` seconds
until Ctrl-C, or ``--polls`` polls.

Coming online is going from offline to any other status: who is online when the bot starts is
not greeted, nor someone going from away to online.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Callable
from contextlib import aclosing

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator


async def greet_arrivals(rc: rcu.Session, *, interval: float, polls: int | None = None,
                         between_polls: Callable[[int], None] | None = None) -> list[str]:
    """Greet each user who comes online, for ``polls`` polls (None: forever); returns who."""
    online: set[str] = set()  # ids of the users not offline
    greeted: list[str] = []
    poll = 0
    async with aclosing(rc.users.watch_presence(interval=interval)) as batches:
        async for batch in batches:
            poll += 1
            for user in batch.users:
                if user.status == "offline":
                    online.discard(user.id)
                elif user.id not in online:
                    online.add(user.id)
                    if poll > 1:  # the first batch is who was online before the bot started
                        # A real bot would post a direct message here (chat.postMessage).
                        print(f"Hello {user.name or user.username}, welcome back!")
                        greeted.append(user.username or user.id)
            if batch.full:  # the whole map: who is absent from it is offline
                online = {user.id for user in batch.users}
            if poll == polls:
                break
            if between_polls:
                between_polls(poll)
    return greeted


async def demo(server: Emulator, rc: rcu.Session, interval: float = 0.1
               ) -> tuple[list[str], list[str]]:
    """Between polls some of the emulator's users connect, change status or leave; returns
    (who came online, who was greeted)."""
    people = [u async for u in rc.users.iter_list() if u.type == "user" and u.active]
    off = [u for u in people if u.status == "offline"][:3]
    on = next(u for u in people if u.status == "online")
    steps = {1: [(off[0], "online"), (on, "away")],    # away: still connected, no greeting
             2: [(off[1], "busy"), (off[0], "offline")],
             3: [(off[2], "away"), (off[0], "online")]}  # off[0] comes back: greeted again
    came_online: list[str] = []

    def between_polls(poll: int) -> None:
        for user, status in steps.get(poll, []):
            was = (server.get_user(user.id) or {}).get("status")
            print(f"  ({user.username}: {was} -> {status})")
            server.set_connection_status(user.id, status)
            if was == "offline" and status != "offline":
                came_online.append(str(user.username))

    greeted = await greet_arrivals(rc, interval=interval, polls=len(steps) + 1,
                                   between_polls=between_polls)
    return came_online, greeted


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", action="store_true",
                        help="the embedded emulator, a few users connecting, then stop "
                             "(the default without ROCKETCHAT_URL)")
    parser.add_argument("--polls", type=int, help="stop after this many polls")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between polls")
    args = parser.parse_args(argv)
    url = os.environ.get("ROCKETCHAT_URL")
    if url and not args.demo:
        async with rcu.Session(url, user_id=os.environ["ROCKETCHAT_USER_ID"],
                               auth_token=os.environ["ROCKETCHAT_AUTH_TOKEN"]) as rc:
            await greet_arrivals(rc, interval=args.interval, polls=args.polls)
        return
    async with Emulator(users=200, seed=4) as server, rcu.Session(
            server.url, user_id=server.admin.user_id, auth_token=server.admin.auth_token) as rc:
        came_online, greeted = await demo(server, rc)
    print(f"{len(came_online)} came online, {len(greeted)} greeted")


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
