"""create / register / update / updateOwnBasicInfo / activation / deletion / mails / prefs."""

from __future__ import annotations

import hashlib
from typing import Any

from rocketchat_users.testing import Emulator

from .conftest import STRONG_PASSWORD, Api, add_plain_user, assert_error

PERMISSION_TEXT = "User does not have the permissions required for this action [error-unauthorized]"


def new_user(**extra: Any) -> dict[str, Any]:
    return {"email": "carol@example.com", "name": "Carol Ó Súilleabháin",
            "password": STRONG_PASSWORD, "username": "carol", **extra}


async def test_create_success(admin: Api) -> None:
    reply = await admin.post("users.create", new_user(roles=["user"], verified=True,
                                                      customFields={"team": "x"}))
    user = reply.body["user"]
    assert reply.status == 200 and user["username"] == "carol"
    assert user["emails"] == [{"address": "carol@example.com", "verified": True}]
    assert user["type"] == "user" and user["status"] == "offline" and user["active"] is True
    assert "services" not in user and user["settings"] == {}
    assert user["createdAt"].endswith("Z") and len(user["createdAt"]) == 24


async def test_create_errors(admin: Api, alice: Api) -> None:
    reply = await alice.post("users.create", new_user())
    assert_error(reply, 400, "Adding user is not allowed [error-action-not-allowed]",
                 "error-action-not-allowed")
    assert reply.body["details"] == {"method": "insertOrUpdateUser", "action": "Adding_user"}
    reply = await admin.post("users.create", new_user(username="alice"))
    assert_error(reply, 400, "alice is already in use :( [error-field-unavailable]")
    reply = await admin.post("users.create", new_user(username="admin"))
    assert_error(reply, 400, "admin is blocked and can't be used! [error-blocked-username]")
    reply = await admin.post("users.create", new_user(username="bad name"))
    assert_error(reply, 400, error_type="error-input-is-not-a-valid-field")
    reply = await admin.post("users.create", new_user(email="nope"))
    assert_error(reply, 400, "Invalid email nope [error-invalid-email]")
    reply = await admin.post("users.create", new_user(name="<b>"))
    assert_error(reply, 400, "Name contains invalid characters")
    assert "errorType" not in reply.body
    reply = await admin.post("users.create", new_user(roles=["wizard"]))
    assert_error(reply, 400, "The field Roles consist invalid role id [error-action-not-allowed]")
    reply = await admin.post("users.create", {"email": "x@example.com"})
    # 8.8.1's typed router: AJV's message alone, no "[invalid-params]" suffix.
    assert_error(reply, 400, "must have required property 'name'", "invalid-params")
    reply = await admin.post("users.create", new_user(color="blue"))
    assert_error(reply, 400, "must NOT have additional properties", "invalid-params")


async def test_password_policy_details(admin: Api) -> None:
    reply = await admin.post("users.create", new_user(password="aaa"))
    assert_error(reply, 400, "The password provided does not meet the server's password policy. "
                             "[error-password-policy-not-met]", "error-password-policy-not-met")
    codes = [d["error"] for d in reply.body["details"]]
    assert codes == ["error-password-policy-not-met-minLength",
                     "error-password-policy-not-met-repeatingCharacters",
                     "error-password-policy-not-met-oneUppercase",
                     "error-password-policy-not-met-oneNumber",
                     "error-password-policy-not-met-oneSpecial"]


async def test_password_policy_can_be_disabled() -> None:
    async with Emulator(settings={"Accounts_Password_Policy_Enabled": False}) as server:
        import aiohttp

        async with aiohttp.ClientSession() as session:
            api = Api(session, server, server.admin.user_id, server.admin.auth_token)
            reply = await api.post("users.create", new_user(password="short"))
            assert reply.status == 200


async def test_register(anon: Api, alice: Api, server: Emulator) -> None:
    body = {"username": "dora", "email": "dora@example.com", "pass": STRONG_PASSWORD,
            "name": "Dora D'Angelo"}
    reply = await anon.post("users.register", body)
    user = reply.body["user"]
    assert reply.status == 200 and user["username"] == "dora"
    assert "emails" not in user and "roles" not in user and "services" not in user
    reply = await alice.post("users.register", {**body, "username": "dora2"})
    assert_error(reply, 400, "Logged in users can not register again.")
    reply = await anon.post("users.register", body)
    assert_error(reply, 400, "Username is already in use")
    reply = await anon.post("users.register", {**body, "username": "dora3"})
    assert_error(reply, 400, "Email already exists")
    reply = await anon.post("users.register", {**body, "username": "a b"})
    assert_error(reply, 400, "The username provided is not valid")
    server.settings["Accounts_RegistrationForm"] = "Disabled"
    reply = await anon.post("users.register", {**body, "username": "dora4",
                                               "email": "d4@example.com"})
    assert_error(reply, 400, error_type="error-user-registration-disabled")
    reply = await anon.post("users.register", {"username": "x", "email": "y@example.com",
                                               "password": STRONG_PASSWORD})
    assert_error(reply, 400, error_type="invalid-params")


async def test_update(admin: Api, alice: Api, server: Emulator) -> None:
    uid = alice.user_id
    reply = await admin.post("users.update", {"userId": uid, "data": {
        "name": "Alice Liddell", "username": "alice2", "email": "al@example.com",
        "verified": True, "roles": ["user", "moderator"], "password": "N3w-Passw0rd!xyz"}})
    user = reply.body["user"]
    assert user["name"] == "Alice Liddell" and user["username"] == "alice2"
    assert user["emails"][0] == {"address": "al@example.com", "verified": True}
    assert user["roles"] == ["user", "moderator"] and "services" not in user
    assert server.password_of("alice2") == STRONG_PASSWORD  # hook tracks seeded passwords only
    login = await admin.anonymous().post("login", {"user": "alice2",
                                                   "password": "N3w-Passw0rd!xyz"})
    assert login.status == 200
    reply = await admin.post("users.update", {"userId": "nope", "data": {"name": "x"}})
    assert_error(reply, 400, error_type="error-invalid-user")
    reply = await admin.post("users.update", {"userId": uid, "data": {"username": "admin"}})
    assert_error(reply, 400, "Could not save user identity [error-could-not-save-identity]")
    reply = await admin.post("users.update", {"userId": uid, "data": {"joinDefaultChannels": True}})
    # The router sends error.message only: no "/data" instance path.
    assert_error(reply, 400, "must NOT have additional properties", "invalid-params")


async def test_update_by_plain_user(alice: Api, admin: Api, server: Emulator) -> None:
    reply = await alice.post("users.update", {"userId": server.admin.user_id,
                                              "data": {"name": "x"}})
    assert_error(reply, 400, "Editing user is not allowed [error-action-not-allowed]")
    reply = await alice.post("users.update", {"userId": alice.user_id,
                                              "data": {"roles": ["admin"]}})
    assert_error(reply, 400, "Assign roles is not allowed [error-action-not-allowed]")
    # Own password through users.update is silently ignored without edit-other-user-password.
    reply = await alice.post("users.update", {"userId": alice.user_id,
                                              "data": {"password": "Other-Passw0rd!x"}})
    assert reply.status == 200
    assert (await alice.anonymous().post(
        "login", {"user": "alice", "password": STRONG_PASSWORD})).status == 200


async def test_update_own_basic_info(alice: Api, server: Emulator) -> None:
    reply = await alice.post("users.updateOwnBasicInfo", {"data": {"name": "Alice Ünal",
                                                                   "bio": "hi"}})
    assert reply.body["user"]["name"] == "Alice Ünal"
    assert reply.body["user"]["services"]["password"] == {"exists": True}
    digest = hashlib.sha256(STRONG_PASSWORD.encode()).hexdigest()
    reply = await alice.post("users.updateOwnBasicInfo", {"data": {
        "newPassword": STRONG_PASSWORD, "currentPassword": digest}})
    assert_error(reply, 400, error_type="error-password-same-as-current")
    reply = await alice.post("users.updateOwnBasicInfo",
                             {"data": {"newPassword": "New-Passw0rd!x"}})
    assert_error(reply, 400, "TOTP Required [totp-required]", "totp-required")
    assert reply.body["details"] == {"method": "password", "codeGenerated": False,
                                     "availableMethods": []}
    reply = await alice.post("users.updateOwnBasicInfo", {"data": {
        "newPassword": "New-Passw0rd!x", "currentPassword": "0" * 64}})
    assert_error(reply, 400, "TOTP Invalid [totp-invalid]")
    reply = await alice.post("users.updateOwnBasicInfo", {"data": {
        "newPassword": "New-Passw0rd!x", "currentPassword": digest.upper()}})
    assert reply.status == 200
    server.settings["Accounts_AllowUserProfileChange"] = False
    reply = await alice.post("users.updateOwnBasicInfo", {"data": {"name": "x"}})
    assert_error(reply, 400, "Not allowed [error-not-allowed]")


async def test_set_active_status(admin: Api, alice: Api, server: Emulator) -> None:
    reply = await admin.post("users.setActiveStatus", {"userId": alice.user_id,
                                                       "activeStatus": False})
    assert reply.body["user"] == {"_id": alice.user_id, "active": False}
    assert (await alice.get("me")).status == 401  # deactivation clears tokens
    stored = server.get_user("alice")
    assert stored is not None and stored["inactiveReason"] == "deactivated"
    reply = await admin.post("users.setActiveStatus", {"userId": alice.user_id,
                                                       "activeStatus": True})
    assert reply.body["user"]["active"] is True
    reply = await admin.post("users.setActiveStatus", {"userId": server.admin.user_id,
                                                       "activeStatus": False})
    # the seed has other admins (seed slot 1), so deactivating this one is allowed
    assert reply.status == 200


async def test_set_active_status_errors(alice: Api, admin: Api) -> None:
    reply = await alice.post("users.setActiveStatus", {"userId": alice.user_id,
                                                       "activeStatus": False})
    assert_error(reply, 403, PERMISSION_TEXT)
    reply = await admin.post("users.setActiveStatus", {"userId": "nope", "activeStatus": False})
    assert_error(reply, 400, error_type="error-invalid-user")


async def test_last_admin_rule() -> None:
    async with Emulator(users=0) as server:
        import aiohttp

        async with aiohttp.ClientSession() as session:
            api = Api(session, server, server.admin.user_id, server.admin.auth_token)
            reply = await api.post("users.setActiveStatus", {"userId": server.admin.user_id,
                                                             "activeStatus": False})
            assert_error(reply, 400, "Leaving the app without an active admin is not allowed "
                                     "[error-action-not-allowed]")


async def test_last_owner_rule(admin: Api, server: Emulator) -> None:
    owner = await _a_team_owner(admin)
    reply = await admin.post("users.setActiveStatus", {"userId": owner["_id"],
                                                       "activeStatus": False})
    assert_error(reply, 400, "[user-last-owner]", "user-last-owner")
    assert isinstance(reply.body["details"], list) and reply.body["details"]
    reply = await admin.post("users.setActiveStatus", {"userId": owner["_id"],
                                                       "activeStatus": False,
                                                       "confirmRelinquish": True})
    assert reply.status == 200


async def _a_team_owner(admin: Api) -> dict[str, Any]:
    users = (await admin.get("users.list", {"count": 0})).body["users"]
    for user in users:
        teams = (await admin.get("users.listTeams", {"userId": user["_id"]})).body["teams"]
        if any(t["isOwner"] for t in teams):
            return dict(user)
    raise AssertionError("the seed has team owners")


async def test_deactivate_idle(admin: Api, alice: Api, server: Emulator) -> None:
    guest = add_plain_user(server, "gus", roles=["guest"])
    reply = await admin.post("users.deactivateIdle", {"daysIdle": 0, "role": "guest"})
    assert reply.body["count"] >= 1
    stored = server.get_user(guest["_id"])
    assert stored is not None and stored["inactiveReason"] == "idle_too_long"
    reply = await alice.post("users.deactivateIdle", {"daysIdle": 1})
    assert_error(reply, 403, PERMISSION_TEXT)


async def test_delete(admin: Api, alice: Api, server: Emulator) -> None:
    other = add_plain_user(server, "bob")
    reply = await alice.post("users.delete", {"userId": other["_id"]})
    assert_error(reply, 403, PERMISSION_TEXT)
    reply = await admin.post("users.delete", {"username": "bob"})
    assert reply.body == {"deletedRooms": [], "success": True}
    assert server.get_user("bob") is None
    reply = await admin.post("users.delete", {"userId": "nope"})
    assert_error(reply, 400, error_type="error-invalid-user")
    # 8.8.1: the schema wants a target, so a body without one never reaches the handler.
    reply = await admin.post("users.delete", {})
    assert_error(reply, 400, "must have required property 'userId'\n must have required "
                 "property 'username'\n must match a schema in anyOf", "invalid-params")


async def test_delete_own_account(alice: Api, server: Emulator) -> None:
    digest = hashlib.sha256(STRONG_PASSWORD.encode()).hexdigest()
    reply = await alice.post("users.deleteOwnAccount", {"password": digest})
    assert_error(reply, 400, "Not allowed [error-not-allowed]")
    server.settings["Accounts_AllowDeleteOwnAccount"] = True
    reply = await alice.post("users.deleteOwnAccount", {"password": "0" * 64})
    assert_error(reply, 400, "Invalid password [error-invalid-password]")
    reply = await alice.post("users.deleteOwnAccount", {"password": digest})
    assert reply.status == 200 and server.get_user("alice") is None


async def test_forgot_password(anon: Api, server: Emulator) -> None:
    add_plain_user(server, "bob")
    assert (await anon.post("users.forgotPassword", {"email": "bob@example.com"})).status == 200
    assert server.outbox[-1]["kind"] == "reset-password" and server.outbox[-1]["token"]
    assert (await anon.post("users.forgotPassword", {"email": "invalidEmail"})).status == 200
    server.settings["Accounts_PasswordReset"] = False
    reply = await anon.post("users.forgotPassword", {"email": "bob@example.com"})
    assert_error(reply, 400, "Password reset is not enabled")


async def test_mails(admin: Api, alice: Api, anon: Api, server: Emulator) -> None:
    reply = await admin.post("users.sendWelcomeEmail", {"email": "alice@example.com"})
    assert reply.status == 200 and server.outbox[-1]["kind"] == "welcome"
    reply = await admin.post("users.sendWelcomeEmail", {"email": "ghost@example.com"})
    assert_error(reply, 400, "Invalid user [error-invalid-user]")
    # 8.8.1's schema checks the address (format basic_email) before the handler runs.
    reply = await admin.post("users.sendWelcomeEmail", {"email": "not-an-email"})
    assert_error(reply, 400, 'must match format "basic_email"', "invalid-params")
    reply = await alice.post("users.sendWelcomeEmail", {"email": "alice@example.com"})
    assert_error(reply, 403, PERMISSION_TEXT)
    reply = await alice.post("users.sendConfirmationEmail", {"email": "alice@example.com"})
    token = server.outbox[-1]["token"]
    assert reply.status == 200 and server.outbox[-1]["kind"] == "verification"
    reply = await alice.post("users.sendConfirmationEmail", {"email": "not-an-email"})
    assert_error(reply, 400, error_type="error-invalid-email")
    assert (await anon.post("users.verifyEmail", {"token": "bad"})).body == {
        "success": False, "error": "Verify email link expired"}
    assert (await anon.post("users.verifyEmail", {"token": token})).status == 200
    stored = server.get_user("alice")
    assert stored is not None and stored["emails"][0]["verified"] is True
    reply = await admin.post("sendInvitationEmail", {"emails": ["new@example.com"]})
    assert reply.status == 200 and server.outbox[-1]["to"] == "new@example.com"
    reply = await admin.post("sendInvitationEmail", {})
    assert_error(reply, 400, "must have required property 'emails'", "invalid-params")
    reply = await alice.post("sendInvitationEmail", {"emails": ["x@example.com"]})
    assert_error(reply, 403)


async def test_smtp_not_configured(admin: Api, server: Emulator) -> None:
    server.settings["SMTP_Configured"] = False
    reply = await admin.post("users.sendWelcomeEmail", {"email": "admin@example.com"})
    assert_error(reply, 400, "SMTP is not configured [error-email-send-failed]")
    assert reply.body["details"] == {"method": "sendWelcomeEmail"}


async def test_preferences(alice: Api, admin: Api, server: Emulator) -> None:
    reply = await alice.post("users.setPreferences", {"data": {"useEmojis": False,
                                                               "language": "pt-BR"}})
    assert reply.body["user"] == {"_id": alice.user_id, "settings": {
        "preferences": {"useEmojis": False, "language": "pt-BR"}}}
    reply = await alice.get("users.getPreferences")
    assert reply.body["preferences"] == {"useEmojis": False, "language": "pt-BR"}
    reply = await alice.post("users.setPreferences", {"userId": server.admin.user_id,
                                                      "data": {"useEmojis": False}})
    assert_error(reply, 400, "Editing user is not allowed [error-action-not-allowed]")
    reply = await alice.post("users.setPreferences", {"data": {"colour": "red"}})
    assert_error(reply, 400, error_type="invalid-params")
    reply = await admin.post("users.setPreferences", {"userId": alice.user_id,
                                                      "data": {"hideRoles": True}})
    assert reply.body["user"]["settings"]["preferences"]["hideRoles"] is True


async def test_report_user_and_data_download(alice: Api, server: Emulator) -> None:
    reply = await alice.post("moderation.reportUser", {"userId": server.admin.user_id,
                                                       "description": "spam"})
    assert reply.body == {"success": True}
    reply = await alice.post("moderation.reportUser", {"userId": "nope", "description": "x"})
    assert reply.body == {"success": False, "error": "Invalid user id provided."}
    first = await alice.get("users.requestDataDownload", {"fullExport": "true"})
    assert first.body["requested"] is True and first.body["exportOperation"]["fullExport"] is True
    again = await alice.get("users.requestDataDownload")
    assert again.body["requested"] is False
    assert again.body["exportOperation"]["_id"] == first.body["exportOperation"]["_id"]
    # 8.8.1's schema: fullExport is any string (only "true" asks for a full export).
    reply = await alice.get("users.requestDataDownload", {"fullExport": "yes", "x": "1"})
    assert_error(reply, 400, "must NOT have additional properties", "error-invalid-params")


async def test_get_preferences_without_settings(admin: Api, server: Emulator) -> None:
    cat = admin.as_user("rocket.cat", server.login_token("rocket.cat"))
    reply = await cat.get("users.getPreferences")
    assert reply.body == {"success": False,
                          "error": "Accounts_Default_User_Preferences_not_available"}
    assert (await admin.anonymous().get("users.getPreferences")).status == 401
