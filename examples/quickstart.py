"""Quick start against the embedded emulator: run ``python examples/quickstart.py``.

Point ``Session`` at your own server (and drop the Emulator) to do the same for real.
"""

from __future__ import annotations

import asyncio

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator


async def main() -> None:
    async with Emulator(users=250, seed=1) as server:
        async with rcu.Session(server.url) as rc:
            me = await rc.login(server.admin.username, server.admin.password)
            print(f"logged in as {me.username} ({', '.join(me.roles or [])})")

            page = await rc.users.list(count=5, sort={"username": 1})
            print(f"{page.total} users; first {page.count}:")
            for user in page.users:
                print(f"  {user.username:<24} {user.name or '':<28} {user.status}")

            bob = await rc.users.create(email="bob@example.org", name="Bob Example",
                                        username="bob.example", password="A-long-Passw0rd!")
            print(f"created {bob.username} with id {bob.id}")
            try:
                await rc.users.create(email="bob2@example.org", name="Bob Again",
                                      username="bob.example", password="A-long-Passw0rd!")
            except rcu.BadRequestError as exc:
                print(f"refused as expected: {exc}")
            try:
                await rc.users.info(username="no-such-user")
            except rcu.UserNotFoundError as exc:
                print(f"not found: {exc.error}")


if __name__ == "__main__":
    asyncio.run(main())
