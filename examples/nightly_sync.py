"""A scheduled directory sync: make the server's users match a CSV or JSON file.

    python examples/nightly_sync.py                        # a sample file, synced; sync-report.json
    python examples/nightly_sync.py people.csv --dry-run   # print the plan, change nothing
    python examples/nightly_sync.py people.json --deactivate-missing --relinquish \\
        --report /var/log/rc-sync.json

Without ``ROCKETCHAT_URL`` it starts the embedded emulator (and, given no file, writes a small
sample directory to ``sample-people.csv`` first, so a ``people.csv`` of yours stays as it is).
Against a real server set ``ROCKETCHAT_URL``, ``ROCKETCHAT_USER_ID`` and
``ROCKETCHAT_AUTH_TOKEN`` (an admin's token: e-mails and roles are read) and run it from cron or
a systemd timer, e.g. ``0 2 * * * python nightly_sync.py /srv/hr/people.csv
--deactivate-missing --report /var/log/rc-sync.json``.

A ``.json`` file is an array of objects; a ``.csv`` file has a header row (``roles``
``;``-separated, ``active`` true/false, an empty cell leaves the field as the server has it).
Each run writes a JSON report (``--report``, by default ``sync-report.json`` in the current
directory): counts, timings and each failure (username, error); never a password.
Exit status: 0 done, 1 some change failed or the server could not be read, 2 a bad file.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import sys
import time
from contextlib import AsyncExitStack
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from msgspec import UNSET
from rich.console import Console
from rich.markup import escape
from rich.table import Table

import rocketchat_users as rcu
from rocketchat_users.sync import Change, Plan
from rocketchat_users.testing import Emulator

SHOWN = 20  # plan rows per action; the rest are counted
console = Console()


def read_directory(path: Path) -> list[dict[str, object]]:
    """The records of a .json array or a .csv file with a header row."""
    if path.suffix.lower() == ".json":
        loaded: object = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(loaded, list):
            raise ValueError(f"{path}: expected a JSON array of objects")
        return loaded  # sync.plan checks each record and names the bad ones
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    records: list[dict[str, object]] = []
    for row in rows:
        record: dict[str, object] = {k: v.strip() for k, v in row.items() if k and v and v.strip()}
        if isinstance(roles := record.get("roles"), str):
            record["roles"] = [role.strip() for role in roles.split(";") if role.strip()]
        if isinstance(active := record.get("active"), str):
            if active.lower() not in ("true", "false"):
                raise ValueError(f"{path}: active must be true or false, not {active!r}")
            record["active"] = active.lower() == "true"
        records.append(record)
    return records


def action(change: Change) -> str:
    if change.user_id is None:
        return "create"
    if change.data.active is UNSET:
        return "update"
    return "reactivate" if change.data.active else "deactivate"


def fields(change: Change) -> str:
    """The names of the fields a change sets (a create: those its record gives), no values."""
    data = change.data if change.user_id else change.record
    if data is None:
        return ""
    return ", ".join(name for name in type(data).__struct_fields__
                     if name not in ("password", "active") and getattr(data, name) is not UNSET)


def plan_table(plan: Plan, dry_run: bool) -> Table:
    table = Table(title="sync plan" + (" (dry run: nothing changed)" if dry_run else ""),
                  caption=f"{len(plan.unchanged)} unchanged")
    for column in ("action", "username", "fields"):
        table.add_column(column)
    for changes in (plan.creates, plan.updates, plan.reactivations, plan.deactivations):
        for change in changes[:SHOWN]:
            table.add_row(action(change), escape(change.username or str(change.user_id)),
                          fields(change))
        if len(changes) > SHOWN:
            table.add_row(action(changes[0]), f"… and {len(changes) - SHOWN} more", "")
    return table


async def sync_directory(rc: rcu.Session, args: argparse.Namespace,
                         report: dict[str, Any]) -> int:
    seconds = report["seconds"]
    started = time.perf_counter()
    desired = read_directory(args.source)
    plan = await rcu.sync.plan(rc, desired, key=args.key,
                               deactivate_missing=args.deactivate_missing)
    seconds["plan"] = round(time.perf_counter() - started, 3)
    report["planned"] = {"create": len(plan.creates), "update": len(plan.updates),
                         "reactivate": len(plan.reactivations),
                         "deactivate": len(plan.deactivations), "unchanged": len(plan.unchanged)}
    console.print(plan_table(plan, args.dry_run))
    if args.dry_run:
        return 0
    started = time.perf_counter()
    done = await rcu.sync.apply(rc, plan, relinquish=args.relinquish)
    seconds["apply"] = round(time.perf_counter() - started, 3)
    report["done"] = {"created": len(done.created), "updated": len(done.updated),
                      "reactivated": len(done.reactivated), "deactivated": len(done.deactivated),
                      "unchanged": len(done.unchanged), "failed": len(done.failed)}
    # The SDK's error messages never carry a secret: the server's text, not the request body.
    report["failures"] = [
        {"username": change.username, "user_id": change.user_id, "action": action(change),
         "error_type": exc.error_type if isinstance(exc, rcu.APIError) else None,
         "error": str(exc)}
        for change, exc in done.failed]
    console.print(", ".join(f"{count} {kind}" for kind, count in report["done"].items()))
    for failure in report["failures"]:
        console.print(f"[red]failed[/red] to {failure['action']} "
                      f"{escape(str(failure['username']))}: {escape(failure['error'])}")
    return 1 if done.failed else 0


def write_sample(server: Emulator, path: Path) -> Path:
    """Two people the server has, a file saying what should change, and two newcomers."""
    for username, name in [("grace.hopper", "Grace Hopper"), ("alan.turing", "Alan Turing")]:
        server.add_user(username=username, name=name, active=True,
                        emails=[{"address": f"{username}@example.org", "verified": True}])
    path.write_text("username,email,name,roles,active\n"
                    "grace.hopper,grace.hopper@example.org,Grace Brewster Hopper,user,true\n"
                    "alan.turing,,,,false\n"
                    "ada.lovelace,ada.lovelace@example.org,Ada Lovelace,user,true\n"
                    "katherine.johnson,katherine.johnson@example.org,Katherine Johnson,user,\n",
                    encoding="utf-8")
    console.print(f"wrote a sample directory to {path}")
    return path


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, nargs="?", help=".csv or .json directory file")
    parser.add_argument("--key", choices=("username", "email"), default="username")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.add_argument("--deactivate-missing", action="store_true",
                        help="deactivate users the file does not list (never bots nor the caller)")
    parser.add_argument("--relinquish", action="store_true",
                        help="deactivate sole room owners too; their rooms pass to a member")
    parser.add_argument("--report", type=Path, default=Path("sync-report.json"),
                        help="where to write the JSON report (default: %(default)s)")
    args = parser.parse_args(argv)
    async with AsyncExitStack() as stack:
        if url := os.environ.get("ROCKETCHAT_URL"):
            user_id, token = os.environ["ROCKETCHAT_USER_ID"], os.environ["ROCKETCHAT_AUTH_TOKEN"]
        else:
            server = await stack.enter_async_context(Emulator(users=20, seed=1))
            url, user_id, token = server.url, server.admin.user_id, server.admin.auth_token
            args.source = args.source or write_sample(server, Path("sample-people.csv"))
        if args.source is None:
            parser.error("a directory file is needed against a real server")
        rc = await stack.enter_async_context(rcu.Session(url, user_id=user_id,
                                                         auth_token=token))
        report: dict[str, Any] = {
            "source": str(args.source), "server": url, "dry_run": args.dry_run,
            "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "seconds": {}, "planned": None, "done": None, "failures": [], "error": None}
        started = time.perf_counter()
        try:
            code = await sync_directory(rc, args, report)
        except (OSError, ValueError, TypeError) as exc:  # unreadable file, or a bad record
            report["error"], code = str(exc), 2
        except rcu.RocketChatError as exc:  # the server could not be read
            report["error"], code = str(exc), 1
        if report["error"]:
            console.print(f"[red]sync failed:[/red] {escape(report['error'])}")
        report["seconds"]["total"] = round(time.perf_counter() - started, 3)
        args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        return code


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
