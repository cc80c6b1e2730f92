"""Account lifecycle through the SDK against the emulator: create, register, update, (de)activate,
delete, preferences and user reports (DESIGN.md §1; server-behavior.md §8.2, §8.3, §8.6, §8.7,
§8.9, §11, §12)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
import pytest

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator
from tests.conftest import PASSWORD, add_user, logged_in, user_doc

# Passes the default policy (§11): ≥ 14 chars, upper, lower, digit, symbol, no triples.
OTHER_PASSWORD = "An0ther-Secr3t?y"
LONG_AGO = "2020-01-01T00:00:00.000Z"


@pytest.fixture
def rocketchat_emulator_options() -> dict[str, Any]:
    return {"users": 10, "seed": 7}


# ------------------------------------------------------------------------------ users.create


async def test_create_returns_the_new_user_who_can_log_in(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    user = await rocketchat_session.users.create(
        email="noor@example.com", name="Noor Haddad", password=PASSWORD, username="noor",
        nickname="nono",
    )
    assert isinstance(user, rcu.User)
    assert isinstance(user.id, str) and user.id
    assert (user.username, user.name, user.nickname) == ("noor", "Noor Haddad", "nono")
    assert user.type == "user" and user.active is True
    assert user.roles == ["user"]  # Accounts_Registration_Users_Default_Roles
    assert user.emails == [rcu.Email(address="noor@example.com", verified=False)]
    assert isinstance(user.created_at, datetime) and user.created_at.tzinfo is not None
    # The server has it, and the password works.
    assert user_doc(rocketchat_emulator, "noor")["_id"] == user.id
    info = await rocketchat_session.users.info(user_id=user.id)
    assert info.username == "noor"
    async with logged_in(rocketchat_emulator, "noor") as rc:
        assert (await rc.me()).id == user.id


async def test_create_with_a_taken_username_is_error_field_unavailable(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    add_user(rocketchat_emulator, "taken")
    with pytest.raises(rcu.BadRequestError) as caught:
        await rocketchat_session.users.create(
            email="fresh@example.com", name="Fresh", password=PASSWORD, username="taken"
        )
    exc = caught.value
    assert type(exc) is rcu.BadRequestError
    assert exc.status == 400
    assert exc.error_type == "error-field-unavailable"
    assert "taken is already in use" in exc.error
    assert exc.endpoint == "POST users.create"
    assert rocketchat_emulator.get_user("fresh@example.com") is None


async def test_create_with_a_taken_email_or_a_team_name(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    add_user(rocketchat_emulator, "owner")
    with pytest.raises(rcu.BadRequestError) as email:
        await rocketchat_session.users.create(
            email="OWNER@example.com", name="Copy", password=PASSWORD, username="copycat"
        )
    assert email.value.error_type == "error-field-unavailable"
    # A team's name blocks the username too (§8.2); the seed has a team "engineering".
    with pytest.raises(rcu.BadRequestError) as team:
        await rocketchat_session.users.create(
            email="eng@example.com", name="Eng", password=PASSWORD, username="Engineering"
        )
    assert team.value.error_type == "error-field-unavailable"
    assert rocketchat_emulator.get_user("copycat") is None
    assert rocketchat_emulator.get_user("Engineering") is None


async def test_create_with_a_weak_password_lists_every_failed_rule(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    with pytest.raises(rcu.BadRequestError) as caught:
        await rocketchat_session.users.create(
            email="weak@example.com", name="Weak", password="short", username="weakling"
        )
    exc = caught.value
    assert exc.status == 400
    assert exc.error_type == "error-password-policy-not-met"
    assert isinstance(exc.details, list)
    rules = {item["error"] for item in exc.details if isinstance(item, dict)}
    assert {
        "error-password-policy-not-met-minLength",
        "error-password-policy-not-met-oneUppercase",
        "error-password-policy-not-met-oneNumber",
        "error-password-policy-not-met-oneSpecial",
    } <= rules
    assert "error-password-policy-not-met-oneLowercase" not in rules
    assert "short" not in str(exc)  # the password never shows in the message
    assert rocketchat_emulator.get_user("weakling") is None


async def test_create_as_a_plain_user_is_permission_denied(rocketchat_emulator: Emulator) -> None:
    add_user(rocketchat_emulator, "plain")
    async with logged_in(rocketchat_emulator, "plain") as rc:
        with pytest.raises(rcu.PermissionDeniedError) as caught:
            await rc.users.create(
                email="sneaky@example.com", name="Sneaky", password=PASSWORD, username="sneaky"
            )
    exc = caught.value
    assert exc.status == 400
    assert exc.error_type == "error-action-not-allowed"
    assert exc.error == "Adding user is not allowed [error-action-not-allowed]"
    assert rocketchat_emulator.get_user("sneaky") is None


async def test_create_without_login_is_an_authentication_error(
    rocketchat_emulator: Emulator,
) -> None:
    async with rcu.Session(rocketchat_emulator.url) as rc:
        with pytest.raises(rcu.AuthenticationError) as caught:
            await rc.users.create(
                email="anon@example.com", name="Anon", password=PASSWORD, username="anon"
            )
    assert caught.value.status == 401
    assert rocketchat_emulator.get_user("anon") is None


async def test_create_with_optional_fields(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    user = await rocketchat_session.users.create(
        email="opal@example.com", name="Opal", password=PASSWORD, username="opal",
        verified=True, require_password_change=True, roles=["user", "guest"],
        send_welcome_email=True, active=False,
    )
    assert user.emails == [rcu.Email(address="opal@example.com", verified=True)]
    assert user.require_password_change is True
    assert user.roles == ["user", "guest"]
    assert user.active is False
    welcome = [m for m in rocketchat_emulator.outbox if m["kind"] == "welcome"]
    assert [m["to"] for m in welcome] == ["opal@example.com"]


async def test_create_with_a_random_password(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    user = await rocketchat_session.users.create(
        email="rand@example.com", name="Rand", password="", username="rand",
        set_random_password=True,
    )
    assert user.require_password_change is True
    [mail] = [m for m in rocketchat_emulator.outbox if m["kind"] == "password"]
    assert mail["to"] == "rand@example.com"


async def test_create_with_a_blocked_username(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    # Accounts_SystemBlockedUsernameList = admin,administrator,system,user (§11).
    with pytest.raises(rcu.BadRequestError) as caught:
        await rocketchat_session.users.create(
            email="sys@example.com", name="System", password=PASSWORD, username="system"
        )
    assert caught.value.error_type == "error-blocked-username"
    assert rocketchat_emulator.get_user("system") is None


# ---------------------------------------------------------------------------- users.register


async def test_register_anonymously_creates_an_active_user(
    rocketchat_emulator: Emulator,
) -> None:
    async with rcu.Session(rocketchat_emulator.url) as rc:
        user = await rc.users.register(
            username="rosa", email="rosa@example.com", password=PASSWORD, name="Rosa Parks"
        )
        assert isinstance(user, rcu.User)
        assert user.username == "rosa" and user.name == "Rosa Parks"
        assert user.active is True
        # An anonymous caller's view: no e-mails, roles or settings (§8.2).
        assert (user.emails, user.roles, user.settings) == (None, None, None)
        assert rc.user_id is None  # registering does not log in
    doc = user_doc(rocketchat_emulator, "rosa")
    assert doc["_id"] == user.id
    assert doc["roles"] == ["user"]
    assert doc["emails"] == [{"address": "rosa@example.com", "verified": False}]
    async with logged_in(rocketchat_emulator, "rosa") as rc:
        assert (await rc.me()).username == "rosa"


async def test_register_works_from_a_logged_in_session(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    # The server refuses register from a logged-in caller; the SDK sends it without auth.
    user = await rocketchat_session.users.register(
        username="omar", email="omar@example.com", password=PASSWORD, name="Omar"
    )
    assert user.username == "omar"
    assert user_doc(rocketchat_emulator, "omar")["_id"] == user.id
    # The admin's session is still the admin's.
    assert (await rocketchat_session.me()).id == rocketchat_emulator.admin.user_id


async def test_register_when_registration_is_disabled(rocketchat_emulator: Emulator) -> None:
    rocketchat_emulator.settings["Accounts_RegistrationForm"] = "Disabled"
    async with rcu.Session(rocketchat_emulator.url) as rc:
        with pytest.raises(rcu.BadRequestError) as caught:
            await rc.users.register(
                username="late", email="late@example.com", password=PASSWORD, name="Late"
            )
    exc = caught.value
    assert exc.status == 400
    assert exc.error_type == "error-user-registration-disabled"
    assert exc.error == "User registration is disabled [error-user-registration-disabled]"
    assert rocketchat_emulator.get_user("late") is None


async def test_register_with_a_taken_username(rocketchat_emulator: Emulator) -> None:
    add_user(rocketchat_emulator, "dupe")
    async with rcu.Session(rocketchat_emulator.url) as rc:
        with pytest.raises(rcu.BadRequestError) as caught:
            await rc.users.register(
                username="dupe", email="dupe2@example.com", password=PASSWORD, name="Dupe"
            )
    assert caught.value.status == 400
    assert caught.value.error == "Username is already in use"
    assert caught.value.error_type is None  # route-level text, no errorType (§8.2)


async def test_register_through_a_secret_url(rocketchat_emulator: Emulator) -> None:
    rocketchat_emulator.settings.update({
        "Accounts_RegistrationForm": "Secret URL",
        "Accounts_RegistrationForm_SecretURL": "let-me-in",
    })
    async with rcu.Session(rocketchat_emulator.url) as rc:
        with pytest.raises(rcu.BadRequestError) as caught:
            await rc.users.register(
                username="xena", email="xena@example.com", password=PASSWORD, name="Xena"
            )
        assert caught.value.error_type == "error-user-registration-secret"
        assert rocketchat_emulator.get_user("xena") is None
        user = await rc.users.register(
            username="xena", email="xena@example.com", password=PASSWORD, name="Xena",
            secret_url="let-me-in",
        )
    assert user_doc(rocketchat_emulator, "xena")["_id"] == user.id


async def test_register_with_manual_approval_leaves_the_user_inactive(
    rocketchat_emulator: Emulator,
) -> None:
    rocketchat_emulator.settings["Accounts_ManuallyApproveNewUsers"] = True
    async with rcu.Session(rocketchat_emulator.url) as rc:
        user = await rc.users.register(
            username="yara", email="yara@example.com", password=PASSWORD, name="Yara"
        )
        assert user.active is False
        with pytest.raises(rcu.AuthenticationError):
            await rc.login("yara", PASSWORD)
    assert user_doc(rocketchat_emulator, "yara")["active"] is False


# ------------------------------------------------------------------------------ users.update


async def test_update_with_a_dict(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    target = add_user(rocketchat_emulator, "ulla")
    user = await rocketchat_session.users.update(
        user_id=target["_id"], data={"name": "Ulla Berg", "bio": "Tea drinker"}
    )
    assert isinstance(user, rcu.User)
    assert user.id == target["_id"]
    assert (user.name, user.bio) == ("Ulla Berg", "Tea drinker")
    info = await rocketchat_session.users.info(user_id=target["_id"])
    assert (info.name, info.bio) == ("Ulla Berg", "Tea drinker")


async def test_update_with_a_user_update_struct(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    target = add_user(rocketchat_emulator, "vera")
    user = await rocketchat_session.users.update(
        user_id=target["_id"],
        data=rcu.UserUpdate(nickname="vee", status_text="Heads down", roles=["user", "guest"]),
    )
    assert (user.nickname, user.status_text) == ("vee", "Heads down")
    assert user.roles == ["user", "guest"]
    doc = user_doc(rocketchat_emulator, target["_id"])
    assert (doc["nickname"], doc["statusText"], doc["roles"]) == (
        "vee", "Heads down", ["user", "guest"])
    assert doc["name"] == "Vera"  # fields not given are not sent, so not touched


async def test_update_email_by_an_admin(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    target = add_user(rocketchat_emulator, "xavi")
    user = await rocketchat_session.users.update(
        user_id=target["_id"], data={"email": "xavi@example.org", "verified": True}
    )
    assert user.emails == [rcu.Email(address="xavi@example.org", verified=True)]
    assert [m for m in rocketchat_emulator.outbox if m["kind"] == "verification"] == []
    await rocketchat_session.users.update(user_id=target["_id"], data={"email": "x@example.net"})
    # Without verified=True the new address is unverified and a verification mail goes out.
    assert user_doc(rocketchat_emulator, "xavi")["emails"] == [
        {"address": "x@example.net", "verified": False}]
    assert [m["to"] for m in rocketchat_emulator.outbox if m["kind"] == "verification"] == [
        "x@example.net"]


async def test_deactivating_through_update_logs_the_user_out(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    target = add_user(rocketchat_emulator, "walt")
    async with logged_in(rocketchat_emulator, "walt") as walt:
        user = await rocketchat_session.users.update(
            user_id=target["_id"], data=rcu.UserUpdate(active=False)
        )
        assert user.active is False
        with pytest.raises(rcu.AuthenticationError):
            await walt.me()
    assert user_doc(rocketchat_emulator, "walt")["active"] is False


async def test_update_with_an_unknown_field_is_a_type_error_before_sending(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    target = add_user(rocketchat_emulator, "wim")
    sent = len(rocketchat_emulator.request_log)
    with pytest.raises(TypeError, match="nmae"):
        await rocketchat_session.users.update(user_id=target["_id"], data={"nmae": "Wim"})
    with pytest.raises(ValueError, match="data"):
        await rocketchat_session.users.update(user_id=target["_id"], data=rcu.UserUpdate())
    assert len(rocketchat_emulator.request_log) == sent
    assert user_doc(rocketchat_emulator, "wim")["name"] == "Wim"


async def test_update_another_user_as_a_plain_user_is_permission_denied(
    rocketchat_emulator: Emulator,
) -> None:
    add_user(rocketchat_emulator, "mallory")
    victim = add_user(rocketchat_emulator, "victor")
    async with logged_in(rocketchat_emulator, "mallory") as rc:
        with pytest.raises(rcu.PermissionDeniedError) as caught:
            await rc.users.update(user_id=victim["_id"], data={"name": "Pwned"})
    exc = caught.value
    assert exc.status == 400
    assert exc.error_type == "error-action-not-allowed"
    assert "Editing user is not allowed" in exc.error
    assert user_doc(rocketchat_emulator, "victor")["name"] == "Victor"


async def test_update_to_a_reserved_username(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    target = add_user(rocketchat_emulator, "yves")
    with pytest.raises(rcu.BadRequestError) as caught:
        await rocketchat_session.users.update(user_id=target["_id"], data={"username": "system"})
    assert caught.value.error_type == "error-could-not-save-identity"  # §16
    assert user_doc(rocketchat_emulator, target["_id"])["username"] == "yves"


async def test_update_an_unknown_user_is_user_not_found(
    rocketchat_session: rcu.Session,
) -> None:
    with pytest.raises(rcu.UserNotFoundError) as caught:
        await rocketchat_session.users.update(user_id="NoSuchUserId12345", data={"name": "X"})
    assert caught.value.status == 400
    assert caught.value.error_type in ("error-invalid-user", "error-user-not-found")
    assert isinstance(caught.value, rcu.NotFoundError)


async def test_update_password_by_an_admin(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    target = add_user(rocketchat_emulator, "zeno")
    await rocketchat_session.users.update(
        user_id=target["_id"], data=rcu.UserUpdate(password=OTHER_PASSWORD)
    )
    async with rcu.Session(rocketchat_emulator.url) as rc:
        with pytest.raises(rcu.AuthenticationError):
            await rc.login("zeno", PASSWORD)
        assert (await rc.login("zeno", OTHER_PASSWORD)).id == target["_id"]


async def test_update_own_password_through_update_is_silently_ignored(
    rocketchat_emulator: Emulator,
) -> None:
    # §8.3: users.update applies `password` only with edit-other-user-password, even for self.
    target = add_user(rocketchat_emulator, "yuki")
    async with logged_in(rocketchat_emulator, "yuki") as rc:
        user = await rc.users.update(
            user_id=target["_id"], data={"password": OTHER_PASSWORD, "name": "Yuki Sato"}
        )
        assert user.name == "Yuki Sato"
    async with logged_in(rocketchat_emulator, "yuki") as rc:  # the old password still works
        assert (await rc.me()).name == "Yuki Sato"


# ------------------------------------------------------------------ users.updateOwnBasicInfo


async def test_update_own_basic_info_changes_the_name(rocketchat_emulator: Emulator) -> None:
    add_user(rocketchat_emulator, "nina")
    async with logged_in(rocketchat_emulator, "nina") as rc:
        user = await rc.users.update_own_basic_info(data={"name": "Nina Simone"})
        assert isinstance(user, rcu.User)
        assert user.name == "Nina Simone"
        assert (await rc.me()).name == "Nina Simone"
    assert user_doc(rocketchat_emulator, "nina")["name"] == "Nina Simone"


async def test_update_own_password_with_the_current_password(
    rocketchat_emulator: Emulator,
) -> None:
    otto = add_user(rocketchat_emulator, "otto")
    other_token = rocketchat_emulator.login_token(otto["_id"])
    async with logged_in(rocketchat_emulator, "otto") as rc:
        # A password-only user: current_password is the second factor (sent as SHA-256).
        user = await rc.users.update_own_basic_info(
            data=rcu.BasicInfoUpdate(current_password=PASSWORD, new_password=OTHER_PASSWORD)
        )
        assert user.username == "otto"
        assert (await rc.me()).username == "otto"  # the current token survives (§8.3)
    async with rcu.Session(rocketchat_emulator.url) as rc:
        with pytest.raises(rcu.AuthenticationError):
            await rc.login("otto", PASSWORD)
        assert (await rc.login("otto", OTHER_PASSWORD)).username == "otto"
    # The other sessions were logged out (§2.1).
    async with rcu.Session(
        rocketchat_emulator.url, user_id=otto["_id"], auth_token=other_token
    ) as stale:
        with pytest.raises(rcu.AuthenticationError):
            await stale.me()


async def test_update_own_email_with_the_current_password(rocketchat_emulator: Emulator) -> None:
    add_user(rocketchat_emulator, "pia")
    async with logged_in(rocketchat_emulator, "pia") as rc:
        await rc.users.update_own_basic_info(
            data={"email": "pia.new@example.com", "current_password": PASSWORD}
        )
    doc = user_doc(rocketchat_emulator, "pia")
    assert doc["emails"][0] == {"address": "pia.new@example.com", "verified": False}
    mail = rocketchat_emulator.outbox[-1]
    assert mail["to"] == "pia.new@example.com" and mail["kind"] == "verification"


async def test_update_own_password_to_the_same_password(rocketchat_emulator: Emulator) -> None:
    add_user(rocketchat_emulator, "pim")
    async with logged_in(rocketchat_emulator, "pim") as rc:
        with pytest.raises(rcu.BadRequestError) as caught:
            await rc.users.update_own_basic_info(
                data={"current_password": PASSWORD, "new_password": PASSWORD}
            )
    assert caught.value.error_type == "error-password-same-as-current"
    assert PASSWORD not in str(caught.value)


async def test_update_own_password_with_a_wrong_current_password(
    rocketchat_emulator: Emulator,
) -> None:
    add_user(rocketchat_emulator, "quinn")
    async with logged_in(rocketchat_emulator, "quinn") as rc:
        with pytest.raises(rcu.TwoFactorRequiredError) as caught:
            await rc.users.update_own_basic_info(
                data={"currentPassword": "Wr0ng-Passw0rd!x", "newPassword": OTHER_PASSWORD}
            )
    exc = caught.value
    assert exc.status == 400
    assert exc.invalid is True
    assert exc.error_type == "totp-invalid"
    assert exc.method == "password"
    for secret in ("Wr0ng-Passw0rd!x", OTHER_PASSWORD):
        assert secret not in str(exc) and secret not in repr(exc)
    async with logged_in(rocketchat_emulator, "quinn") as rc:  # old password still works
        assert (await rc.me()).username == "quinn"


async def test_update_own_password_without_any_second_factor(
    rocketchat_emulator: Emulator,
) -> None:
    add_user(rocketchat_emulator, "rita")
    async with logged_in(rocketchat_emulator, "rita") as rc:
        with pytest.raises(rcu.TwoFactorRequiredError) as caught:
            await rc.users.update_own_basic_info(data={"new_password": OTHER_PASSWORD})
    exc = caught.value
    assert exc.invalid is False
    assert exc.error_type == "totp-required"
    assert exc.method == "password"


async def test_update_own_email_with_current_password_when_email_2fa_is_on(
    rocketchat_emulator: Emulator,
) -> None:
    # §4.7: an enabled e-mail method is preferred, so the password digest is checked as an
    # e-mail code and fails.
    user = add_user(
        rocketchat_emulator, "sven",
        emails=[{"address": "sven@example.com", "verified": True}],
        services={"email2fa": {"enabled": True}}, createdAt=LONG_AGO,
    )
    token = rocketchat_emulator.login_token(user["_id"])
    async with rcu.Session(rocketchat_emulator.url, user_id=user["_id"], auth_token=token) as rc:
        with pytest.raises(rcu.TwoFactorRequiredError) as caught:
            await rc.users.update_own_basic_info(
                data={"email": "sven2@example.com", "current_password": PASSWORD}
            )
    assert caught.value.invalid is True
    assert caught.value.method == "email"
    assert user_doc(rocketchat_emulator, "sven")["emails"][0]["address"] == "sven@example.com"


# --------------------------------------------------------------- setActiveStatus / idle


async def test_deactivated_user_can_no_longer_log_in(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    target = add_user(rocketchat_emulator, "tara")
    async with logged_in(rocketchat_emulator, "tara") as tara:
        result = await rocketchat_session.users.set_active_status(
            user_id=target["_id"], active_status=False
        )
        assert isinstance(result, rcu.User)
        assert (result.id, result.active) == (target["_id"], False)
        doc = user_doc(rocketchat_emulator, "tara")
        assert doc["active"] is False and doc["inactiveReason"] == "deactivated"
        # Deactivation logs the user out everywhere (§2.1), and a new login fails.
        with pytest.raises(rcu.AuthenticationError) as caught:
            await tara.me()
        assert caught.value.status == 401
    async with rcu.Session(rocketchat_emulator.url) as rc:
        with pytest.raises(rcu.AuthenticationError):
            await rc.login("tara", PASSWORD)
    back = await rocketchat_session.users.set_active_status(
        user_id=target["_id"], active_status=True
    )
    assert back.active is True
    async with logged_in(rocketchat_emulator, "tara") as rc:
        assert (await rc.me()).active is True


async def test_set_active_status_as_a_plain_user_is_permission_denied(
    rocketchat_emulator: Emulator,
) -> None:
    add_user(rocketchat_emulator, "uma")
    other = add_user(rocketchat_emulator, "ugo")
    async with logged_in(rocketchat_emulator, "uma") as rc:
        with pytest.raises(rcu.PermissionDeniedError) as caught:
            await rc.users.set_active_status(user_id=other["_id"], active_status=False)
    assert caught.value.status == 403
    assert user_doc(rocketchat_emulator, "ugo")["active"] is True


async def test_set_active_status_of_an_unknown_user(rocketchat_session: rcu.Session) -> None:
    with pytest.raises(rcu.UserNotFoundError) as caught:
        await rocketchat_session.users.set_active_status(
            user_id="NoSuchUserId12345", active_status=False
        )
    assert caught.value.status == 400


async def test_the_last_active_admin_cannot_be_deactivated(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    admin_id = rocketchat_emulator.admin.user_id
    page = await rocketchat_session.users.list_by_status(status="active", roles=["admin"])
    others = [u.id for u in page.users if u.id != admin_id]
    assert others  # the seed has a second admin
    for other in others:  # leave the seeded admin as the only active one
        # The other admins own team rooms: hand them over (the last-owner rule, §8.6).
        await rocketchat_session.users.set_active_status(
            user_id=other, active_status=False, confirm_relinquish=True
        )
    with pytest.raises(rcu.PermissionDeniedError) as caught:
        await rocketchat_session.users.set_active_status(user_id=admin_id, active_status=False)
    exc = caught.value
    assert exc.status == 400
    assert exc.error_type == "error-action-not-allowed"
    assert "without an active admin" in exc.error
    assert isinstance(exc.details, dict) and exc.details.get("action") == "Remove_last_admin"
    assert user_doc(rocketchat_emulator, admin_id)["active"] is True
    assert (await rocketchat_session.me()).id == admin_id


async def test_deactivate_idle_counts_the_users_it_deactivated(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    # A role no seeded user holds keeps the count exact.
    for name in ("idle1", "idle2"):
        add_user(rocketchat_emulator, name, roles=["user", "moderator"], lastLogin=LONG_AGO,
                 createdAt=LONG_AGO)
    add_user(rocketchat_emulator, "busy1", roles=["user", "moderator"])
    count = await rocketchat_session.users.deactivate_idle(days_idle=30, role="moderator")
    assert type(count) is int and count == 2
    for name in ("idle1", "idle2"):
        doc = user_doc(rocketchat_emulator, name)
        assert doc["active"] is False and doc["inactiveReason"] == "idle_too_long"
    assert user_doc(rocketchat_emulator, "busy1")["active"] is True
    assert await rocketchat_session.users.deactivate_idle(days_idle=30, role="moderator") == 0


async def test_deactivate_idle_as_a_plain_user_is_permission_denied(
    rocketchat_emulator: Emulator,
) -> None:
    add_user(rocketchat_emulator, "ivo")
    async with logged_in(rocketchat_emulator, "ivo") as rc:
        with pytest.raises(rcu.PermissionDeniedError) as caught:
            await rc.users.deactivate_idle(days_idle=0)
        assert caught.value.status == 403
        with pytest.raises(ValueError, match="days_idle"):
            await rc.users.deactivate_idle(days_idle=-1)


# ------------------------------------------------------------------------------- delete


async def test_delete_by_username(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    add_user(rocketchat_emulator, "gone")
    rooms = await rocketchat_session.users.delete(username="Gone")  # case-insensitive (§8.1)
    assert rooms == [] and isinstance(rooms, list)
    assert rocketchat_emulator.get_user("gone") is None
    with pytest.raises(rcu.UserNotFoundError):
        await rocketchat_session.users.info(username="gone")


async def test_delete_an_unknown_user_is_user_not_found(
    rocketchat_session: rcu.Session,
) -> None:
    with pytest.raises(rcu.UserNotFoundError) as caught:
        await rocketchat_session.users.delete(username="nobody-at-all")
    exc = caught.value
    assert exc.status == 400
    assert exc.error_type == "error-invalid-user"
    with pytest.raises(ValueError):
        await rocketchat_session.users.delete(user_id="x", username="y")


async def test_delete_as_a_plain_user_is_permission_denied(rocketchat_emulator: Emulator) -> None:
    add_user(rocketchat_emulator, "petra")
    add_user(rocketchat_emulator, "paul")
    async with logged_in(rocketchat_emulator, "petra") as rc:
        with pytest.raises(rcu.PermissionDeniedError) as caught:
            await rc.users.delete(username="paul")
    assert caught.value.status == 403
    assert rocketchat_emulator.get_user("paul") is not None


async def test_delete_the_last_owner_of_a_room_needs_confirm_relinquish(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    page = await rocketchat_session.users.list(count=100)
    owner = None
    for user in page.users:
        teams = await rocketchat_session.users.list_teams(user_id=user.id)
        if any(team.is_owner for team in teams) and user.id != rocketchat_emulator.admin.user_id:
            owner = user
            break
    assert owner is not None, "the seed has team owners"
    with pytest.raises(rcu.BadRequestError) as caught:
        await rocketchat_session.users.delete(user_id=owner.id)
    exc = caught.value
    assert exc.status == 400
    assert exc.error_type == "user-last-owner"
    assert isinstance(exc.details, list) and exc.details
    assert rocketchat_emulator.get_user(owner.id) is not None
    rooms = await rocketchat_session.users.delete(user_id=owner.id, confirm_relinquish=True)
    assert isinstance(rooms, list) and all(isinstance(room, str) for room in rooms)
    assert rocketchat_emulator.get_user(owner.id) is None


async def test_delete_own_account_is_refused_while_the_setting_is_off(
    rocketchat_emulator: Emulator,
) -> None:
    add_user(rocketchat_emulator, "stay")
    async with logged_in(rocketchat_emulator, "stay") as rc:
        with pytest.raises(rcu.PermissionDeniedError) as caught:
            await rc.users.delete_own_account(password=PASSWORD)
    exc = caught.value
    assert exc.status == 400
    assert exc.error_type == "error-not-allowed"
    assert PASSWORD not in str(exc)
    assert rocketchat_emulator.get_user("stay") is not None


async def test_delete_own_account_when_allowed(rocketchat_emulator: Emulator) -> None:
    rocketchat_emulator.settings["Accounts_AllowDeleteOwnAccount"] = True
    add_user(rocketchat_emulator, "leaver")
    async with logged_in(rocketchat_emulator, "leaver") as rc:
        with pytest.raises(rcu.BadRequestError) as caught:
            await rc.users.delete_own_account(password=OTHER_PASSWORD)
        assert caught.value.error_type == "error-invalid-password"
        assert rocketchat_emulator.get_user("leaver") is not None
        await rc.users.delete_own_account(password=PASSWORD)
        assert rocketchat_emulator.get_user("leaver") is None
        with pytest.raises(rcu.AuthenticationError):
            await rc.me()


async def test_delete_own_account_of_a_user_without_a_password(
    rocketchat_emulator: Emulator,
) -> None:
    # §8.7: a user without a local password confirms with (the digest of) the username.
    rocketchat_emulator.settings["Accounts_AllowDeleteOwnAccount"] = True
    user = rocketchat_emulator.add_user(username="oauth.only", name="OAuth Only")
    token = rocketchat_emulator.login_token(user["_id"])
    async with rcu.Session(rocketchat_emulator.url, user_id=user["_id"], auth_token=token) as rc:
        with pytest.raises(rcu.BadRequestError) as caught:
            await rc.users.delete_own_account(password="someone.else")
        assert caught.value.error_type == "error-invalid-username"
        await rc.users.delete_own_account(password="oauth.only")
    assert rocketchat_emulator.get_user(user["_id"]) is None


# --------------------------------------------------------------------------- preferences


async def test_preferences_round_trip_with_the_struct(rocketchat_emulator: Emulator) -> None:
    add_user(rocketchat_emulator, "fay")
    async with logged_in(rocketchat_emulator, "fay") as rc:
        saved = await rc.users.set_preferences(
            data=rcu.Preferences(use_emojis=False, sidebar_view_mode="condensed",
                                 notifications_sound_volume=40)
        )
        assert isinstance(saved, rcu.Preferences)
        assert (saved.use_emojis, saved.sidebar_view_mode, saved.notifications_sound_volume) == (
            False, "condensed", 40)
        read = await rc.users.get_preferences()
        # me merges the server defaults with the user's own (§2.5, §11).
        me = await rc.me()
    assert me.settings is not None and me.settings.preferences is not None
    assert me.settings.preferences.use_emojis is False
    assert me.settings.preferences.hide_roles is False
    assert me.settings.preferences.desktop_notifications == "all"
    assert isinstance(read, rcu.Preferences)
    assert (read.use_emojis, read.sidebar_view_mode, read.notifications_sound_volume) == (
        False, "condensed", 40)
    # Only what the user saved comes back (§8.3), not the server defaults.
    assert read.hide_roles is msgspec.UNSET
    prefs = user_doc(rocketchat_emulator, "fay")["settings"]["preferences"]
    assert prefs == {"useEmojis": False, "sidebarViewMode": "condensed",
                     "notificationsSoundVolume": 40}


async def test_preferences_round_trip_with_a_dict(rocketchat_emulator: Emulator) -> None:
    add_user(rocketchat_emulator, "gus")
    async with logged_in(rocketchat_emulator, "gus") as rc:
        saved = await rc.users.set_preferences(
            data={"language": "de", "idleTimeLimit": 600, "hide_usernames": True}
        )
        assert (saved.language, saved.idle_time_limit, saved.hide_usernames) == ("de", 600, True)
        read = await rc.users.get_preferences()
        assert (read.language, read.idle_time_limit, read.hide_usernames) == ("de", 600, True)
        with pytest.raises(TypeError, match="useEmoji"):
            await rc.users.set_preferences(data={"useEmoji": True})
    doc = user_doc(rocketchat_emulator, "gus")
    assert doc["language"] == "de"  # stored on the user document (§8.3)
    assert doc["settings"]["preferences"]["idleTimeLimit"] == 600


async def test_set_preferences_of_another_user(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    add_user(rocketchat_emulator, "hal")
    target = add_user(rocketchat_emulator, "hedy")
    saved = await rocketchat_session.users.set_preferences(
        user_id=target["_id"], data={"sendOnEnter": "alternative"}
    )
    assert saved.send_on_enter == "alternative"
    assert user_doc(rocketchat_emulator, "hedy")["settings"]["preferences"] == {
        "sendOnEnter": "alternative"}
    async with logged_in(rocketchat_emulator, "hal") as rc:
        with pytest.raises(rcu.PermissionDeniedError) as caught:
            await rc.users.set_preferences(user_id=target["_id"], data={"sendOnEnter": "normal"})
    assert caught.value.error_type == "error-action-not-allowed"
    assert user_doc(rocketchat_emulator, "hedy")["settings"]["preferences"]["sendOnEnter"] == (
        "alternative")
    with pytest.raises(rcu.UserNotFoundError) as unknown:
        await rocketchat_session.users.set_preferences(
            user_id="NoSuchUserId12345", data={"sendOnEnter": "normal"}
        )
    assert unknown.value.error_type == "error-invalid-user"


# ------------------------------------------------------------------------ moderation


async def test_report_user(rocketchat_emulator: Emulator) -> None:
    add_user(rocketchat_emulator, "reporter")
    target = add_user(rocketchat_emulator, "troll")
    async with logged_in(rocketchat_emulator, "reporter") as rc:
        await rc.moderation.report_user(
            user_id=target["_id"], description="Spams the general channel"
        )
        with pytest.raises(rcu.BadRequestError) as caught:
            await rc.moderation.report_user(user_id="NoSuchUserId12345", description="Who?")
        exc = caught.value
        assert exc.status == 400
        assert exc.error == "Invalid user id provided."
        assert exc.error_type is None
        sent = len(rocketchat_emulator.request_log)
        with pytest.raises(ValueError):
            await rc.moderation.report_user(user_id=target["_id"], description="  ")
        assert len(rocketchat_emulator.request_log) == sent


async def test_report_user_without_login(rocketchat_emulator: Emulator) -> None:
    target = add_user(rocketchat_emulator, "someone")
    async with rcu.Session(rocketchat_emulator.url) as rc:
        with pytest.raises(rcu.AuthenticationError) as caught:
            await rc.moderation.report_user(user_id=target["_id"], description="Rude")
    assert caught.value.status == 401
    assert caught.value.error == "You must be logged in to do this."
