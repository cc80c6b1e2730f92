"""login / logout / me, token endpoints and personal access tokens."""

from __future__ import annotations

import hashlib

from rocketchat_users.testing import Emulator

from .conftest import STRONG_PASSWORD, Api, add_plain_user, assert_error

NOT_LOGGED_IN = {"success": False, "error": "You must be logged in to do this.",
                 "status": "error", "message": "You must be logged in to do this."}


async def test_401_body_has_four_keys(anon: Api) -> None:
    reply = await anon.get("me")
    assert reply.status == 401
    assert reply.body == NOT_LOGGED_IN


async def test_bad_token_is_401(admin: Api, server: Emulator) -> None:
    reply = await admin.as_user(server.admin.user_id, "nope").get("users.list")
    assert reply.status == 401 and reply.body == NOT_LOGGED_IN


async def test_tokens_are_stored_hashed(server: Emulator) -> None:
    stored = server.get_user(server.admin.user_id)
    assert stored is not None
    hashes = [t["hashedToken"] for t in stored["services"]["resume"]["loginTokens"]]
    assert server.admin.auth_token not in hashes
    import base64

    expected = base64.b64encode(hashlib.sha256(server.admin.auth_token.encode()).digest())
    assert expected.decode() in hashes


async def test_login_forms(anon: Api, server: Emulator) -> None:
    add_plain_user(server, "bob")
    forms = [
        {"user": "bob", "password": STRONG_PASSWORD},
        {"user": "bob@example.com", "password": STRONG_PASSWORD},
        {"username": "bob", "password": STRONG_PASSWORD},
        {"email": "bob@example.com", "password": STRONG_PASSWORD},
        {"user": {"username": "bob"}, "password": STRONG_PASSWORD},
        {"user": "bob", "password": {"hashed": hashlib.sha256(
            STRONG_PASSWORD.encode()).hexdigest()}},
    ]
    for form in forms:
        reply = await anon.post("login", form)
        assert reply.status == 200, (form, reply.body)
        assert reply.body["status"] == "success" and reply.body["success"] is True
        data = reply.body["data"]
        assert data["me"]["username"] == "bob"
        assert data["me"]["services"]["password"] == {"exists": True}
        assert "bcrypt" not in str(data["me"])
        me = await anon.as_user(data["userId"], data["authToken"]).get("me")
        assert me.status == 200 and me.body["_id"] == data["userId"]


async def test_login_failures(anon: Api, server: Emulator) -> None:
    add_plain_user(server, "bob")
    for form in ({"user": "bob", "password": "wrong"}, {"user": "nobody", "password": "x"}, {}):
        reply = await anon.post("login", form)
        assert reply.status == 401
        assert reply.body == {"success": False, "error": "Unauthorized", "status": "error",
                              "message": "Unauthorized"}


async def test_login_resume_and_deactivated(anon: Api, server: Emulator) -> None:
    reply = await anon.post("login", {"resume": server.admin.auth_token})
    assert reply.status == 200 and reply.body["data"]["userId"] == server.admin.user_id
    add_plain_user(server, "gone", active=False)
    reply = await anon.post("login", {"user": "gone", "password": STRONG_PASSWORD})
    assert_error(reply, 401, "error-user-is-not-activated")


async def test_login_keeps_presence(anon: Api, admin: Api, server: Emulator) -> None:
    user = add_plain_user(server, "bob")
    await anon.post("login", {"user": "bob", "password": STRONG_PASSWORD})
    reply = await admin.get("users.getPresence", {"userId": user["_id"]})
    assert reply.body["presence"] == "offline"  # §16: REST login does not set presence


async def test_me_view(admin: Api, server: Emulator) -> None:
    reply = await admin.get("me")
    body = reply.body
    assert body["success"] is True and body["username"] == "admin"
    assert body["email"] == "admin@example.com"
    assert body["avatarUrl"] == f"{server.url}/avatar/admin"
    prefs = body["settings"]["preferences"]
    assert prefs["desktopNotifications"] == "all" and prefs["enableMobileRinging"] is False
    assert body["services"] == {"password": {"exists": True}}


async def test_logout_empty_body_and_token_gone(anon: Api, server: Emulator) -> None:
    add_plain_user(server, "bob")
    login = await anon.post("login", {"user": "bob", "password": STRONG_PASSWORD})
    api = anon.as_user(login.body["data"]["userId"], login.body["data"]["authToken"])
    reply = await api.post("logout")
    assert reply.status == 200 and reply.raw == b""
    assert reply.headers["Content-Type"].startswith("application/json")
    assert (await api.get("me")).status == 401
    assert (await anon.post("logout")).status == 401


async def test_get_logout(alice: Api) -> None:
    assert (await alice.get("logout")).status == 200
    assert (await alice.get("me")).status == 401


async def test_users_logout_self_and_other(admin: Api, alice: Api, server: Emulator) -> None:
    other = add_plain_user(server, "bob")
    reply = await alice.post("users.logout", {"userId": other["_id"]})
    assert_error(reply, 403, "unauthorized")
    token = server.login_token(other["_id"])
    reply = await admin.post("users.logout", {"userId": other["_id"]})
    assert reply.body["message"] == f"User {other['_id']} has been logged out!"
    assert (await admin.as_user(other["_id"], token).get("me")).status == 401
    reply = await alice.post("users.logout", {})
    assert reply.status == 200
    assert (await alice.get("me")).status == 401


async def test_logout_other_clients_and_remove_other_tokens(alice: Api, server: Emulator
                                                            ) -> None:
    assert alice.user_id is not None
    other_token = server.login_token(alice.user_id)
    reply = await alice.post("users.logoutOtherClients")
    assert reply.status == 200 and reply.body["token"] == alice.token
    assert reply.body["tokenExpires"].endswith("Z")
    assert (await alice.as_user(alice.user_id, other_token).get("me")).status == 401
    other_token = server.login_token(alice.user_id)
    assert (await alice.post("users.removeOtherTokens")).body == {"success": True}
    assert (await alice.as_user(alice.user_id, other_token).get("me")).status == 401
    assert (await alice.get("me")).status == 200
    assert (await alice.anonymous().post("users.removeOtherTokens")).status == 401


async def test_create_token(admin: Api, server: Emulator) -> None:
    reply = await admin.post("users.createToken", {"userId": server.admin.user_id,
                                                   "secret": "s3cret"})
    assert_error(reply, 400, "Not authorized [error-not-authorized]", "error-not-authorized")
    server.settings["CREATE_TOKENS_FOR_USERS_SECRET"] = "s3cret"
    reply = await admin.post("users.createToken", {"userId": server.admin.user_id,
                                                   "secret": "s3cret"})
    data = reply.body["data"]
    assert data["userId"] == server.admin.user_id
    assert (await admin.as_user(data["userId"], data["authToken"]).get("me")).status == 200
    reply = await admin.post("users.createToken", {"userId": server.admin.user_id})
    assert_error(reply, 400, error_type="invalid-params")


async def test_personal_access_tokens(alice: Api, server: Emulator) -> None:
    reply = await alice.post("users.generatePersonalAccessToken",
                             {"tokenName": "ci", "bypassTwoFactor": True})
    token = reply.body["token"]
    assert len(token) == 43
    reply = await alice.post("users.generatePersonalAccessToken", {"tokenName": "ci"})
    assert_error(reply, 400, "A token with this name already exists [error-token-already-exists]")
    listed = await alice.get("users.getPersonalAccessTokens")
    assert listed.body["tokens"][0]["name"] == "ci"
    assert listed.body["tokens"][0]["lastTokenPart"] == token[-6:]
    assert listed.body["tokens"][0]["bypassTwoFactor"] is True
    assert alice.user_id is not None
    assert (await alice.as_user(alice.user_id, token).get("me")).status == 200
    new = (await alice.post("users.regeneratePersonalAccessToken", {"tokenName": "ci"})).body
    assert (await alice.as_user(alice.user_id, token).get("me")).status == 401
    assert (await alice.as_user(alice.user_id, new["token"]).get("me")).status == 200
    reply = await alice.post("users.removePersonalAccessToken", {"tokenName": "nope"})
    assert_error(reply, 400, "Token does not exist [error-token-does-not-exists]")
    assert (await alice.post("users.removePersonalAccessToken", {"tokenName": "ci"})).status == 200
    assert (await alice.get("users.getPersonalAccessTokens")).body["tokens"] == []


async def test_pat_permissions(session: object, server: Emulator, admin: Api) -> None:
    guest = add_plain_user(server, "gus", roles=["guest"])
    api = admin.as_user(guest["_id"], server.login_token(guest["_id"]))
    reply = await api.post("users.generatePersonalAccessToken", {"tokenName": "x"})
    assert_error(reply, 400, "Not Authorized [not-authorized]", "not-authorized")
    reply = await api.get("users.getPersonalAccessTokens")
    assert_error(reply, 403, "User does not have the permissions required for this action "
                             "[error-unauthorized]")


async def test_failed_logins_block_the_user(anon: Api, server: Emulator) -> None:
    add_plain_user(server, "bob")
    for _ in range(10):
        assert (await anon.post("login", {"user": "bob", "password": "wrong"})).status == 401
    reply = await anon.post("login", {"user": "bob", "password": STRONG_PASSWORD})
    assert_error(reply, 401, "error-login-blocked-for-user")
    assert reply.body["message"] == "Login has been temporarily blocked For User"
    server.settings["Accounts_Block_Failed_Login_Attempts_Enable"] = False
    reply = await anon.post("login", {"user": "bob", "password": STRONG_PASSWORD})
    assert reply.status == 200


async def test_regenerate_unknown_pat(alice: Api) -> None:
    reply = await alice.post("users.regeneratePersonalAccessToken", {"tokenName": "nope"})
    assert_error(reply, 400, "Token does not exist [error-token-does-not-exists]",
                 "error-token-does-not-exists")
    assert reply.body["details"] == {"method": "personalAccessTokens:regenerateToken"}
