"""users.info / list / listByStatus / autocomplete / usernames / teams / status / presence."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

from rocketchat_users.testing import Emulator

from .conftest import Api, add_plain_user, assert_error


async def test_info_visibility(admin: Api, alice: Api, server: Emulator) -> None:
    mine = (await alice.get("users.info", {"userId": alice.user_id})).body["user"]
    assert mine["canViewAllInfo"] is True and "emails" in mine
    assert mine["services"] == {"password": {"exists": True}}
    other = (await alice.get("users.info", {"username": "admin"})).body["user"]
    assert other["canViewAllInfo"] is False
    assert not {"emails", "roles", "createdAt", "services", "lastLogin"} & set(other)
    full = (await admin.get("users.info", {"username": "alice"})).body["user"]
    assert full["emails"] and full["roles"] == ["user"] and "services" not in full


async def test_info_errors(admin: Api) -> None:
    reply = await admin.get("users.info", {"userId": "nope"})
    assert reply.body == {"success": False, "error": "User not found."}
    reply = await admin.get("users.info", {"userId": "a", "username": "b"})
    assert_error(reply, 400, error_type="error-invalid-params")
    # 8.8.1: every lookup branch of the anyOf also takes ``fields`` and ``includeUserRooms``.
    reply = await admin.get("users.info", {"username": "admin", "fields": "{}"})
    assert reply.body["user"]["username"] == "admin"
    reply = await admin.get("users.info", {"username": "admin", "color": "red"})
    assert_error(reply, 400, error_type="error-invalid-params")
    reply = await admin.get("users.info")
    assert_error(reply, 400, "\n ".join([
        *(f"must have required property '{key}'" for key in (
            "userId", "username", "importId", "email", "freeSwitchExtension")),
        "must match a schema in anyOf"]), "error-invalid-params")


async def test_info_rooms(alice: Api) -> None:
    reply = await alice.get("users.info", {"userId": alice.user_id, "includeUserRooms": "true"})
    rooms = reply.body["user"]["rooms"]
    assert rooms[0]["rid"] == "GENERAL" and rooms[0]["name"] == "general"


async def test_list_paging(admin: Api, server: Emulator) -> None:
    page = (await admin.get("users.list")).body
    assert page["count"] == 42 and page["total"] == 42 and page["offset"] == 0
    page = (await admin.get("users.list", {"count": "10", "offset": "40"})).body
    assert page["count"] == 2 and page["offset"] == 40 and page["total"] == 42
    usernames = [u["username"] for u in (await admin.get("users.list", {"count": 0})).body["users"]]
    assert usernames == sorted(usernames) and len(usernames) == 42


async def test_list_cap_and_defaults() -> None:
    async with Emulator(users=150, seed=2) as server:
        import aiohttp

        async with aiohttp.ClientSession() as session:
            api = Api(session, server, server.admin.user_id, server.admin.auth_token)
            assert (await api.get("users.list")).body["count"] == 50
            assert (await api.get("users.list", {"count": "500"})).body["count"] == 100
            assert (await api.get("users.list", {"count": "0"})).body["count"] == 152
            server.settings["API_Upper_Count_Limit"] = 20
            assert (await api.get("users.list", {"count": "30"})).body["count"] == 20
            # walk by _id, each user exactly once
            seen: list[str] = []
            offset = 0
            while True:
                page = (await api.get("users.list", {"count": "20", "offset": str(offset),
                                                      "sort": '{"_id":1}'})).body
                seen.extend(u["_id"] for u in page["users"])
                offset += page["count"]
                if offset >= page["total"]:
                    break
            assert seen == sorted(seen) and len(set(seen)) == 152


async def test_list_projection_by_caller(admin: Api, alice: Api) -> None:
    item = (await admin.get("users.list", {"count": 1})).body["users"][0]
    assert {"_id", "username", "emails", "roles", "nameInsensitive", "type"} <= set(item)
    item = (await alice.get("users.list", {"count": 1})).body["users"][0]
    assert not {"emails", "roles", "lastLogin"} & set(item)
    assert {"_id", "username", "status", "active", "type", "nameInsensitive"} <= set(item)
    item = (await alice.get("users.list", {"count": 1, "fields": '{"emails":1,"bio":1}'})
            ).body["users"][0]
    assert "emails" not in item  # forbidden fields are stripped silently


async def test_list_query_rules(admin: Api, alice: Api) -> None:
    q = json.dumps({"username": {"$regex": "^ALI", "$options": "i"}})
    page = (await admin.get("users.list", {"query": q})).body
    assert [u["username"] for u in page["users"]] == ["alice"] and page["total"] == 1
    q = json.dumps({"$or": [{"username": "alice"}, {"username": "admin"}]})
    assert (await admin.get("users.list", {"query": q})).body["total"] == 2
    reply = await admin.get("users.list", {"query": '{"bio": "x"}'})
    assert_error(reply, 400, "Invalid attribute: bio [error-invalid-query]", "error-invalid-query")
    reply = await admin.get("users.list", {"query": '{"$or": [{"username": {"$ne": "x"}}]}'})
    assert_error(reply, 400, "Invalid operation: $ne [error-invalid-query]")
    # top-level operators other than $or/$and/$regex/$options are stripped (cleanQuery)
    reply = await admin.get("users.list", {"query": '{"$where": "1", "username": "alice"}'})
    assert reply.body["total"] == 1
    # emails are invisible to a plain user: the condition vanishes, every user matches
    reply = await alice.get("users.list", {"query": '{"emails.address": "alice@example.com"}'})
    assert reply.body["total"] == 43  # 40 seeded + admin + rocket.cat + alice
    reply = await admin.get("users.list", {"query": "{bad"})
    assert_error(reply, 400, error_type="error-invalid-query")
    assert reply.body["details"] == {"helperMethod": "parseJsonQuery"}


async def test_list_sort_and_fields_errors(admin: Api) -> None:
    reply = await admin.get("users.list", {"sort": '{"username":"1"}'})
    assert_error(reply, 400, 'Invalid sort parameter provided: "{"username":"1"}" '
                             "[error-invalid-sort]", "error-invalid-sort")
    reply = await admin.get("users.list", {"fields": '{"username":2}'})
    assert_error(reply, 400, error_type="error-invalid-fields")
    reply = await admin.get("users.list", {"cacheBuster": "1"})
    assert_error(reply, 400, "must NOT have additional properties", "error-invalid-params")
    reply = await admin.get("users.list", {"count": "ten"})
    assert_error(reply, 400, error_type="error-invalid-params")
    names = [u["username"] for u in (await admin.get(
        "users.list", {"count": 0, "sort": '{"username":-1}'})).body["users"]]
    assert names == sorted(names, reverse=True)
    names = [u.get("name", "") for u in (await admin.get(
        "users.list", {"count": 0, "sort": '{"name":1}'})).body["users"]]
    assert names == sorted(names, key=str.lower)


async def test_list_permission(server: Emulator, admin: Api) -> None:
    user = add_plain_user(server, "anon1", roles=["anonymous"])
    api = admin.as_user(user["_id"], server.login_token(user["_id"]))
    reply = await api.get("users.list")
    assert_error(reply, 403, "User does not have the permissions required for this action "
                             "[error-unauthorized]")
    assert (await admin.anonymous().get("users.list")).status == 401


async def test_list_by_status(admin: Api, server: Emulator) -> None:
    page = (await admin.get("users.listByStatus", {"status": "deactivated", "count": 0})).body
    assert all(u["active"] is False for u in page["users"])
    page = (await admin.get("users.listByStatus", [("roles[]", "admin"), ("roles[]", "bot")])
            ).body
    assert page["total"] >= 3 and all({"admin", "bot"} & set(u["roles"]) for u in page["users"])
    page = (await admin.get("users.listByStatus", {"hasLoggedIn": "false", "count": 0})).body
    assert all("lastLogin" not in u for u in page["users"])
    page = (await admin.get("users.listByStatus", {"type": "bot", "count": 0})).body
    assert {u["type"] for u in page["users"]} == {"bot"}
    page = (await admin.get("users.listByStatus", {"searchTerm": "ADMIN"})).body
    assert "admin" in [u["username"] for u in page["users"]]
    reply = await admin.get("users.listByStatus", {"status": "sleeping"})
    assert_error(reply, 400, error_type="error-invalid-params")
    # 8.8.1 compiles this schema with ajvQuery (coerceTypes 'array'): a lone roles=x is [x].
    reply = await admin.get("users.listByStatus", {"roles": "admin"})
    users = reply.body["users"]
    assert "admin" in {u["username"] for u in users}
    assert all("admin" in u["roles"] for u in users)


async def test_autocomplete(alice: Api) -> None:
    reply = await alice.get("users.autocomplete", {"selector": '{"term": "adm"}'})
    assert [i["username"] for i in reply.body["items"]] == ["admin"]
    assert set(reply.body["items"][0]) <= {"_id", "name", "username", "nickname", "status",
                                           "avatarETag"}
    reply = await alice.get("users.autocomplete", {"selector": '{"term": ""}'})
    assert len(reply.body["items"]) == 10
    reply = await alice.get("users.autocomplete", {"selector": '{"term": "adm", '
                                                               '"exceptions": ["admin"]}'})
    assert reply.body["items"] == []
    reply = await alice.get("users.autocomplete", {"selector": "{nope"})
    assert_error(reply, 400)
    selector = '{"term": "a", "conditions": {"active": {"$ne": false}, "$and": [{"type": "user"}]}}'
    reply = await alice.get("users.autocomplete", {"selector": selector})
    assert reply.status == 200 and len(reply.body["items"]) == 10
    selector = '{"term": "a", "conditions": {"bio": {"$regex": "x"}}}'
    assert_error(await alice.get("users.autocomplete", {"selector": selector}), 400)
    reply = await alice.get("users.autocomplete")
    assert_error(reply, 400, error_type="error-invalid-params")


async def test_username_availability_and_suggestion(alice: Api) -> None:
    assert (await alice.get("users.checkUsernameAvailability", {"username": "Admin2x"})
            ).body["result"] is True
    assert (await alice.get("users.checkUsernameAvailability", {"username": "ALICE"})
            ).body["result"] is True  # your own name
    assert (await alice.get("users.checkUsernameAvailability", {"username": "rocket.cat"})
            ).body["result"] is False
    assert (await alice.get("users.checkUsernameAvailability", {"username": "engineering"})
            ).body["result"] is False  # a team name blocks it
    reply = await alice.get("users.checkUsernameAvailability", {"username": "all"})
    assert_error(reply, 400, "all is blocked and can't be used! [error-blocked-username]")
    assert (await alice.get("users.checkUsernameAvailability")).status == 400
    assert (await alice.anonymous().get("users.checkUsernameAvailability",
                                        {"username": "x"})).status == 401
    reply = await alice.get("users.getUsernameSuggestion")
    assert reply.body["result"] == "alice"
    assert (await alice.anonymous().get("users.getUsernameSuggestion")).status == 401


async def test_list_teams(admin: Api, server: Emulator) -> None:
    owner = (await admin.get("users.list", {"count": 0, "sort": '{"_id":1}'})).body["users"]
    found: list[dict[str, object]] = []
    for user in owner:
        teams = (await admin.get("users.listTeams", {"userId": user["_id"]})).body["teams"]
        found.extend(t for t in teams if t["isOwner"])
    assert {t["name"] for t in found} == {"engineering", "leadership"}
    assert (await admin.get("users.listTeams", {"userId": "nope"})).body["teams"] == []
    assert_error(await admin.get("users.listTeams"), 400, error_type="error-invalid-params")


async def test_status_endpoints(admin: Api, alice: Api, server: Emulator) -> None:
    reply = await alice.get("users.getStatus")
    assert reply.body == {"_id": alice.user_id, "status": "offline",
                          "connectionStatus": "offline", "success": True}
    reply = await alice.get("users.getStatus", {"username": "rocket.cat"})
    assert reply.body == {"_id": "rocket.cat", "status": "online", "success": True}
    assert_error(await alice.get("users.getStatus", {"userId": "nope"}), 400,
                 error_type="error-invalid-user")
    assert (await alice.post("users.setStatus", {"status": "busy", "message": "deep work"})
            ).status == 200
    stored = server.get_user("alice")
    assert stored is not None and stored["status"] == "busy" and stored["statusText"] == "deep work"
    reply = await alice.get("users.getPresence")
    assert reply.body["presence"] == "busy" and "connectionStatus" in reply.body
    reply = await alice.get("users.getPresence", {"userId": server.admin.user_id})
    assert reply.body == {"presence": "online", "success": True}
    reply = await alice.post("users.setStatus", {"status": "away", "userId": server.admin.user_id})
    assert_error(reply, 403, "unauthorized")
    reply = await alice.post("users.setStatus", {"status": "sleeping"})
    assert_error(reply, 400, error_type="invalid-params")
    reply = await alice.post("users.setStatus", {})
    assert_error(reply, 400, error_type="invalid-params")
    reply = await admin.post("users.setStatus", {"status": "away", "userId": alice.user_id})
    assert reply.status == 200


async def test_presence_full_and_ids(alice: Api, server: Emulator) -> None:
    reply = await alice.get("users.presence")
    assert reply.body["full"] is True
    statuses = {u["status"] for u in reply.body["users"]}
    assert statuses <= {"online", "away", "busy"}
    cat = next(u for u in reply.body["users"] if u["_id"] == "rocket.cat")
    assert set(cat) == {"_id", "avatarETag", "username", "name", "status", "utcOffset"}
    reply = await alice.get("users.presence", [("ids", "rocket.cat"), ("ids", alice.user_id)])
    assert [u["_id"] for u in reply.body["users"]] == ["rocket.cat"]  # alice is offline
    assert reply.body["full"] is False
    reply = await alice.get("users.presence", {"ids": f"rocket.cat,{server.admin.user_id}"})
    assert {u["_id"] for u in reply.body["users"]} == {"rocket.cat", server.admin.user_id}
    assert (await alice.anonymous().get("users.presence")).status == 401


async def test_presence_from_deltas(alice: Api, admin: Api, server: Emulator) -> None:
    await asyncio.sleep(0.002)  # after the fixtures' own writes
    since = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    reply = await alice.get("users.presence", {"from": since})
    assert reply.body == {"users": [], "full": False, "success": True}
    bob = add_plain_user(server, "bob")
    server.set_connection_status(bob["_id"], "online")
    server.set_connection_status("rocket.cat", "offline")
    assert alice.user_id is not None
    server.set_connection_status(alice.user_id, "online")  # the caller is excluded
    reply = await alice.get("users.presence", {"from": since})
    changed = {u["_id"]: u["status"] for u in reply.body["users"]}
    assert changed == {bob["_id"]: "online", "rocket.cat": "offline"}
    old = (datetime.now(timezone.utc) - timedelta(minutes=11)).isoformat()
    reply = await alice.get("users.presence", {"from": old})
    assert reply.body["full"] is True
    server.settings["Presence_broadcast_disabled"] = True
    reply = await alice.get("users.presence", {"from": since})
    assert reply.body == {"users": [], "full": True, "success": True}


async def test_get_presence_unknown_user(alice: Api) -> None:
    reply = await alice.get("users.getPresence", {"username": "nobody-here"})
    assert_error(reply, 400, 'The required "userId" or "username" param provided does not '
                             "match any users [error-invalid-user]", "error-invalid-user")
    assert (await alice.anonymous().get("users.getPresence")).status == 401


async def test_list_email_filter(admin: Api) -> None:
    reply = await admin.get("users.list", {"email": "admin@example.com"})
    assert [u["username"] for u in reply.body["users"]] == ["admin"]
    assert_error(await admin.get("users.list", {"email": ""}), 400,
                 error_type="error-invalid-params")
