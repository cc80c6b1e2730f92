"""Regression tests for reviewed emulator findings, one per finding, over loopback sockets.

Each test names the server-behavior.md rule it pins down.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

import rocketchat_users.testing as testing
from rocketchat_users.testing import Emulator, _h_accounts, _store, _twofactor

from .conftest import STRONG_PASSWORD, Api, add_plain_user, assert_error

LONG_AGO = "2020-01-01T00:00:00.000Z"
FAR_FUTURE_OFFSET = "9999-12-31T23:59:59-01:00"  # past year 9999 once converted to UTC


def _total(reply: Any) -> int:
    assert reply.status == 200, reply.body
    return int(reply.body["total"])


# 1 ------------------------------------------------------------------------- §5.3/§5.4
async def test_private_custom_fields_stripped_from_nested_query(
        admin: Api, alice: Api, server: Emulator) -> None:
    server.settings["Accounts_CustomFieldsToShowInUserInfo"] = "team"
    add_plain_user(server, "secretive", customFields={"ssn": "123-45", "team": "blue"})

    async def totals(api: Api, query: dict[str, Any]) -> int:
        return _total(await api.get("users.list", {"query": json.dumps(query), "count": 1}))

    hit = {"customFields.ssn": "123-45"}
    miss = {"customFields.ssn": "nope"}
    shapes: list[Callable[[dict[str, Any]], dict[str, Any]]] = [
        lambda q: q,
        lambda q: {"$or": [q]},
        lambda q: {"$and": [q]},
        lambda q: {"$or": [{"$and": [{"$or": [q]}]}]},
        lambda q: {"$and": [{"customFields.ssn": {"$regex": "^" + q["customFields.ssn"]}}]},
    ]
    for shape in shapes:
        # The privileged caller really filters on the private field ...
        assert await totals(admin, shape(hit)) == 1
        assert await totals(admin, shape(miss)) == 0
        # ... a plain user's condition on it vanishes, so it cannot be used as an oracle.
        assert await totals(alice, shape(hit)) == await totals(alice, shape(miss)) > 1
    # Public custom fields stay queryable by anyone, nested or not.
    assert await totals(alice, {"$or": [{"$and": [{"customFields.team": "blue"}]}]}) == 1


# 2 ------------------------------------------------------------------------- §8.3/§8.6
async def test_update_active_needs_active_status_permission(
        admin: Api, alice: Api, server: Emulator) -> None:
    assert alice.user_id is not None
    for active in (False, True):
        reply = await alice.post("users.update", {"userId": alice.user_id,
                                                  "data": {"active": active, "bio": "x"}})
        assert_error(reply, 400, "Not allowed [error-not-allowed]", "error-not-allowed")
        assert reply.body["details"] == {"method": "setUserActiveStatus"}
    stored = server.get_user(alice.user_id)
    assert stored is not None and stored["active"] is True and "bio" not in stored
    assert (await alice.get("me")).status == 200  # still logged in
    # The permission holder may (de)activate.
    reply = await admin.post("users.update", {"userId": alice.user_id, "data": {"active": False}})
    assert reply.status == 200 and reply.body["user"]["active"] is False


# 3 ------------------------------------------------------------------------------- §4.4/§4.6
async def test_non_ascii_totp_code_is_invalid_not_500(
        anon: Api, admin: Api, server: Emulator) -> None:
    user = add_plain_user(server, "tina", createdAt=LONG_AGO)
    server.enable_totp(user["_id"])
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in "123456")  # full-width digits
    for code in ("é12345", fullwidth):
        reply = await anon.post("login", {"user": "tina", "password": STRONG_PASSWORD,
                                          "code": code})
        assert reply.status == 401 and reply.body["error"] == "totp-invalid", reply.body
    reply = await anon.post("login", {"user": "tina", "password": STRONG_PASSWORD},
                            headers={"X-2fa-Code": "é12345"})
    assert reply.status == 401 and reply.body["error"] == "totp-invalid", reply.body
    api = admin.as_user(user["_id"], server.login_token(user["_id"]))
    reply = await api.post("users.update", {"userId": user["_id"], "data": {"bio": "b"}},
                           headers={"X-2fa-Code": "é12345"})
    assert_error(reply, 400, "TOTP Invalid [totp-invalid]", "totp-invalid")
    # A right code still works.
    reply = await api.post("users.update", {"userId": user["_id"], "data": {"bio": "b"}},
                           headers={"X-2fa-Code": server.totp_code(user["_id"])})
    assert reply.status == 200


# 4 ------------------------------------------------------------------------------------ §8.4
@pytest.mark.parametrize("selector", [
    {"term": "a", "exceptions": 5},
    {"term": "a", "exceptions": [[1]]},
    {"term": "a", "exceptions": "admin"},
    {"term": 5},
    {"term": ["a"]},
    {"term": "a", "conditions": []},
    {"term": "a", "conditions": "active"},
])
async def test_autocomplete_selector_types_are_400(admin: Api, selector: Any) -> None:
    reply = await admin.get("users.autocomplete", {"selector": json.dumps(selector)})
    assert_error(reply, 400)
    reply = await admin.get("users.autocomplete",
                            {"selector": json.dumps({"term": "a", "exceptions": ["admin"]})})
    assert reply.status == 200 and "admin" not in {i["username"] for i in reply.body["items"]}


# 5 ------------------------------------------------------------------------------------ §8.6
async def test_deactivate_idle_huge_days_matches_nobody(admin: Api, server: Emulator) -> None:
    before = [u["_id"] for u in (await admin.get("users.list", {"count": 0})).body["users"]
              if u["active"]]
    for days in (1_000_000, 1e10, 999_999_999, 1e300):
        reply = await admin.post("users.deactivateIdle", {"daysIdle": days})
        assert reply.status == 200 and reply.body == {"count": 0, "success": True}, reply.body
    after = [u["_id"] for u in (await admin.get("users.list", {"count": 0})).body["users"]
             if u["active"]]
    assert after == before
    # 8.8.1 bodies go through AJV with coerceTypes: a numeric string is a number there.
    reply = await admin.post("users.deactivateIdle", {"daysIdle": "1000000"})
    assert reply.body == {"count": 0, "success": True}, reply.body
    bad: object
    for bad in ("abc", "", [], {}):
        reply = await admin.post("users.deactivateIdle", {"daysIdle": bad})
        assert_error(reply, 400, "must be number", "invalid-params")


# 6 ------------------------------------------------------------------------------- §7.1/§8.6
async def test_dates_past_year_9999_are_invalid_not_500(alice: Api) -> None:
    for stamp in (FAR_FUTURE_OFFSET, "0001-01-01T00:00:00+01:00"):
        reply = await alice.get("users.presence", {"from": stamp})
        assert reply.status == 200 and reply.body["full"] is True, reply.body
        reply = await alice.post("users.setStatus", {"message": "x", "expiresAt": stamp})
        assert_error(reply, 400, "expiresAt must be a future date [error-invalid-date]",
                     "error-invalid-date")
    reply = await alice.post("users.setStatus", {"message": "x",
                                                 "expiresAt": "9999-12-31T23:59:59Z"})
    assert reply.status == 200


# 7 ------------------------------------------------------------------------------------ §8.5
@pytest.mark.parametrize(("ctype", "body"), [
    ("multipart/form-data", b"garbage"),
    ("multipart/form-data; boundary=xx", b"--xx\r\nnot a header\r\n\r\nabc\r\n--xx--\r\n"),
])
async def test_set_avatar_malformed_multipart_is_400(alice: Api, ctype: str,
                                                     body: bytes) -> None:
    reply = await alice.request("POST", "users.setAvatar", data=body,
                                headers={"Content-Type": ctype})
    assert_error(reply, 400, "The 'image' param is required")


# 8 ------------------------------------------------------------------------------------ §9
async def test_avatar_cache_time_must_be_digits(session: aiohttp.ClientSession,
                                                server: Emulator) -> None:
    server.settings["Accounts_AvatarBlockUnauthenticatedAccess"] = False
    default = int(server.settings["Accounts_AvatarCacheTime"])
    for raw, expected in (("abc", default), ("-5", default), ("²", default), ("1.5", default),
                          ("60", 60)):
        async with session.get(f"{server.url}/avatar/admin",
                               params={"cacheTime": raw, "size": "²"}) as resp:
            assert resp.status == 200, raw
            assert resp.headers["Cache-Control"] == f"public, max-age={expected}"


# 9 ------------------------------------------------------------------------------------ §1
async def test_body_is_json_only_with_json_content_type(alice: Api, server: Emulator) -> None:
    assert alice.user_id is not None
    payload = json.dumps({"message": "sneaky"}).encode()
    for headers in ({"Content-Type": "text/plain"}, {}, {"Content-Type": "application/xml"}):
        reply = await alice.request("POST", "users.setStatus", data=payload, headers=headers)
        # Read as text → no object → {} → schema error, as on a real server.
        assert_error(reply, 400, "must have required property 'status'\n must have required "
                     "property 'message'\n must match a schema in anyOf", "invalid-params")
    stored = server.get_user(alice.user_id)
    assert stored is not None and "statusText" not in stored
    reply = await alice.request("POST", "users.setStatus", data=payload,
                                headers={"Content-Type": "application/json; charset=utf-8"})
    assert reply.status == 200
    reply = await alice.request("POST", "users.setStatus", data="message=form",
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 200
    stored = server.get_user(alice.user_id)
    assert stored is not None and stored["statusText"] == "form"
    # A POST without body (and so without Content-Type) is {}.
    assert (await alice.post("users.removeOtherTokens")).status == 200


# 10 ------------------------------------------------------------------------------ §8.4/§13
async def test_info_by_free_switch_extension(admin: Api, alice: Api, server: Emulator) -> None:
    user = add_plain_user(server, "voip", freeSwitchExtension="1001")
    reply = await alice.get("users.info", {"freeSwitchExtension": "1001"})
    assert reply.status == 200 and reply.body["user"]["_id"] == user["_id"]
    assert reply.body["user"]["freeSwitchExtension"] == "1001"
    reply = await admin.get("users.info", {"freeSwitchExtension": "9999"})
    assert reply.body == {"success": False, "error": "User not found."}
    reply = await admin.get("users.info", {"freeSwitchExtension": "1001", "username": "voip"})
    assert_error(reply, 400, error_type="error-invalid-params")


# 11 ------------------------------------------------------------------------------ §3.3/§8.4
async def test_list_by_status_inactive_reason_enum_is_schema_error(admin: Api) -> None:
    reply = await admin.get("users.listByStatus", {"inactiveReason[]": "foo"})
    assert_error(reply, 400, "must be equal to one of the allowed values",
                 "error-invalid-params")
    reply = await admin.get("users.listByStatus",
                            [("inactiveReason[]", "idle_too_long"), ("inactiveReason[]", "x")])
    assert_error(reply, 400, error_type="error-invalid-params")
    reply = await admin.get("users.listByStatus", {"inactiveReason[]": "deactivated"})
    assert reply.status == 200


# 12 ------------------------------------------------------------------------------- §5.4/§10
async def test_list_by_status_items_have_no_name_insensitive(admin: Api, alice: Api) -> None:
    for api in (admin, alice):
        users = (await api.get("users.listByStatus", {"count": 0})).body["users"]
        assert users and not any("nameInsensitive" in u for u in users)
    users = (await admin.get("users.list", {"count": 0})).body["users"]
    assert users and all("nameInsensitive" in u for u in users)


# 13 ------------------------------------------------------------------------------------ §4.4
async def test_max_attempts_details_have_email_data(admin: Api, server: Emulator) -> None:
    user = add_plain_user(server, "maxine", createdAt=LONG_AGO,
                          services={"email2fa": {"enabled": True}},
                          emails=[{"address": "maxine@example.com", "verified": True}])
    api = admin.as_user(user["_id"], server.login_token(user["_id"]))
    reply = None
    for _ in range(6):
        reply = await api.post("users.update", {"userId": user["_id"], "data": {"bio": "b"}},
                               headers={"X-2fa-Code": "999999", "X-2fa-Method": "email"})
    assert reply is not None
    assert_error(reply, 400, error_type="totp-max-attempts")
    details = reply.body["details"]
    assert details["method"] == "email" and details["availableMethods"] == ["email"]
    assert details["emailOrUsername"] == "maxine"
    assert isinstance(details["codeGenerated"], bool)


# 14 ---------------------------------------------------------------------- bounded stores
async def test_stores_are_bounded(monkeypatch: pytest.MonkeyPatch, anon: Api, alice: Api,
                                  admin: Api, server: Emulator) -> None:
    monkeypatch.setattr(_store, "OUTBOX_LIMIT", 5)
    monkeypatch.setattr(_store, "REPORTS_LIMIT", 4)
    outbox = server.outbox
    for _ in range(8):
        assert (await anon.post("users.forgotPassword",
                                {"email": "alice@example.com"})).status == 200
    assert server.outbox is outbox and isinstance(outbox, list) and len(outbox) == 5
    last_token = server.get_user("alice")["services"]["password"]["reset"]["token"]  # type: ignore[index]
    assert outbox[-1]["token"] == last_token  # the newest are kept

    for i in range(7):
        reply = await alice.post("moderation.reportUser",
                                 {"userId": server.admin.user_id, "description": f"r{i}"})
        assert reply.status == 200
    reports = server._store.reports
    assert [r["description"] for r in reports] == ["r3", "r4", "r5", "r6"]

    monkeypatch.setattr(_store, "OUTBOX_LIMIT", 10_000)
    tokens = []
    for _ in range(_h_accounts.VERIFICATION_TOKENS_KEPT + 3):
        assert (await alice.post("users.sendConfirmationEmail",
                                 {"email": "alice@example.com"})).status == 200
        tokens.append(server.outbox[-1]["token"])
    stored = server.get_user("alice")
    assert stored is not None
    kept = stored["services"]["email"]["verificationTokens"]
    assert [t["token"] for t in kept] == tokens[-_h_accounts.VERIFICATION_TOKENS_KEPT:]
    assert_error(await anon.post("users.verifyEmail", {"token": tokens[0]}), 400,
                 "Verify email link expired")
    assert (await anon.post("users.verifyEmail", {"token": tokens[-1]})).status == 200

    add_plain_user(server, "coder", services={"email2fa": {"enabled": True}},
                   emails=[{"address": "coder@example.com", "verified": True}])
    for _ in range(_twofactor.EMAIL_CODES_KEPT + 4):
        assert (await anon.post("users.2fa.sendEmailCode",
                                {"emailOrUsername": "coder"})).status == 200
    coder = server.get_user("coder")
    assert coder is not None
    assert len(coder["services"]["emailCode"]) == _twofactor.EMAIL_CODES_KEPT


# 15 ------------------------------------------------------------------------------ §8.8/§13
async def test_create_token_87_rule_is_documented(alice: Api, anon: Api) -> None:
    doc = testing.__doc__ or ""
    assert "users.createToken" in doc and "8.7" in doc
    assert (await anon.get("/api/info")).body["version"] == "8.8.1"
    async with Emulator(settings={"CREATE_TOKENS_FOR_USERS_SECRET": "s3cret"}) as server, \
            aiohttp.ClientSession() as session:
        user = add_plain_user(server, "bea")
        api = Api(session, server, user["_id"], server.login_token(user["_id"]))
        reply = await api.post("users.createToken",
                               {"userId": server.admin.user_id, "secret": "s3cret"})
        assert_error(reply, 400, "Not authorized [error-not-authorized]", "error-not-authorized")
        reply = await api.post("users.createToken", {"userId": user["_id"], "secret": "s3cret"})
        assert reply.status == 200 and reply.body["data"]["userId"] == user["_id"]


# 16 ------------------------------------------------------------------------------------ §5.1
async def test_count_and_offset_use_parse_int(admin: Api) -> None:
    reply = await admin.get("users.list", {"count": "1.5", "offset": "2.9"})
    assert reply.status == 200, reply.body
    assert reply.body["count"] == 1 and reply.body["offset"] == 2
    reply = await admin.get("users.listByStatus", {"count": "2.5", "offset": "0.5"})
    assert reply.status == 200 and reply.body["count"] == 2 and reply.body["offset"] == 0
    for bad in ("abc", "1e400", "1_000"):
        reply = await admin.get("users.list", {"count": bad})
        assert_error(reply, 400, "must be number", "error-invalid-params")
    # JavaScript's Number() reads hex and surrounding spaces, and so does AJV's coercion.
    reply = await admin.get("users.list", {"count": "0x2", "offset": " 1 "})
    assert reply.status == 200 and reply.body["count"] == 2 and reply.body["offset"] == 1


# 17 ------------------------------------------------------------------------------------ §5.2
async def test_sort_and_fields_accept_integral_floats(admin: Api) -> None:
    up = await admin.get("users.list", {"sort": '{"username":1.0}', "count": 0})
    down = await admin.get("users.list", {"sort": '{"username":-1.0}', "count": 0})
    assert up.status == down.status == 200
    names = [u["username"] for u in up.body["users"]]
    assert names == sorted(names) and [u["username"] for u in down.body["users"]] == names[::-1]
    reply = await admin.get("users.list", {"fields": '{"bio":1.0,"nickname":0.0}', "count": 1})
    assert reply.status == 200
    for sort in ('{"username":true}', '{"username":1.5}', '{"username":"1"}'):
        reply = await admin.get("users.list", {"sort": sort})
        assert_error(reply, 400, error_type="error-invalid-sort")
    for fields in ('{"bio":true}', '{"bio":0.5}'):
        reply = await admin.get("users.list", {"fields": fields})
        assert_error(reply, 400, error_type="error-invalid-fields")


# 18 ------------------------------------------------------------------------------------ §6.1
async def test_rate_limit_settings_apply_at_runtime() -> None:
    async with Emulator(rate_limit=True) as server, aiohttp.ClientSession() as session:
        user = add_plain_user(server, "rita")
        api = Api(session, server, user["_id"], server.login_token(user["_id"]))
        server.settings["API_Enable_Rate_Limiter_Limit_Calls_Default"] = 3
        server.settings["API_Enable_Rate_Limiter_Limit_Time_Default"] = 120_000
        before_ms = time.time() * 1000
        for left in (2, 1, 0):
            reply = await api.get("users.getStatus")
            assert reply.status == 200 and reply.headers["X-RateLimit-Limit"] == "3"
            assert reply.headers["X-RateLimit-Remaining"] == str(left)
        reply = await api.get("users.getStatus")
        assert reply.status == 429
        reset = int(reply.headers["X-RateLimit-Reset"])
        assert before_ms + 119_000 <= reset <= before_ms + 121_000
    # An explicit (calls, seconds) wins over the settings.
    async with Emulator(rate_limit=(2, 60)) as server, aiohttp.ClientSession() as session:
        user = add_plain_user(server, "rita")
        api = Api(session, server, user["_id"], server.login_token(user["_id"]))
        server.settings["API_Enable_Rate_Limiter_Limit_Calls_Default"] = 50
        assert [(await api.get("users.getStatus")).status for _ in range(3)] == [200, 200, 429]
