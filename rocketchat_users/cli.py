"""``rocketchat-users``: the demo, the standalone emulator, and export or sync against a real
server.

Only this module imports rich, so that ``import rocketchat_users`` stays light. It uses the
public API alone.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import secrets
import sys
import time
from collections.abc import Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO

import msgspec
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import APIError, RocketChatError, Session, User, __version__, bulk, sync
from .sync import strong_password

PAGE = 100  # the server's default API_Upper_Count_Limit
PAGES_IN_FLIGHT = 4
CSV_COLUMNS = ("id", "username", "name", "email", "active", "roles", "status", "type",
               "created_at", "last_login")

# Columns of export's CSV that sync cannot manage: skipped, so an export can be edited and synced.
EXPORT_ONLY = frozenset({"id", "status", "type", "created_at", "last_login"})
SHOWN = 5  # entries per kind in sync's tables

console = Console(stderr=True)


# ---- export ----------------------------------------------------------------------------------


class Writer:
    """users.jsonl (the user documents as the API gives them) or a flat CSV."""

    def __init__(self, out: IO[bytes], fmt: str) -> None:
        self._out = out
        self._csv = None
        if fmt == "csv":
            self._text = open(out.fileno(), "w", newline="", encoding="utf-8", closefd=False)
            self._csv = csv.writer(self._text)
            self._csv.writerow(CSV_COLUMNS)
        self._encoder = msgspec.json.Encoder()

    def write(self, users: Sequence[User]) -> None:
        if self._csv is None:
            self._out.write(b"".join(self._encoder.encode(u) + b"\n" for u in users))
            return
        for u in users:
            email = u.emails[0].address if u.emails else u.email
            self._csv.writerow([
                u.id, u.username, u.name, email, u.active, ";".join(u.roles or ()), u.status,
                u.type, u.created_at.isoformat() if u.created_at else "",
                u.last_login.isoformat() if u.last_login else "",
            ])

    def flush(self) -> None:
        if self._csv is not None:
            self._text.flush()
        self._out.flush()


def _progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console)


async def export_users(rc: Session, writer: Writer) -> int:
    """Every user, in ``_id`` order, a few pages requested ahead; returns how many."""
    written = 0
    batch: list[User] = []
    walk = rc.users.iter_list(page_size=PAGE, concurrency=PAGES_IN_FLIGHT)
    with _progress() as progress:
        task = progress.add_task("exporting", total=None)
        async with aclosing(walk):
            async for user in walk:
                batch.append(user)
                if len(batch) == PAGE:
                    writer.write(batch)
                    written += len(batch)
                    batch.clear()
                    progress.update(task, total=walk.total, completed=written)
        writer.write(batch)
        written += len(batch)
        progress.update(task, total=written, completed=written)
    return written


# ---- demo ------------------------------------------------------------------------------------


@dataclass
class Steps:
    rows: list[tuple[str, str, float]] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def done(self, step: str, what: str, since: float) -> float:
        now = time.perf_counter()
        self.rows.append((step, what, now - since))
        return now

    def table(self) -> Table:
        table = Table(title="rocketchat-users demo (embedded emulator)")
        table.add_column("step")
        table.add_column("result")
        table.add_column("seconds", justify="right")
        for step, what, seconds in self.rows:
            table.add_row(step, what, f"{seconds:.2f}")
        table.add_row("[bold]total", "", f"[bold]{time.perf_counter() - self.started:.2f}")
        return table


async def demo(users: int, seed: int, out: Path, creates: int) -> None:
    from .testing import Emulator

    steps = Steps()
    mark = steps.started
    async with Emulator(users=users, seed=seed) as server:
        mark = steps.done("start emulator", f"{users:,} users seeded at {server.url}", mark)
        async with Session(server.url, max_connections=16) as rc:
            me = await rc.login(server.admin.username, server.admin.password)
            mark = steps.done("login", f"as {me.username}", mark)

            with out.open("wb") as f:
                writer = Writer(f, "jsonl")
                count = await export_users(rc, writer)
                writer.flush()
                mark = steps.done("export users.list", f"{count:,} users -> {out}", mark)

                snapshot = await rc.users.presence()
                mark = steps.done("presence snapshot", f"{len(snapshot.users):,} online", mark)
                # Some users step away; a delta poll from the snapshot's server time sees them.
                page = await rc.users.list(count=25, offset=0, sort={"_id": 1},
                                           query={"active": True})
                for user in page.users:
                    await rc.users.set_status(status="away", user_id=user.id)
                delta = await rc.users.presence(from_=snapshot.fetched_at - timedelta(seconds=1))
                mark = steps.done("presence delta", f"{len(delta.users)} changed", mark)

                created, failed = await create_users(rc, creates)
                writer.write(created)
                writer.flush()
                refused = f", {len(failed)} refused" if failed else ""
                steps.done("create users", f"{len(created)} created{refused}, 8 at a time", mark)
    console.print(steps.table())
    for username, exc in failed:
        console.print(f"[red]not created[/red] {username}: {exc}")


async def create_users(
    rc: Session, count: int, concurrency: int = 8
) -> tuple[list[User], list[tuple[str, Exception]]]:
    """Create ``count`` users, ``concurrency`` at a time; one failure does not stop the rest."""
    stamp = secrets.token_hex(3)
    people = [{"username": f"demo.{stamp}.{i}", "name": f"Demo User {i}",
               "email": f"demo.{stamp}.{i}@example.org", "password": strong_password(),
               "require_password_change": True} for i in range(count)]
    with _progress() as progress:
        task = progress.add_task("creating", total=count)
        report = await bulk(rc.users.create, people, concurrency=concurrency,
                            on_progress=lambda done, _: progress.update(task, completed=done))
    created = [user for _, user in report.succeeded]
    # Only the username: the items hold passwords.
    return created, [(str(item["username"]), exc) for item, exc in report.failed]


# ---- sync ------------------------------------------------------------------------------------


def read_desired(path: Path) -> list[dict[str, object]]:
    """The records of a .json array, a .jsonl file or a .csv with a header row."""
    suffix, text = path.suffix.lower(), path.read_text(encoding="utf-8")
    if suffix in (".json", ".jsonl"):
        records = (json.loads(text) if suffix == ".json" else
                   [json.loads(line) for line in text.splitlines() if line.strip()])
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ValueError(f"{path}: expected JSON objects (in an array for .json)")
        return records
    if suffix == ".csv":
        rows = csv.DictReader(io.StringIO(text, newline=""))
        return [_csv_record(path, rows.line_num, row) for row in rows]
    raise ValueError(f"{path}: expected a .json, .jsonl or .csv file")


def _csv_record(path: Path, line: int, row: dict[str | None, str | None]) -> dict[str, object]:
    record: dict[str, object] = {}
    for column, cell in row.items():
        if column is None:
            raise ValueError(f"{path}:{line}: more cells than columns")
        if column in EXPORT_ONLY or cell is None or not cell.strip():
            continue  # an empty cell leaves the field as the server has it
        if column == "roles":
            record[column] = [role.strip() for role in cell.split(";") if role.strip()]
        elif column == "active":
            if cell.strip().lower() not in ("true", "false"):
                raise ValueError(f"{path}:{line}: active must be true or false, not {cell!r}")
            record[column] = cell.strip().lower() == "true"
        else:
            record[column] = cell
    return record


def _changes_table(title: str, kinds: dict[str, list[sync.Change]]) -> Table:
    """Counts and the first few usernames (or ids) per kind: never a record's other fields."""
    table = Table(title=title)
    table.add_column("kind")
    table.add_column("count", justify="right")
    table.add_column("first ones")
    for kind, changes in kinds.items():
        names = [escape(c.username or c.user_id or "(new)") for c in changes[:SHOWN]]
        more = ", …" if len(changes) > SHOWN else ""
        table.add_row(kind, f"{len(changes):,}", ", ".join(names) + more)
    return table


def _verb(change: sync.Change) -> str:
    if change.user_id is None:
        return "create"
    active = change.data.active
    return "update" if isinstance(active, msgspec.UnsetType) else \
        "reactivate" if active else "deactivate"


async def sync_command(args: argparse.Namespace) -> int:
    desired = read_desired(args.file)
    async with Session(args.url, user_id=args.user_id, auth_token=args.token) as rc:
        try:
            plan = await sync.plan(rc, desired, key=args.key,
                                   deactivate_missing=args.deactivate_missing)
        except TypeError as exc:  # a bad record is a bad file: one clean line, like ValueError
            raise ValueError(str(exc)) from exc
        if args.dry_run:
            Console().print(_changes_table("sync plan (dry run: nothing changed)", {
                "create": plan.creates, "update": plan.updates,
                "reactivate": plan.reactivations, "deactivate": plan.deactivations,
                "unchanged": plan.unchanged}))
            return 0
        report = await sync.apply(rc, plan, relinquish=args.relinquish)
    Console().print(_changes_table("sync", {
        "created": report.created, "updated": report.updated, "reactivated": report.reactivated,
        "deactivated": report.deactivated, "unchanged": report.unchanged,
        "failed": [change for change, _ in report.failed]}))
    for change, error in report.failed:
        who = escape(str(change.username or change.user_id))
        console.print(f"[red]failed[/red] to {_verb(change)} {who}: {escape(str(error))}")
    if any(isinstance(error, APIError) and error.error_type == "user-last-owner"
           for _, error in report.failed):
        console.print("Some users are the sole owner of a room. Rerun with --relinquish to pass "
                      "their rooms to another member (rooms left without members are removed).")
    return 1 if report.failed else 0


# ---- commands --------------------------------------------------------------------------------


async def export_command(args: argparse.Namespace, out: IO[bytes]) -> None:
    async with Session(args.url, user_id=args.user_id, auth_token=args.token) as rc:
        writer = Writer(out, args.format)
        count = await export_users(rc, writer)
        writer.flush()
    console.print(f"exported {count:,} users")


async def user_command(args: argparse.Namespace) -> None:
    async with Session(args.url, user_id=args.user_id, auth_token=args.token) as rc:
        user = await rc.users.info(username=args.username)
    sys.stdout.buffer.write(msgspec.json.format(msgspec.json.encode(user)) + b"\n")


async def presence_command(args: argparse.Namespace) -> None:
    async with Session(args.url, user_id=args.user_id, auth_token=args.token) as rc:
        batch = await rc.users.presence()
    table = Table(title=f"presence at {batch.fetched_at:%Y-%m-%d %H:%M:%S} UTC")
    for column in ("username", "name", "status"):
        table.add_column(column)
    for user in sorted(batch.users, key=lambda u: u.username or ""):
        table.add_row(user.username or "", user.name or "", user.status or "")
    Console().print(table)


async def emulator_command(args: argparse.Namespace) -> None:
    from .testing import serve

    await serve(port=args.port, users=args.users, seed=args.seed)


def _server_options(parser: argparse.ArgumentParser) -> None:
    env = os.environ.get
    parser.add_argument("--url", required=env("ROCKETCHAT_URL") is None,
                        default=env("ROCKETCHAT_URL"), help="server URL (or $ROCKETCHAT_URL)")
    parser.add_argument("--user-id", required=env("ROCKETCHAT_USER_ID") is None,
                        default=env("ROCKETCHAT_USER_ID"), help="(or $ROCKETCHAT_USER_ID)")
    parser.add_argument("--token", required=env("ROCKETCHAT_AUTH_TOKEN") is None,
                        default=env("ROCKETCHAT_AUTH_TOKEN"),
                        help="auth token or PAT (prefer $ROCKETCHAT_AUTH_TOKEN: argv is public)")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="rocketchat-users", description=__doc__)
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = top.add_subparsers(dest="command", required=True)

    p = commands.add_parser("demo", help="run the main job against the embedded emulator")
    p.add_argument("--users", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--create", type=int, default=200, help="users to create at the end")
    p.add_argument("--out", type=Path, default=Path("users.jsonl"))

    p = commands.add_parser("emulator", help="serve the emulator until Ctrl-C")
    p.add_argument("--port", type=int, default=3000)
    p.add_argument("--users", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)

    p = commands.add_parser("export", help="export every user of a real server")
    _server_options(p)
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    p.add_argument("--out", default="users.jsonl", help="file, or - for stdout")

    p = commands.add_parser("sync", help="make a server's users match a file")
    _server_options(p)
    p.add_argument("file", type=Path, help=".json (array of objects), .jsonl or .csv")
    p.add_argument("--key", choices=("username", "email"), default="username",
                   help="the field that matches a record to a user")
    p.add_argument("--deactivate-missing", action="store_true",
                   help="deactivate users not in FILE (never the caller, bots or apps)")
    p.add_argument("--relinquish", action="store_true",
                   help="deactivate sole room owners too; their rooms pass to another member")
    p.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")

    p = commands.add_parser("user", help="print one user as JSON")
    _server_options(p)
    p.add_argument("username")

    p = commands.add_parser("presence", help="print who is online")
    _server_options(p)
    return top


def _run(args: argparse.Namespace) -> int:
    if args.command == "sync":
        return asyncio.run(sync_command(args))
    if args.command == "demo":
        asyncio.run(demo(args.users, args.seed, args.out, args.create))
    elif args.command == "emulator":
        asyncio.run(emulator_command(args))
    elif args.command == "export":
        if args.out == "-":
            asyncio.run(export_command(args, sys.stdout.buffer))
        else:
            with open(args.out, "wb") as out:
                asyncio.run(export_command(args, out))
    elif args.command == "user":
        asyncio.run(user_command(args))
    else:
        asyncio.run(presence_command(args))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code = _run(args)
    except KeyboardInterrupt:
        return 130
    except (RocketChatError, ValueError, OSError) as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
