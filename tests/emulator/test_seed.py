"""Seeding: determinism, realism, speed."""

from __future__ import annotations

import time
from typing import Any

import aiohttp

from rocketchat_users.testing import Emulator

from .conftest import Api

FIELDS = ('{"customFields":1,"utcOffset":1,"createdAt":1,"inactiveReason":1,"name":1,'
          '"statusText":1}')


async def all_users(server: Emulator) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession() as session:
        api = Api(session, server, server.admin.user_id, server.admin.auth_token)
        reply = await api.get("users.list", {"count": "0", "fields": FIELDS, "sort": '{"_id":1}'})
        users: list[dict[str, Any]] = reply.body["users"]
        return users


async def test_same_seed_same_users() -> None:
    async with Emulator(users=60, seed=5) as one, Emulator(users=60, seed=5) as two, \
            Emulator(users=60, seed=6) as other:
        first, second, third = await all_users(one), await all_users(two), await all_users(other)

    def strip(users: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # Seeded dates are relative to the start time, so they move between runs.
        dates = {"createdAt", "lastLogin", "_updatedAt"}
        return [{k: v for k, v in u.items() if k not in dates} for u in users]

    assert strip(first) == strip(second)
    assert [u["_id"] for u in first] != [u["_id"] for u in third]
    assert one.password_of(first[5]["username"]) == two.password_of(first[5]["username"])


async def test_seed_is_realistic() -> None:
    async with Emulator(users=400, seed=1) as server:
        users = await all_users(server)
        seeded = [u for u in users if u["username"] not in ("admin", "rocket.cat")]
        assert len(seeded) == 400
        names = [u["name"] for u in seeded]
        assert any("'" in n for n in names) and any(not n.isascii() for n in names)
        assert len({u["username"] for u in users}) == len(users)
        assert sum("admin" in u["roles"] for u in users) >= 3  # admin + at least two seeded
        assert any(u["type"] == "bot" for u in seeded)
        assert any(u["roles"] == ["guest"] for u in seeded)
        inactive = [u for u in seeded if not u["active"]]
        assert 2 <= len(inactive) <= 25 and all(u["inactiveReason"] for u in inactive)
        assert any(len(u.get("emails", [])) > 1 for u in seeded)
        verified = {e["verified"] for u in seeded for e in u.get("emails", [])}
        assert verified == {True, False}
        assert any("customFields" in u for u in seeded)
        offsets = {u.get("utcOffset") for u in seeded}
        assert {5.5, 9.5, -3, 0} <= offsets
        assert any("lastLogin" not in u for u in seeded)
        assert all(u["createdAt"] < users[0]["createdAt"] or u["username"] != "admin"
                   for u in seeded)
        cat = next(u for u in users if u["_id"] == "rocket.cat")
        assert cat["type"] == "bot" and cat["status"] == "online" and cat["roles"] == ["bot"]
        # a seeded password works for a user that has no e-mail 2FA
        plain = next(u for u in seeded if u["type"] == "user" and u["active"]
                     and not any(e["verified"] for e in u.get("emails", [])))
        async with aiohttp.ClientSession() as session:
            reply = await Api(session, server).post(
                "login", {"user": plain["username"],
                          "password": server.password_of(plain["username"])})
            assert reply.status == 200


async def test_ten_thousand_users_are_fast() -> None:
    start = time.perf_counter()
    server = Emulator(users=10_000, seed=1)
    assert time.perf_counter() - start < 2.0
    async with server, aiohttp.ClientSession() as session:
        api = Api(session, server, server.admin.user_id, server.admin.auth_token)
        start = time.perf_counter()
        seen = 0
        offset = 0
        while True:
            page = (await api.get("users.list", {"count": "100", "offset": str(offset)})).body
            seen += page["count"]
            offset += page["count"]
            if offset >= page["total"]:
                break
        assert seen == 10_002
        assert time.perf_counter() - start < 5.0
