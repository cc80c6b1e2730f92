"""Stream every user into a SQLite table, with upserts: rerunning updates rows, never doubles them.

    python examples/export_sqlite.py              # the embedded emulator's users
    python examples/export_sqlite.py /srv/rc/users.db

Without ``ROCKETCHAT_URL`` it starts the embedded emulator (2,500 users) and acts as its admin,
writing ``emulator-users.db`` by default so that a real server's ``users.db`` is never touched;
otherwise set ``ROCKETCHAT_URL``, ``ROCKETCHAT_USER_ID`` and ``ROCKETCHAT_AUTH_TOKEN`` (an
admin's token shows e-mails and roles) and the default is ``users.db``. Users come from
``rc.users.iter_list``, the exact walk: each user present for the whole run is read once, so
after a complete run the rows of users the server no longer has are deleted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
from contextlib import AsyncExitStack, aclosing, closing
from datetime import datetime, timezone
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator

BATCH = 500  # rows per transaction
SCHEMA = """CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, username TEXT, name TEXT, email TEXT, active INTEGER, roles TEXT,
    type TEXT, status TEXT, created_at TEXT, last_login TEXT, seen_at TEXT NOT NULL)"""
COLUMNS = ("id", "username", "name", "email", "active", "roles", "type", "status",
           "created_at", "last_login", "seen_at")
UPSERT = (f"INSERT INTO users ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
          " ON CONFLICT(id) DO UPDATE SET "
          + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:]))
Row = tuple[str, str | None, str | None, str | None, bool | None, str, str | None, str | None,
            str | None, str | None, str]


def row(user: rcu.User, seen_at: str) -> Row:
    email = user.emails[0].address if user.emails else None
    return (user.id, user.username, user.name, email, user.active, ",".join(user.roles or ()),
            user.type, user.status, user.created_at.isoformat() if user.created_at else None,
            user.last_login.isoformat() if user.last_login else None, seen_at)


def write(db: sqlite3.Connection, rows: list[Row]) -> None:
    # One transaction per batch: committed on leaving `with db`, rolled back on an error.
    # A batch takes milliseconds; a slower disk would call for asyncio.to_thread.
    with db:
        db.executemany(UPSERT, rows)


async def export(rc: rcu.Session, db: sqlite3.Connection) -> int:
    """Upsert every user; returns how many were written."""
    db.execute(SCHEMA)
    seen_at = datetime.now(timezone.utc).isoformat()
    written = 0
    batch: list[Row] = []
    walk = rc.users.iter_list(fields={"createdAt": 1})  # added to the default projection
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn()) as progress:
        task = progress.add_task("users", total=None)  # known once the first page is in
        async with aclosing(walk):
            async for user in walk:
                batch.append(row(user, seen_at))
                if len(batch) == BATCH:
                    write(db, batch)
                    written += len(batch)
                    batch.clear()
                    progress.update(task, total=walk.total, completed=written)
        write(db, batch)
        written += len(batch)
        progress.update(task, total=written, completed=written)
    with db:  # the walk was complete: whoever it did not see is gone from the server
        gone = db.execute("DELETE FROM users WHERE seen_at <> ?", (seen_at,)).rowcount
    print(f"{written} users written, {gone} rows of deleted users removed")
    return written


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path, nargs="?",
                        help="default: users.db, emulator-users.db for the demo")
    args = parser.parse_args(argv)
    async with AsyncExitStack() as stack:
        if url := os.environ.get("ROCKETCHAT_URL"):
            user_id, token = os.environ["ROCKETCHAT_USER_ID"], os.environ["ROCKETCHAT_AUTH_TOKEN"]
            default = Path("users.db")
        else:
            server = await stack.enter_async_context(Emulator(users=2500, seed=1))
            url, user_id, token = server.url, server.admin.user_id, server.admin.auth_token
            # The final DELETE drops every row the walk did not see: in a real server's file,
            # all of them. The demo keeps to a file of its own.
            default = Path("emulator-users.db")
        rc = await stack.enter_async_context(rcu.Session(url, user_id=user_id,
                                                         auth_token=token))
        with closing(sqlite3.connect(args.database or default)) as db:
            await export(rc, db)


if __name__ == "__main__":
    asyncio.run(main())
