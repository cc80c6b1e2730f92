"""A bot's presence map kept current with ``watch_presence``, against the embedded emulator.

Against a real server use ``interval=10`` or so; this demo polls fast and stops by itself.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator


async def main() -> None:
    async with Emulator(users=200, seed=4) as server:
        admin = server.admin
        async with rcu.Session(server.url, user_id=admin.user_id,
                               auth_token=admin.auth_token) as rc:
            online: dict[str, str] = {}
            people = (await rc.users.list(count=3, sort={"_id": 1})).users
            async with aclosing(rc.users.watch_presence(interval=0.2)) as batches:
                async for batch in batches:
                    if batch.full:
                        online = {u.username or u.id: u.status or "" for u in batch.users}
                        print(f"full map: {len(online)} users online")
                    for user in [] if batch.full else batch.users:
                        name = user.username or user.id
                        if user.status == "offline":
                            online.pop(name, None)
                        else:
                            online[name] = user.status or ""
                        print(f"  {name} is now {user.status}")
                    if not people:
                        break
                    # Somebody's client connects or leaves before the next poll.
                    person = people.pop()
                    server.set_connection_status(person.id, "away")
            print(f"now {len(online)} users online")


if __name__ == "__main__":
    asyncio.run(main())
