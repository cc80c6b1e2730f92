"""The ``rocketchat-users`` command, run as a user runs it: a separate process."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import re
import sys
from pathlib import Path

import aiohttp

from rocketchat_users.testing import Emulator

CLI = [sys.executable, "-m", "rocketchat_users.cli"]


async def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60
              ) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *CLI, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "COLUMNS": "120", **(env or {})},
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_demo_exports_every_user_and_the_created_ones(tmp_path: Path) -> None:
    out = tmp_path / "users.jsonl"
    code, _, err = await run("demo", "--users", "300", "--create", "12", "--out", str(out))
    assert code == 0, err
    lines = out.read_text(encoding="utf-8").splitlines()
    users = [json.loads(line) for line in lines]
    assert len(users) == 300 + 2 + 12  # seeded + admin + rocket.cat, then the created ones
    assert len({u["_id"] for u in users}) == len(users)
    assert sum(u["username"].startswith("demo.") for u in users) == 12
    for step in ("export users.list", "presence delta", "create users", "total"):
        assert step in err


async def test_export_to_csv_against_a_server(tmp_path: Path) -> None:
    async with Emulator(users=120, seed=2) as server:
        env = {"ROCKETCHAT_URL": server.url, "ROCKETCHAT_USER_ID": server.admin.user_id,
               "ROCKETCHAT_AUTH_TOKEN": server.admin.auth_token}
        out = tmp_path / "users.csv"
        code, stdout, err = await run("export", "--format", "csv", "--out", str(out), env=env)
        assert code == 0, err
        with out.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == 122
        admin_row = next(r for r in rows if r["id"] == server.admin.user_id)
        assert "admin" in admin_row["roles"].split(";")
        assert server.admin.auth_token not in stdout + err


async def test_user_command_prints_json_and_errors_are_one_clean_line() -> None:
    async with Emulator(users=5, seed=2) as server:
        env = {"ROCKETCHAT_URL": server.url, "ROCKETCHAT_USER_ID": server.admin.user_id,
               "ROCKETCHAT_AUTH_TOKEN": server.admin.auth_token}
        code, stdout, err = await run("user", "rocket.cat", env=env)
        assert code == 0, err
        assert json.loads(stdout)["_id"] == "rocket.cat"

        code, stdout, err = await run("user", "nobody-here", env=env)
        assert code == 1
        assert "GET users.info -> 400" in err and "User not found." in err
        assert "Traceback" not in err

        env["ROCKETCHAT_AUTH_TOKEN"] = "wrong-token-value"
        code, stdout, err = await run("user", "rocket.cat", env=env)
        assert code == 1 and "401" in err and "wrong-token-value" not in stdout + err


async def test_emulator_command_serves_the_api_until_stopped() -> None:
    proc = await asyncio.create_subprocess_exec(
        *CLI, "emulator", "--port", "0", "--users", "25",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        banner = ""
        while "admin auth token" not in banner:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert line, "the emulator exited before printing its credentials"
            banner += line.decode()
        url = re.search(r"(http://127\.0\.0\.1:\d+)", banner)
        user_id = re.search(r"admin user id:\s+(\S+)", banner)
        token = re.search(r"admin auth token:\s+(\S+)", banner)
        assert url and user_id and token
        headers = {"X-User-Id": user_id.group(1), "X-Auth-Token": token.group(1)}
        async with aiohttp.ClientSession() as http, http.get(
            f"{url.group(1)}/api/v1/users.list", headers=headers
        ) as resp:
            body = await resp.json()
        assert resp.status == 200 and body["success"] is True and body["total"] == 27
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)
