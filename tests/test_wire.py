"""Exact requests on the wire for every endpoint, and the DESIGN return type of each.

aioresponses stands in for the server here: these tests are about bytes (method, path, headers,
each parameter under its wire name, body shape). Behaviour is tested against the emulator.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from typing import Any

import pytest

import rocketchat_users as rcu
from rocketchat_users import _endpoints as ep
from tests.wire import Wire, json_body

BASE = "http://127.0.0.1:9"
USER = {"_id": "u1", "username": "alice"}
OK: dict[str, Any] = {"success": True}
PAGE = {"users": [USER], "count": 1, "offset": 0, "total": 1, "success": True}
WHEN = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# (call, kwargs, REST name, query pairs sent, JSON body sent, answer, check of the result)
CASES: list[tuple[str, dict[str, Any], str, list[tuple[str, str]] | None, Any, Any, Any]] = [
    ("users.autocomplete", {"selector": {"term": "al+ce&x"}}, "users.autocomplete",
     [("selector", '{"term":"al+ce&x"}')], None, {"items": [USER], **OK},
     lambda r: [u.username for u in r] == ["alice"]),
    ("users.check_username_availability", {"username": "a+b"},
     "users.checkUsernameAvailability", [("username", "a+b")], None,
     {"result": False, **OK}, lambda r: r is False),
    ("users.get_personal_access_tokens", {}, "users.getPersonalAccessTokens", [], None,
     {"tokens": [{"name": "ci", "lastTokenPart": "abcdef", "bypassTwoFactor": True,
                  "createdAt": "2026-01-01T00:00:00.000Z"}], **OK},
     lambda r: r[0].name == "ci" and r[0].bypass_two_factor is True),
    ("users.get_preferences", {}, "users.getPreferences", [], None,
     {"preferences": {"useEmojis": False, "language": "de"}, **OK},
     lambda r: r.use_emojis is False and r.language == "de"),
    ("users.get_presence", {"username": "alice"}, "users.getPresence",
     [("username", "alice")], None, {"presence": "away", **OK}, lambda r: r.presence == "away"),
    ("users.get_status", {"user_id": "u1"}, "users.getStatus", [("userId", "u1")], None,
     {"_id": "u1", "status": "busy", **OK}, lambda r: r.id == "u1" and r.status == "busy"),
    ("users.get_status", {}, "users.getStatus", [], None,
     {"_id": "me", "status": "online", "connectionStatus": "online", **OK},
     lambda r: r.connection_status == "online"),
    ("users.get_username_suggestion", {}, "users.getUsernameSuggestion", [], None,
     {"result": "alice.2", **OK}, lambda r: r == "alice.2"),
    ("users.info", {"username": "alice", "include_user_rooms": True}, "users.info",
     [("username", "alice"), ("includeUserRooms", "true")], None, {"user": USER, **OK},
     lambda r: isinstance(r, rcu.User) and r.id == "u1"),
    ("users.info", {"email": "a+tag@example.org"}, "users.info",
     [("email", "a+tag@example.org")], None, {"user": USER, **OK}, lambda r: r.id == "u1"),
    ("users.info", {"import_id": "imp-1"}, "users.info", [("importId", "imp-1")], None,
     {"user": USER, **OK}, lambda r: r.id == "u1"),
    ("users.list", {"query": {"name": {"$regex": "é+"}}, "fields": {"emails": 1},
                    "sort": {"_id": 1}, "offset": 200, "count": 100, "email": "x@y.z"},
     "users.list",
     [("query", '{"name":{"$regex":"é+"}}'), ("fields", '{"emails":1}'), ("sort", '{"_id":1}'),
      ("offset", "200"), ("count", "100"), ("email", "x@y.z")], None, PAGE,
     lambda r: isinstance(r, rcu.UsersPage) and r.total == 1 and r.users[0].id == "u1"),
    ("users.list_by_status", {"status": "active", "has_logged_in": False, "type": "user",
                              "roles": ["admin", "bot"], "search_term": "a&b",
                              "inactive_reason": ["idle_too_long"], "sort": {"username": -1},
                              "offset": 0, "count": 0},
     "users.listByStatus",
     [("status", "active"), ("hasLoggedIn", "false"), ("type", "user"), ("roles[]", "admin"),
      ("roles[]", "bot"), ("searchTerm", "a&b"), ("inactiveReason[]", "idle_too_long"),
      ("sort", '{"username":-1}'), ("offset", "0"), ("count", "0")], None, PAGE,
     lambda r: r.count == 1),
    ("users.list_teams", {"user_id": "u1"}, "users.listTeams", [("userId", "u1")], None,
     {"teams": [{"_id": "t1", "name": "docs", "type": 0, "isOwner": True}], **OK},
     lambda r: r[0].name == "docs" and r[0].is_owner is True),
    ("users.presence", {"from_": WHEN, "ids": ["a", "b"]}, "users.presence",
     [("from", "2026-11-28T12:00:00.000Z"), ("ids", "a"), ("ids", "b")], None,
     {"users": [USER], "full": False, **OK},
     lambda r: isinstance(r, rcu.PresenceBatch) and r.full is False and r.users[0].id == "u1"),
    ("users.request_data_download", {"full_export": True}, "users.requestDataDownload",
     [("fullExport", "true")], None,
     {"requested": True, "exportOperation": {"_id": "op", "status": "pending"}, **OK},
     lambda r: r.requested is True and r.export_operation.status == "pending"),
    ("users.send_welcome_email", {"email": "a@b.c"}, "users.sendWelcomeEmail", None,
     {"email": "a@b.c"}, OK, lambda r: r is None),
    ("moderation.report_user", {"user_id": "u1", "description": "spam"},
     "moderation.reportUser", None, {"userId": "u1", "description": "spam"}, OK,
     lambda r: r is None),
    ("users.disable_email_2fa", {"two_factor_code": "123456", "two_factor_method": "email"},
     "users.2fa.disableEmail", None, None, OK, lambda r: r is None),
    ("users.enable_email_2fa", {}, "users.2fa.enableEmail", None, None, OK, lambda r: r is None),
    ("users.send_email_2fa_code", {"email_or_username": "alice"}, "users.2fa.sendEmailCode",
     None, {"emailOrUsername": "alice"}, OK, lambda r: r is None),
    ("users.create", {"email": "a@b.c", "name": "Zoë", "password": "Secret-password-1",
                      "username": "zoe", "roles": ["user"], "verified": True,
                      "custom_fields": {"team": "x"}},
     "users.create", None,
     {"email": "a@b.c", "name": "Zoë", "password": "Secret-password-1", "username": "zoe",
      "roles": ["user"], "verified": True, "customFields": {"team": "x"}},
     {"user": USER, **OK}, lambda r: r.id == "u1"),
    ("users.create_token", {"user_id": "u1", "secret": "s"}, "users.createToken", None,
     {"userId": "u1", "secret": "s"}, {"data": {"userId": "u1", "authToken": "tok"}, **OK},
     lambda r: isinstance(r, rcu.Credentials) and r.auth_token == "tok"),
    ("users.deactivate_idle", {"days_idle": 30, "role": "guest"}, "users.deactivateIdle", None,
     {"daysIdle": 30, "role": "guest"}, {"count": 4, **OK}, lambda r: r == 4),
    ("users.delete", {"username": "bob", "confirm_relinquish": True}, "users.delete", None,
     {"username": "bob", "confirmRelinquish": True},
     {"deletedRooms": ["r1", {"_id": "r2", "name": "x"}], **OK}, lambda r: r == ["r1", "r2"]),
    ("users.delete", {"user_id": "u1"}, "users.delete", None, {"userId": "u1"}, OK,
     lambda r: r == []),
    ("users.delete_own_account", {"password": "pw"}, "users.deleteOwnAccount", None,
     {"password": sha("pw")}, OK, lambda r: r is None),
    ("users.forgot_password", {"email": "a@b.c"}, "users.forgotPassword", None,
     {"email": "a@b.c"}, OK, lambda r: r is None),
    ("users.generate_personal_access_token", {"token_name": "ci", "bypass_two_factor": True},
     "users.generatePersonalAccessToken", None, {"tokenName": "ci", "bypassTwoFactor": True},
     {"token": "pat-value", **OK}, lambda r: r == "pat-value"),
    ("users.logout", {"user_id": "u2"}, "users.logout", None, {"userId": "u2"},
     {"message": "User u2 has been logged out!", **OK}, lambda r: r is None),
    ("users.logout_other_clients", {}, "users.logoutOtherClients", None, None,
     {"token": "tok", "tokenExpires": "2026-12-27T14:33:09.851Z", **OK},
     lambda r: r.token == "tok" and r.token_expires.year == 2026),
    ("users.regenerate_personal_access_token", {"token_name": "ci"},
     "users.regeneratePersonalAccessToken", None, {"tokenName": "ci"},
     {"token": "new-value", **OK}, lambda r: r == "new-value"),
    ("users.register", {"username": "zoe", "email": "z@e.x", "password": "pw", "name": "Zoë",
                        "secret_url": "abc"},
     "users.register", None,
     {"username": "zoe", "email": "z@e.x", "pass": "pw", "name": "Zoë", "secret": "abc"},
     {"user": USER, **OK}, lambda r: r.id == "u1"),
    ("users.remove_other_tokens", {}, "users.removeOtherTokens", None, None, OK,
     lambda r: r is None),
    ("users.remove_personal_access_token", {"token_name": "ci"},
     "users.removePersonalAccessToken", None, {"tokenName": "ci"}, OK, lambda r: r is None),
    ("users.reset_avatar", {"username": "alice"}, "users.resetAvatar", None,
     {"username": "alice"}, OK, lambda r: r is None),
    ("users.reset_e2e_key", {}, "users.resetE2EKey", None, {}, OK, lambda r: r is None),
    ("users.reset_totp", {"user_id": "u2"}, "users.resetTOTP", None, {"userId": "u2"}, OK,
     lambda r: r is None),
    ("users.set_active_status", {"user_id": "u1", "active_status": False},
     "users.setActiveStatus", None, {"userId": "u1", "activeStatus": False},
     {"user": {"_id": "u1", "active": False}, **OK}, lambda r: r.active is False),
    ("users.set_avatar", {"avatar_url": "https://img.example/a.png", "username": "alice"},
     "users.setAvatar", None, {"avatarUrl": "https://img.example/a.png", "username": "alice"},
     OK, lambda r: r is None),
    ("users.set_preferences", {"data": {"useEmojis": False}}, "users.setPreferences", None,
     {"data": {"useEmojis": False}},
     {"user": {"_id": "u1", "settings": {"preferences": {"useEmojis": False}}}, **OK},
     lambda r: r.use_emojis is False),
    ("users.set_preferences", {"data": rcu.Preferences(theme_appearence="dark"),
                               "user_id": "u2"},
     "users.setPreferences", None, {"userId": "u2", "data": {"themeAppearence": "dark"}},
     {"preferences": {"themeAppearence": "dark"}, **OK},
     lambda r: r.theme_appearence == "dark"),
    ("users.set_status", {"status": "away", "message": "lunch", "expires_at": WHEN},
     "users.setStatus", None,
     {"status": "away", "message": "lunch", "expiresAt": "2026-11-28T12:00:00.000Z"}, OK,
     lambda r: r is None),
    ("users.update", {"user_id": "u1", "data": rcu.UserUpdate(name="Zoë", active=False)},
     "users.update", None, {"userId": "u1", "data": {"name": "Zoë", "active": False}},
     {"user": USER, **OK}, lambda r: r.id == "u1"),
    ("users.update", {"user_id": "u1", "data": {"status_text": "hi", "customFields": {"a": 1}}},
     "users.update", None, {"userId": "u1", "data": {"statusText": "hi", "customFields": {"a": 1}}},
     {"user": USER, **OK}, lambda r: r.id == "u1"),
    ("users.update_own_basic_info",
     {"data": rcu.BasicInfoUpdate(email="n@e.w", current_password="old"),
      "custom_fields": {"x": "y"}},
     "users.updateOwnBasicInfo", None,
     {"data": {"email": "n@e.w", "currentPassword": sha("old")}, "customFields": {"x": "y"}},
     {"user": USER, **OK}, lambda r: r.id == "u1"),
    ("users.get_avatar_suggestion", {}, "users.getAvatarSuggestion", [], None,
     {"suggestions": {"gravatar": {"service": "gravatar", "url": "https://g/x",
                                   "contentType": "image/png"}}, **OK},
     lambda r: r["gravatar"].content_type == "image/png"),
    ("users.send_confirmation_email", {"email": "a@b.c"}, "users.sendConfirmationEmail", None,
     {"email": "a@b.c"}, OK, lambda r: r is None),
    ("users.verify_email", {"token": "tk"}, "users.verifyEmail", None, {"token": "tk"}, OK,
     lambda r: r is None),
    ("users.send_invitation_email", {"emails": ["a@b.c", "d@e.f"]}, "sendInvitationEmail",
     None, {"emails": ["a@b.c", "d@e.f"]}, OK, lambda r: r is None),
    ("me", {}, "me", [], None, {**USER, "success": True}, lambda r: r.username == "alice"),
    ("logout", {}, "logout", None, None, b"", lambda r: r is None),
]


def _target(rc: rcu.Session, dotted: str) -> Any:
    obj: Any = rc
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize(
    ("call", "kwargs", "rest", "query", "body", "answer", "check"),
    CASES,
    ids=[f"{case[0]}-{i}" for i, case in enumerate(CASES)],
)
async def test_request_on_the_wire(
    wire: Wire, call: str, kwargs: dict[str, Any], rest: str,
    query: list[tuple[str, str]] | None, body: Any, answer: Any, check: Any,
) -> None:
    row = next(r for r in ep.ENDPOINTS if r.name == rest)
    url = re.compile(re.escape(f"{BASE}/api/v1/{rest}") + r"(\?.*)?$")
    if isinstance(answer, bytes):
        wire.add(url, row.method, body=answer)
    else:
        wire.add(url, row.method, payload=answer)
    async with rcu.Session(BASE, user_id="u1", auth_token="secret-token") as rc:
        result = await _target(rc, call)(**kwargs)
    method, sent_url, sent = wire.only()
    assert method == row.method
    assert sent_url.path == f"/api/v1/{rest}"
    assert list(sent.get("params") or []) == (query or [])
    assert json_body(sent) == body
    headers = sent["headers"]
    if row.auth:
        assert headers["X-User-Id"] == "u1" and headers["X-Auth-Token"] == "secret-token"
    else:
        assert "X-Auth-Token" not in headers and "X-User-Id" not in headers
    if "two_factor_code" in kwargs:
        assert headers["X-2fa-Code"] == kwargs["two_factor_code"]
        assert headers["X-2fa-Method"] == kwargs["two_factor_method"]
    assert check(result), result


def test_every_public_method_has_a_wire_case() -> None:
    covered = {case[0] for case in CASES} | {"users.get_avatar", "users.set_avatar", "avatar",
                                             "login"}
    # Walks and watches are made of users.list/listByStatus/presence calls (tested above);
    # their own tests are in test_paging.py, test_exact_walk.py and test_watch_presence.py.
    covered |= {"users.iter_list", "users.iter_list_by_status", "users.iter_pages",
                "users.iter_pages_by_status", "users.watch_presence"}
    public = {f"users.{name}" for name in dir(rcu.Session("http://x").users)
              if not name.startswith("_")}
    assert public - covered == set()


async def test_unauthenticated_endpoints_never_carry_auth_headers(wire: Wire) -> None:
    # The server refuses users.register from a logged-in caller (server-behavior §8.2).
    wire.post(f"{BASE}/api/v1/users.register", payload={"user": USER, **OK})
    async with rcu.Session(BASE, user_id="u1", auth_token="secret-token") as rc:
        await rc.users.register(username="zoe", email="z@e.x", password="pw", name="Zoë")
    _, _, sent = wire.only()
    assert not {"X-User-Id", "X-Auth-Token"} & set(sent["headers"])


async def test_password_two_factor_sends_the_digest(wire: Wire) -> None:
    wire.post(f"{BASE}/api/v1/users.removePersonalAccessToken", payload=OK)
    async with rcu.Session(BASE, user_id="u1", auth_token="t") as rc:
        await rc.users.remove_personal_access_token(
            token_name="ci", two_factor_code="my password", two_factor_method="password"
        )
    _, _, sent = wire.only()
    assert sent["headers"]["X-2fa-Code"] == sha("my password")
    assert sent["headers"]["X-2fa-Method"] == "password"


async def test_login_fills_the_auth_context_and_logout_clears_it(wire: Wire) -> None:
    wire.post(f"{BASE}/api/v1/login", payload={
        "status": "success", "data": {"userId": "u9", "authToken": "fresh", "me": USER}, **OK})
    wire.get(f"{BASE}/api/v1/me", payload={**USER, **OK})
    wire.post(f"{BASE}/api/v1/logout", body=b"")
    async with rcu.Session(BASE) as rc:
        me = await rc.login("alice@example.org", "pw", code="123456")
        assert me.username == "alice" and rc.user_id == "u9"
        await rc.me()
        await rc.logout()
        assert rc.user_id is None
    login, me_call, logout = wire.sent()
    assert json_body(login[2]) == {"user": "alice@example.org", "password": "pw",
                                   "code": "123456"}
    assert "X-Auth-Token" not in login[2]["headers"]
    assert me_call[2]["headers"]["X-Auth-Token"] == "fresh"
    assert logout[2]["headers"]["X-User-Id"] == "u9"


async def test_get_avatar_follows_the_redirect_to_the_root_avatar_route(wire: Wire) -> None:
    wire.get(f"{BASE}/api/v1/users.getAvatar?username=al%C3%AFce", status=307,
             headers={"Location": f"{BASE}/avatar/al%C3%AFce"}, body=b'"x"')
    wire.get(re.compile(re.escape(f"{BASE}/avatar/al%C3%AFce") + r"\?.*"),
             body=b"<svg/>", content_type="image/svg+xml")
    async with rcu.Session(BASE, user_id="u1", auth_token="tok") as rc:
        avatar = await rc.users.get_avatar(username="alïce")
    assert avatar == rcu.Avatar(content=b"<svg/>", content_type="image/svg+xml")
    (_, _, sent1), (_, second, sent2) = wire.sent()
    assert sent1["allow_redirects"] is False
    assert second.path == "/avatar/alïce"
    # /avatar reads rc_uid/rc_token, not the auth headers (server-behavior §9).
    assert dict(sent2["params"]) == {"rc_uid": "u1", "rc_token": "tok"}


async def test_set_avatar_uploads_multipart(wire: Wire, tmp_path: Any) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 32
    path = tmp_path / "me.png"
    path.write_bytes(png)
    wire.post(f"{BASE}/api/v1/users.setAvatar", payload=OK, repeat=True)
    async with rcu.Session(BASE, user_id="u1", auth_token="tok") as rc:
        await rc.users.set_avatar(image=path)
        await rc.users.set_avatar(image=png, user_id="u2")
        with path.open("rb") as f:
            await rc.users.set_avatar(image=f)
    for _, _, sent in wire.sent():
        form = sent["data"]
        fields = {field[0]["name"]: field for field in form._fields}
        assert fields["image"][1]["Content-Type"] == "image/png"
        assert fields["image"][2] == png
    assert "userId" in {f[0]["name"] for f in wire.sent()[1][2]["data"]._fields}


@pytest.mark.parametrize(
    ("call", "kwargs", "error"),
    [
        ("users.info", {}, ValueError),
        ("users.info", {"user_id": "a", "username": "b"}, ValueError),
        ("users.delete", {}, ValueError),
        ("users.get_avatar", {"user_id": "a", "username": "b"}, ValueError),
        ("users.reset_avatar", {}, ValueError),
        ("users.set_avatar", {}, ValueError),
        ("users.set_status", {}, ValueError),
        ("users.list", {"count": -1}, ValueError),
        ("users.update", {"user_id": "u", "data": {}}, ValueError),
        ("users.update", {"user_id": "u", "data": {"nmae": "typo"}}, TypeError),
        ("users.update", {"user_id": "u", "data": {"active": "yes"}}, TypeError),
        ("users.list_by_status", {"roles": "admin"}, TypeError),
        ("users.presence", {"from_": datetime(2026, 1, 1)}, ValueError),
        ("users.deactivate_idle", {"days_idle": -1}, ValueError),
        ("moderation.report_user", {"user_id": "u", "description": " "}, ValueError),
        ("users.set_avatar", {"image": b""}, ValueError),
    ],
)
async def test_argument_mistakes_fail_before_sending(
    wire: Wire, call: str, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    async with rcu.Session(BASE, user_id="u1", auth_token="t") as rc:
        with pytest.raises(error):
            await _target(rc, call)(**kwargs)
    assert wire.sent() == []
