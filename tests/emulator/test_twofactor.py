"""2FA challenges on REST and at login (server-behavior.md §4)."""

from __future__ import annotations

import hashlib
from typing import Any

import aiohttp

from rocketchat_users.testing import Emulator

from .conftest import STRONG_PASSWORD, Api, add_plain_user, assert_error

LONG_AGO = "2020-01-01T00:00:00.000Z"


def old_user(server: Emulator, username: str, *, verified: bool = True,
             email2fa: bool = True) -> tuple[dict[str, Any], str]:
    services: dict[str, Any] = {}
    if email2fa:
        services["email2fa"] = {"enabled": True}
    user = add_plain_user(server, username, createdAt=LONG_AGO, services=services,
                          emails=[{"address": f"{username}@example.com", "verified": verified}])
    return user, server.login_token(user["_id"])


async def test_email_code_challenge(admin: Api, server: Emulator) -> None:
    user, token = old_user(server, "erin")
    api = admin.as_user(user["_id"], token)
    body = {"userId": user["_id"], "data": {"name": "Erin Ní Bhriain"}}
    reply = await api.post("users.update", body)
    assert_error(reply, 400, "TOTP Required [totp-required]", "totp-required")
    assert reply.body["details"] == {"method": "email", "emailOrUsername": "erin",
                                     "codeGenerated": True, "availableMethods": ["email"]}
    mail = server.outbox[-1]
    assert mail["kind"] == "2fa-code" and mail["to"] == "erin@example.com"
    # A second challenge within the code's life reuses it (no new mail).
    again = await api.post("users.update", body)
    assert again.body["details"]["codeGenerated"] is False
    assert again.body["details"]["codeCount"] == 1
    reply = await api.post("users.update", body, headers={"X-2fa-Code": "000000",
                                                          "X-2fa-Method": "email"})
    assert_error(reply, 400, "TOTP Invalid [totp-invalid]", "totp-invalid")
    code = f"{mail['code'][:3]}-{mail['code'][3:]}"  # non-digits are stripped
    reply = await api.post("users.update", body, headers={"X-2fa-Code": code,
                                                          "X-2fa-Method": "email"})
    assert reply.status == 200 and reply.body["user"]["name"] == "Erin Ní Bhriain"
    # Remembered for this token now.
    assert (await api.post("users.update", body)).status == 200


async def test_totp(admin: Api, server: Emulator) -> None:
    user, token = old_user(server, "tom", email2fa=False)
    secret = server.enable_totp(user["_id"])
    assert len(secret) >= 16
    api = admin.as_user(user["_id"], token)
    reply = await api.post("users.generatePersonalAccessToken", {"tokenName": "t"})
    assert reply.body["details"]["method"] == "totp"
    assert reply.body["details"]["availableMethods"] == ["totp"]
    reply = await api.post("users.generatePersonalAccessToken", {"tokenName": "t"},
                           headers={"X-2fa-Code": server.totp_code(user["_id"])})
    assert reply.status == 200 and reply.body["token"]


async def test_password_fallback(admin: Api, server: Emulator) -> None:
    user, token = old_user(server, "pat", email2fa=False, verified=False)
    api = admin.as_user(user["_id"], token)
    reply = await api.post("users.removePersonalAccessToken", {"tokenName": "x"})
    assert reply.body["details"] == {"method": "password", "codeGenerated": False,
                                     "availableMethods": []}
    reply = await api.post("users.removePersonalAccessToken", {"tokenName": "x"},
                           headers={"X-2fa-Code": STRONG_PASSWORD, "X-2fa-Method": "password"})
    assert reply.body["errorType"] == "totp-invalid"  # the plain password is not the code
    digest = hashlib.sha256(STRONG_PASSWORD.encode()).hexdigest().upper()
    reply = await api.post("users.removePersonalAccessToken", {"tokenName": "x"},
                           headers={"X-2fa-Code": digest, "X-2fa-Method": "password"})
    assert reply.body["errorType"] == "error-token-does-not-exists"  # past the 2FA gate


async def test_no_remember_endpoints(admin: Api, server: Emulator) -> None:
    user, token = old_user(server, "nora")
    api = admin.as_user(user["_id"], token)
    await api.post("users.2fa.disableEmail")
    code = server.outbox[-1]["code"]
    reply = await api.post("users.2fa.disableEmail", headers={"X-2fa-Code": code})
    assert reply.status == 200
    stored = server.get_user(user["_id"])
    assert stored is not None and stored["services"]["email2fa"]["enabled"] is False
    # now a password-fallback user; disableRememberMe asks again despite the previous success
    reply = await api.post("users.2fa.disableEmail")
    assert reply.body["details"]["method"] == "password"


async def test_grace_period_and_remember_for_zero(server: Emulator, admin: Api) -> None:
    assert (await admin.post("users.update", {"userId": server.admin.user_id,
                                              "data": {"bio": "x"}})).status == 200
    async with Emulator(remember_for=0) as strict, aiohttp.ClientSession() as session:
        api = Api(session, strict, strict.admin.user_id, strict.admin.auth_token)
        reply = await api.post("users.update", {"userId": strict.admin.user_id,
                                                "data": {"bio": "x"}})
        assert_error(reply, 400, error_type="totp-required")
        digest = hashlib.sha256(strict.admin.password.encode()).hexdigest()
        reply = await api.post("users.update", {"userId": strict.admin.user_id,
                                                "data": {"bio": "x"}},
                               headers={"X-2fa-Code": digest})
        assert reply.status == 200


async def test_pat_bypass_and_setting_off(admin: Api, server: Emulator) -> None:
    user, token = old_user(server, "bea")
    server.settings["Accounts_TwoFactorAuthentication_Enabled"] = False
    api = admin.as_user(user["_id"], token)
    reply = await api.post("users.generatePersonalAccessToken",
                           {"tokenName": "bot", "bypassTwoFactor": True})
    pat = reply.body["token"]
    server.settings["Accounts_TwoFactorAuthentication_Enabled"] = True
    assert (await api.post("users.regeneratePersonalAccessToken", {"tokenName": "bot"})
            ).body["errorType"] == "totp-required"
    via_pat = admin.as_user(user["_id"], pat)
    reply = await via_pat.post("users.generatePersonalAccessToken", {"tokenName": "other"})
    assert reply.status == 200


async def test_login_2fa(anon: Api, server: Emulator) -> None:
    old_user(server, "lou")
    reply = await anon.post("login", {"user": "lou", "password": STRONG_PASSWORD})
    assert reply.status == 401
    assert reply.body["error"] == "totp-required" and reply.body["message"] == "TOTP Required"
    assert reply.body["details"]["method"] == "email"
    code = server.outbox[-1]["code"]
    reply = await anon.post("login", {"user": "lou", "password": STRONG_PASSWORD, "code": "1"})
    assert reply.status == 401 and reply.body["error"] == "totp-invalid"
    reply = await anon.post("login", {"user": "lou", "password": STRONG_PASSWORD},
                            headers={"X-2fa-Code": code})
    assert reply.status == 200 and reply.body["data"]["me"]["username"] == "lou"
    # password-only users are never challenged at login
    old_user(server, "pam", email2fa=False)
    reply = await anon.post("login", {"user": "pam", "password": STRONG_PASSWORD})
    assert reply.status == 200


async def test_max_attempts(admin: Api, server: Emulator) -> None:
    user, token = old_user(server, "max")
    api = admin.as_user(user["_id"], token)
    errors = []
    for _ in range(6):
        reply = await api.post("users.update", {"userId": user["_id"], "data": {"bio": "b"}},
                               headers={"X-2fa-Code": "999999", "X-2fa-Method": "email"})
        errors.append(reply.body["errorType"])
    assert errors == ["totp-invalid"] * 5 + ["totp-max-attempts"]
    assert reply.body["error"] == "TOTP Maximun Failed Attempts Reached [totp-max-attempts]"


async def test_send_email_code_and_enable(anon: Api, alice: Api, server: Emulator) -> None:
    old_user(server, "sam")
    before = len(server.outbox)
    assert (await anon.post("users.2fa.sendEmailCode", {"emailOrUsername": "sam"})).status == 200
    assert len(server.outbox) == before + 1 and len(server.outbox[-1]["code"]) == 6
    assert (await anon.post("users.2fa.sendEmailCode",
                            {"emailOrUsername": "nobody"})).body == {"success": True}
    reply = await anon.post("users.2fa.sendEmailCode", {})
    assert_error(reply, 400, error_type="invalid-params")
    reply = await alice.post("users.2fa.enableEmail")
    assert_error(reply, 400, "You need to verify your emails before setting up 2FA "
                             "[error-invalid-user]")
    assert (await anon.post("users.2fa.enableEmail")).status == 401


async def test_reset_totp_and_e2e(admin: Api, alice: Api, server: Emulator) -> None:
    assert alice.user_id is not None
    server.enable_totp(alice.user_id)
    reply = await alice.post("users.resetTOTP", {"userId": server.admin.user_id},
                             headers={"X-2fa-Code": server.totp_code(alice.user_id)})
    assert_error(reply, 400, "Not allowed [error-not-allowed]")
    reply = await admin.post("users.resetTOTP", {"userId": alice.user_id},
                             headers={"X-2fa-Code": hashlib.sha256(
                                 server.admin.password.encode()).hexdigest()})
    assert reply.status == 200
    stored = server.get_user(alice.user_id)
    assert stored is not None and "totp" not in stored["services"]
    assert (await alice.get("me")).status == 401  # tokens cleared because TOTP changed
    bob = add_plain_user(server, "bob")
    bob_api = admin.as_user(bob["_id"], server.login_token(bob["_id"]))
    digest = hashlib.sha256(STRONG_PASSWORD.encode()).hexdigest()
    reply = await bob_api.post("users.resetE2EKey", headers={"X-2fa-Code": digest})
    assert reply.status == 200
    assert (await bob_api.get("me")).status == 401


async def test_enable_email_2fa(admin: Api, server: Emulator) -> None:
    user, token = old_user(server, "vic", email2fa=False)
    other = server.login_token(user["_id"])
    api = admin.as_user(user["_id"], token)
    assert (await api.post("users.2fa.enableEmail")).body == {"success": True}
    stored = server.get_user(user["_id"])
    assert stored is not None and stored["services"]["email2fa"]["enabled"] is True
    assert (await admin.as_user(user["_id"], other).get("me")).status == 401
    me = (await api.get("me")).body
    assert me["services"]["email2fa"] == {"enabled": True}


async def test_reset_e2e_key_for_others_needs_permission(alice: Api, server: Emulator) -> None:
    reply = await alice.post("users.resetE2EKey", {"userId": server.admin.user_id})
    assert reply.body["errorType"] == "totp-required"  # 2FA runs before the handler (§3.4)
    digest = hashlib.sha256(STRONG_PASSWORD.encode()).hexdigest()
    reply = await alice.post("users.resetE2EKey", {"userId": server.admin.user_id},
                             headers={"X-2fa-Code": digest})
    assert_error(reply, 400, "Not allowed [error-not-allowed]", "error-not-allowed")
    assert (await alice.get("me")).status == 200
