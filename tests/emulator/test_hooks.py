"""Emulator test hooks, query-string decoding and the standalone runner."""

from __future__ import annotations

import asyncio

import pytest

from rocketchat_users.testing import Admin, Emulator, serve

from .conftest import Api, add_plain_user, assert_error


async def test_admin_and_exports(server: Emulator) -> None:
    assert isinstance(server.admin, Admin)
    assert server.admin.username == "admin"
    assert server.password_of("admin") == server.admin.password
    assert server.app is not None
    with pytest.raises(KeyError):
        server.password_of("nobody")


async def test_get_user_is_a_copy(server: Emulator) -> None:
    added = add_plain_user(server, "zoe", name="Zoë O'Brien")
    copy = server.get_user("zoe")
    assert copy is not None and copy["_id"] == added["_id"] and copy["name"] == "Zoë O'Brien"
    copy["name"] = "changed"
    again = server.get_user(added["_id"])
    assert again is not None and again["name"] == "Zoë O'Brien"
    assert server.get_user("nobody") is None


async def test_request_log(admin: Api, server: Emulator) -> None:
    server.request_log.clear()
    await admin.get("users.list", {"count": 1})
    await admin.post("users.setStatus", {"status": "away"})
    assert server.request_log == [("GET", "/api/v1/users.list"),
                                  ("POST", "/api/v1/users.setStatus")]


async def test_set_connection_status(admin: Api, server: Emulator) -> None:
    user = add_plain_user(server, "bob")
    before = server.get_user("bob")
    await asyncio.sleep(0.002)
    server.set_connection_status(user["_id"], "away")
    after = server.get_user("bob")
    assert after is not None and before is not None
    assert after["status"] == "away" and after["statusConnection"] == "away"
    assert after["_updatedAt"] > before["_updatedAt"]
    with pytest.raises(ValueError):
        server.set_connection_status(user["_id"], "sleeping")


async def test_query_values_keep_plus_and_unicode(admin: Api, server: Emulator) -> None:
    add_plain_user(server, "plus", emails=[{"address": "x+tag@example.com", "verified": True}],
                   name="Zoë Núñez")
    reply = await admin.get("users.info", {"email": "x+tag@example.com"})  # sent as %2B
    assert reply.body["user"]["username"] == "plus"
    reply = await admin.get("users.listByStatus", {"searchTerm": "zoë núñez"})
    assert [u["username"] for u in reply.body["users"]] == ["plus"]
    reply = await admin.get("users.info", {"email": "x tag@example.com"})
    assert reply.body == {"success": False, "error": "User not found."}


async def test_user_without_username(admin: Api, server: Emulator) -> None:
    user = server.add_user(name="No Name Yet", roles=["user"])
    api = admin.as_user(user["_id"], server.login_token(user["_id"]))
    assert (await api.get("me")).status == 200
    assert (await api.get("users.getUsernameSuggestion")).body["result"] == "no.name.yet"
    assert_error(await api.get("users.list"), 403,
                 "Users must have a username [error-unauthorized]")


async def test_serve_prints_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    task = asyncio.create_task(serve(port=0, users=3, seed=2))
    for _ in range(100):
        await asyncio.sleep(0.01)
        if "admin auth token" in capsys.readouterr().out + "":
            break
    else:
        task.cancel()
        raise AssertionError("serve() printed no credentials")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
