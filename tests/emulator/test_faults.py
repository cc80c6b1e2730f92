"""Rate limiter (§6), 502 pages, dropped connections and latency."""

from __future__ import annotations

import time

import aiohttp
import pytest

from rocketchat_users.testing import Emulator

from .conftest import Api, add_plain_user


async def test_rate_limiter_headers_and_429() -> None:
    async with Emulator(rate_limit=True) as server, aiohttp.ClientSession() as session:
        user = add_plain_user(server, "alice")
        api = Api(session, server, user["_id"], server.login_token(user["_id"]))
        before_ms = time.time() * 1000
        remaining = []
        for _ in range(10):
            reply = await api.get("users.getStatus")
            assert reply.status == 200
            assert reply.headers["X-RateLimit-Limit"] == "10"
            remaining.append(int(reply.headers["X-RateLimit-Remaining"]))
        assert remaining == list(range(9, -1, -1))
        reply = await api.get("users.getStatus")
        assert reply.status == 429
        assert reply.headers["X-RateLimit-Remaining"] == "0"
        reset = int(reply.headers["X-RateLimit-Reset"])
        assert before_ms + 59_000 <= reset <= before_ms + 61_000  # epoch milliseconds
        assert "Retry-After" not in reply.headers
        assert reply.body == {"success": False, "error": (
            "Error, too many requests. Please slow down. You must wait 60 seconds before "
            "trying this endpoint again. [error-too-many-requests]")}
        # another route has its own window; the admin bypasses the limiter
        assert (await api.get("users.getPresence")).status == 200
        admin = Api(session, server, server.admin.user_id, server.admin.auth_token)
        for _ in range(12):
            reply = await admin.get("users.getStatus")
            assert reply.status == 200 and "X-RateLimit-Limit" not in reply.headers


async def test_rate_limit_special_rules_and_override() -> None:
    async with Emulator(rate_limit=(2, 30)) as server, aiohttp.ClientSession() as session:
        anon = Api(session, server)
        body = {"username": "dora", "email": "dora@example.com", "pass": "Str0ng-Passw0rd!x",
                "name": "Dora"}
        assert (await anon.post("users.register", body)).status == 200
        reply = await anon.post("users.register", {**body, "username": "dora2"})
        assert reply.status == 429 and reply.headers["X-RateLimit-Limit"] == "1"
        assert (await anon.post("login", {})).headers["X-RateLimit-Limit"] == "2"
        await anon.post("login", {})
        assert (await anon.post("login", {})).status == 429


async def test_rate_limit_after_auth_and_validation() -> None:
    async with Emulator(rate_limit=(1, 60)) as server, aiohttp.ClientSession() as session:
        anon = Api(session, server)
        for _ in range(3):
            assert (await anon.get("users.getStatus")).status == 401  # auth runs first


async def test_bad_gateway_and_dropped_connections() -> None:
    async with Emulator(error_rate=0.5, seed=11) as server, \
            aiohttp.ClientSession() as session:
        outcomes = []
        for _ in range(40):
            try:
                async with session.get(server.url + "/api/info") as resp:
                    body = await resp.read()
                    outcomes.append(resp.status)
                    if resp.status == 502:
                        assert resp.content_type == "text/html" and b"502 Bad Gateway" in body
            except aiohttp.ClientError:
                outcomes.append(0)
        assert {0, 200, 502} == set(outcomes)
    async with Emulator(error_rate=0.5, seed=11) as again, aiohttp.ClientSession() as session:
        repeat = []
        for _ in range(40):
            try:
                async with session.get(again.url + "/api/info") as resp:
                    await resp.read()
                    repeat.append(resp.status)
            except aiohttp.ClientError:
                repeat.append(0)
        assert repeat == outcomes  # deterministic from the seed


async def test_latency() -> None:
    async with Emulator(latency=0.2) as server, aiohttp.ClientSession() as session:
        start = time.perf_counter()
        async with session.get(server.url + "/api/info") as resp:
            assert resp.status == 200
        assert time.perf_counter() - start >= 0.2


async def test_lifecycle_is_idempotent() -> None:
    server = Emulator()
    with pytest.raises(RuntimeError):
        _ = server.url
    await server.start()
    await server.start()
    url = server.url
    assert url.startswith("http://127.0.0.1:") and not url.endswith("/")
    await server.stop()
    await server.stop()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            async with session.get(url + "/api/info"):
                pass


async def test_info_and_unknown_route(anon: Api) -> None:
    reply = await anon.get("/api/info")
    assert reply.body["success"] is True and reply.body["version"].startswith("8.")
    assert (await anon.get("users.nothing")).status == 404
    assert (await anon.get("/api/info")).headers.get("Cache-Control") == "no-store"
