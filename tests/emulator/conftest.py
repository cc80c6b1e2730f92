"""Fixtures for the emulator tests: a live emulator and a tiny aiohttp client around it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any, NamedTuple

import aiohttp
import pytest

from rocketchat_users.testing import Emulator

STRONG_PASSWORD = "Str0ng-Passw0rd!x"


class Reply(NamedTuple):
    status: int
    headers: Mapping[str, str]
    body: Any
    raw: bytes


class Api:
    """Plain HTTP calls to the emulator, optionally with auth headers."""

    def __init__(self, session: aiohttp.ClientSession, server: Emulator,
                 user_id: str | None = None, token: str | None = None) -> None:
        self.session = session
        self.server = server
        self.user_id = user_id
        self.token = token

    def as_user(self, user_id: str, token: str) -> Api:
        return Api(self.session, self.server, user_id, token)

    def anonymous(self) -> Api:
        return Api(self.session, self.server)

    async def request(self, method: str, name: str, *, headers: Mapping[str, str] | None = None,
                      **kwargs: Any) -> Reply:
        path = name if name.startswith("/") else f"/api/v1/{name}"
        all_headers: dict[str, str] = {}
        if self.user_id and self.token:
            all_headers.update({"X-User-Id": self.user_id, "X-Auth-Token": self.token})
        all_headers.update(headers or {})
        async with self.session.request(method, self.server.url + path, headers=all_headers,
                                        allow_redirects=False, **kwargs) as resp:
            raw = await resp.read()
            body: Any = None
            if resp.content_type == "application/json" and raw:
                body = json.loads(raw)
            return Reply(resp.status, resp.headers, body, raw)

    async def get(self, name: str, params: Any = None, **kwargs: Any) -> Reply:
        return await self.request("GET", name, params=params, **kwargs)

    async def post(self, name: str, body: Any = None, **kwargs: Any) -> Reply:
        if body is not None:
            kwargs["json"] = body
        return await self.request("POST", name, **kwargs)


def add_plain_user(server: Emulator, username: str = "alice", **fields: Any) -> dict[str, Any]:
    """A fresh plain user (created now, so inside 2FA's grace period) with a known password."""
    fields.setdefault("name", username.title())
    fields.setdefault("emails", [{"address": f"{username}@example.com", "verified": False}])
    fields.setdefault("roles", ["user"])
    fields.setdefault("password", STRONG_PASSWORD)
    return server.add_user(username=username, **fields)


@pytest.fixture
async def server() -> AsyncIterator[Emulator]:
    async with Emulator(users=40, seed=7) as emulator:
        yield emulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def admin(session: aiohttp.ClientSession, server: Emulator) -> Api:
    return Api(session, server, server.admin.user_id, server.admin.auth_token)


@pytest.fixture
def anon(session: aiohttp.ClientSession, server: Emulator) -> Api:
    return Api(session, server)


@pytest.fixture
def alice(session: aiohttp.ClientSession, server: Emulator) -> Api:
    user = add_plain_user(server, "alice")
    return Api(session, server, user["_id"], server.login_token(user["_id"]))


def assert_error(reply: Reply, status: int, error: str | None = None,
                 error_type: str | None = None) -> None:
    assert reply.status == status, (reply.status, reply.body)
    assert reply.body["success"] is False
    if error is not None:
        assert reply.body["error"] == error, reply.body
    if error_type is not None:
        assert reply.body.get("errorType") == error_type, reply.body
