"""Logging in and out, login tokens and personal access tokens through the SDK against the
emulator (DESIGN.md §1 Session, Retry; server-behavior.md §2, §8.8)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator
from tests.conftest import PASSWORD, add_user, logged_in

SECRET = "create-tokens-s3cret"


@pytest.fixture
def rocketchat_emulator_options() -> dict[str, Any]:
    return {"users": 10, "seed": 11, "settings": {"CREATE_TOKENS_FOR_USERS_SECRET": SECRET}}


@asynccontextmanager
async def with_token(server: Emulator, user_id: str, token: str) -> AsyncIterator[rcu.Session]:
    async with rcu.Session(server.url, user_id=user_id, auth_token=token) as rc:
        yield rc


def tokens_of(server: Emulator, user_id: str) -> list[dict[str, Any]]:
    doc = server.get_user(user_id)
    assert doc is not None
    return list(doc.get("services", {}).get("resume", {}).get("loginTokens", []))


def logins(server: Emulator) -> int:
    return server.request_log.count(("POST", "/api/v1/login"))


# -------------------------------------------------------------------------- login / me


async def test_login_by_username(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "alma")
    async with rcu.Session(rocketchat_emulator.url) as rc:
        assert rc.user_id is None
        me = await rc.login("alma", PASSWORD)
        assert isinstance(me, rcu.User)
        assert (me.id, me.username) == (user["_id"], "alma")
        assert rc.user_id == user["_id"]
        again = await rc.me()
        assert isinstance(again, rcu.User)
        assert again.id == user["_id"]
        assert isinstance(again.last_login, datetime)
    assert len(tokens_of(rocketchat_emulator, user["_id"])) == 1


async def test_login_by_email(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "bert")
    async with rcu.Session(rocketchat_emulator.url) as rc:
        me = await rc.login("bert@example.com", PASSWORD)
        assert me.id == user["_id"]
        assert (await rc.me()).username == "bert"


async def test_login_with_a_wrong_password(rocketchat_emulator: Emulator) -> None:
    add_user(rocketchat_emulator, "cleo")
    wrong = "Wr0ng-Passw0rd!x"
    async with rcu.Session(rocketchat_emulator.url) as rc:
        with pytest.raises(rcu.AuthenticationError) as caught:
            await rc.login("cleo", wrong)
        assert rc.user_id is None
        with pytest.raises(rcu.AuthenticationError):
            await rc.login("nobody-here", PASSWORD)
    exc = caught.value
    assert exc.status == 401
    assert exc.error == "Unauthorized"
    assert exc.endpoint == "POST login"
    assert wrong not in str(exc) and wrong not in repr(exc)


async def test_calls_without_login_are_authentication_errors(
    rocketchat_emulator: Emulator,
) -> None:
    async with rcu.Session(rocketchat_emulator.url) as rc:
        with pytest.raises(rcu.AuthenticationError) as caught:
            await rc.me()
    assert caught.value.status == 401
    assert caught.value.error == "You must be logged in to do this."


async def test_logout_clears_the_session_and_kills_its_token(
    rocketchat_emulator: Emulator,
) -> None:
    user = add_user(rocketchat_emulator, "dora")
    other_token = rocketchat_emulator.login_token(user["_id"])
    async with rcu.Session(rocketchat_emulator.url) as rc:
        await rc.login("dora", PASSWORD)
        assert len(tokens_of(rocketchat_emulator, user["_id"])) == 2
        await rc.logout()
        assert rc.user_id is None
        # Only the token of this session went (§2.4).
        assert len(tokens_of(rocketchat_emulator, user["_id"])) == 1
        before = logins(rocketchat_emulator)
        with pytest.raises(rcu.AuthenticationError):
            await rc.me()  # no auth context any more, and no silent re-login
        with pytest.raises(rcu.AuthenticationError):
            await rc.users.get_preferences()
        assert logins(rocketchat_emulator) == before
    async with with_token(rocketchat_emulator, user["_id"], other_token) as rc:
        assert (await rc.me()).id == user["_id"]


# ------------------------------------------------------------------ personal access tokens


async def test_generate_personal_access_token_and_use_it(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "emil")
    async with logged_in(rocketchat_emulator, "emil") as rc:
        pat = await rc.users.generate_personal_access_token(token_name="ci")
        assert isinstance(pat, str) and len(pat) >= 20
        listed = await rc.users.get_personal_access_tokens()
    async with with_token(rocketchat_emulator, user["_id"], pat) as bot:
        assert (await bot.me()).username == "emil"
    assert len(listed) == 1
    entry = listed[0]
    assert isinstance(entry, rcu.PersonalAccessToken)
    assert entry.name == "ci"
    assert entry.last_token_part == pat[-6:]
    assert entry.bypass_two_factor is False
    assert isinstance(entry.created_at, datetime) and entry.created_at.tzinfo is not None
    # Names only: the value itself is never listed.
    assert pat not in repr(listed)


async def test_generate_personal_access_token_twice_with_one_name(
    rocketchat_emulator: Emulator,
) -> None:
    add_user(rocketchat_emulator, "finn")
    async with logged_in(rocketchat_emulator, "finn") as rc:
        await rc.users.generate_personal_access_token(token_name="deploy", bypass_two_factor=True)
        with pytest.raises(rcu.BadRequestError) as caught:
            await rc.users.generate_personal_access_token(token_name="deploy")
        # Regenerating keeps the bypassTwoFactor flag (§8.8).
        await rc.users.regenerate_personal_access_token(token_name="deploy")
        listed = await rc.users.get_personal_access_tokens()
    exc = caught.value
    assert exc.status == 400
    assert exc.error_type == "error-token-already-exists"
    assert [(t.name, t.bypass_two_factor) for t in listed] == [("deploy", True)]


async def test_personal_access_tokens_need_the_permission(rocketchat_emulator: Emulator) -> None:
    add_user(rocketchat_emulator, "gwen", roles=["guest"])  # guests lack the permission (§12)
    async with logged_in(rocketchat_emulator, "gwen") as rc:
        with pytest.raises(rcu.PermissionDeniedError) as listing:
            await rc.users.get_personal_access_tokens()
        with pytest.raises(rcu.PermissionDeniedError) as generating:
            await rc.users.generate_personal_access_token(token_name="nope")
    assert listing.value.status == 403
    assert generating.value.error_type == "not-authorized"
    assert [t for t in tokens_of(rocketchat_emulator, "gwen") if t.get("name")] == []


async def test_regenerate_personal_access_token(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "hugo")
    async with logged_in(rocketchat_emulator, "hugo") as rc:
        old = await rc.users.generate_personal_access_token(token_name="sync")
        new = await rc.users.regenerate_personal_access_token(token_name="sync")
        assert isinstance(new, str) and new != old
        listed = await rc.users.get_personal_access_tokens()
        assert [(t.name, t.last_token_part) for t in listed] == [("sync", new[-6:])]
        with pytest.raises(rcu.BadRequestError) as caught:
            await rc.users.regenerate_personal_access_token(token_name="missing")
        assert caught.value.error_type == "error-token-does-not-exists"
    async with with_token(rocketchat_emulator, user["_id"], old) as stale:
        with pytest.raises(rcu.AuthenticationError):
            await stale.me()
    async with with_token(rocketchat_emulator, user["_id"], new) as fresh:
        assert (await fresh.me()).id == user["_id"]


async def test_remove_personal_access_token(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "ines")
    async with logged_in(rocketchat_emulator, "ines") as rc:
        pat = await rc.users.generate_personal_access_token(token_name="old")
        await rc.users.remove_personal_access_token(token_name="old")
        assert await rc.users.get_personal_access_tokens() == []
        with pytest.raises(rcu.BadRequestError) as caught:
            await rc.users.remove_personal_access_token(token_name="old")
        assert caught.value.status == 400
        assert caught.value.error_type == "error-token-does-not-exists"
    async with with_token(rocketchat_emulator, user["_id"], pat) as gone:
        with pytest.raises(rcu.AuthenticationError):
            await gone.me()


# --------------------------------------------------------------------------- createToken


async def test_create_token_with_the_configured_secret(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    user = add_user(rocketchat_emulator, "jana")
    creds = await rocketchat_session.users.create_token(user_id=user["_id"], secret=SECRET)
    assert isinstance(creds, rcu.Credentials)
    assert creds.user_id == user["_id"]
    assert isinstance(creds.auth_token, str) and creds.auth_token
    assert creds.auth_token not in repr(creds)
    assert "***" in repr(creds)
    async with with_token(rocketchat_emulator, creds.user_id, creds.auth_token) as rc:
        assert (await rc.me()).username == "jana"


async def test_create_token_for_oneself_as_a_plain_user(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "jill")
    async with logged_in(rocketchat_emulator, "jill") as rc:
        creds = await rc.users.create_token(user_id=user["_id"], secret=SECRET)
    assert creds.user_id == user["_id"]
    async with with_token(rocketchat_emulator, creds.user_id, creds.auth_token) as rc:
        assert (await rc.me()).username == "jill"


async def test_create_token_with_a_wrong_secret(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    user = add_user(rocketchat_emulator, "kurt")
    with pytest.raises(rcu.PermissionDeniedError) as caught:
        await rocketchat_session.users.create_token(user_id=user["_id"], secret="not-it")
    exc = caught.value
    assert exc.status == 400
    assert exc.error_type == "error-not-authorized"
    assert "not-it" not in str(exc)
    assert tokens_of(rocketchat_emulator, user["_id"]) == []


async def test_create_token_refused_when_no_secret_is_configured(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    rocketchat_emulator.settings["CREATE_TOKENS_FOR_USERS_SECRET"] = None
    with pytest.raises(rcu.PermissionDeniedError):
        await rocketchat_session.users.create_token(
            user_id=rocketchat_emulator.admin.user_id, secret=SECRET
        )


# ----------------------------------------------------------- other clients, other tokens


async def test_logout_other_clients_keeps_only_the_current_token(
    rocketchat_emulator: Emulator,
) -> None:
    user = add_user(rocketchat_emulator, "lena")
    uid = user["_id"]
    current = rocketchat_emulator.login_token(uid)
    other = rocketchat_emulator.login_token(uid)
    async with with_token(rocketchat_emulator, uid, current) as rc:
        pat = await rc.users.generate_personal_access_token(token_name="keep")
        result = await rc.users.logout_other_clients()
        assert isinstance(result, rcu.ClientsLogout)
        assert result.token == current
        assert current not in repr(result) and "***" in repr(result)
        # tokenExpires = when + Accounts_LoginExpiration (90 days).
        assert isinstance(result.token_expires, datetime)
        expected = datetime.now(timezone.utc) + timedelta(days=90)
        assert abs(result.token_expires - expected) < timedelta(minutes=5)
        assert (await rc.me()).id == uid
    async with with_token(rocketchat_emulator, uid, other) as rc:
        with pytest.raises(rcu.AuthenticationError):
            await rc.me()
    async with with_token(rocketchat_emulator, uid, pat) as rc:  # PATs are not touched (§2.6)
        assert (await rc.me()).id == uid


async def test_logout_other_clients_on_a_personal_access_token(
    rocketchat_emulator: Emulator,
) -> None:
    user = add_user(rocketchat_emulator, "liv")
    async with logged_in(rocketchat_emulator, "liv") as rc:
        pat = await rc.users.generate_personal_access_token(token_name="robot")
    async with with_token(rocketchat_emulator, user["_id"], pat) as rc:
        result = await rc.users.logout_other_clients()
        assert result.token == pat
        assert result.token_expires is None  # a PAT has no expiry: the server sends ""
        assert pat not in repr(result)
    # The password login's token went, the PAT stayed.
    assert [t.get("name") for t in tokens_of(rocketchat_emulator, user["_id"])] == ["robot"]


async def test_logout_other_clients_without_login(rocketchat_emulator: Emulator) -> None:
    async with rcu.Session(rocketchat_emulator.url) as rc:
        with pytest.raises(rcu.AuthenticationError) as caught:
            await rc.users.logout_other_clients()
    assert caught.value.status == 401


async def test_remove_other_tokens(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "mats")
    uid = user["_id"]
    other = rocketchat_emulator.login_token(uid)
    async with logged_in(rocketchat_emulator, "mats") as rc:
        await rc.users.remove_other_tokens()
        assert (await rc.me()).id == uid
        assert len(tokens_of(rocketchat_emulator, uid)) == 1
    async with with_token(rocketchat_emulator, uid, other) as rc:
        with pytest.raises(rcu.AuthenticationError):
            await rc.users.remove_other_tokens()


# --------------------------------------------------------------------------- users.logout


async def test_users_logout_of_oneself_ends_every_session(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "nils")
    uid = user["_id"]
    first = rocketchat_emulator.login_token(uid)
    second = rocketchat_emulator.login_token(uid)
    async with with_token(rocketchat_emulator, uid, first) as rc:
        pat = await rc.users.generate_personal_access_token(token_name="gone-too")
        await rc.users.logout()
        with pytest.raises(rcu.AuthenticationError):
            await rc.me()
    assert tokens_of(rocketchat_emulator, uid) == []  # PATs included (§8.8)
    for token in (second, pat):
        async with with_token(rocketchat_emulator, uid, token) as rc:
            with pytest.raises(rcu.AuthenticationError):
                await rc.me()


async def test_users_logout_of_another_user(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    add_user(rocketchat_emulator, "olav")
    target = add_user(rocketchat_emulator, "oona")
    target_token = rocketchat_emulator.login_token(target["_id"])
    async with logged_in(rocketchat_emulator, "olav") as rc:
        with pytest.raises(rcu.PermissionDeniedError) as caught:
            await rc.users.logout(user_id=target["_id"])
    assert caught.value.status == 403
    assert len(tokens_of(rocketchat_emulator, target["_id"])) == 1
    # The admin holds logout-other-user.
    await rocketchat_session.users.logout(user_id=target["_id"])
    assert tokens_of(rocketchat_emulator, target["_id"]) == []
    async with with_token(rocketchat_emulator, target["_id"], target_token) as rc:
        with pytest.raises(rcu.AuthenticationError):
            await rc.me()
    assert (await rocketchat_session.me()).id == rocketchat_emulator.admin.user_id


# ------------------------------------------------------------------ resetE2EKey / resetTOTP
# Both take a second factor with remember-me disabled (§4.1): even a new user is challenged,
# and a password-only user answers with the password (method "password", sent as SHA-256).


async def test_reset_e2e_key_of_oneself(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "pia", e2e={"public_key": "pk", "private_key": "sk"})
    uid = user["_id"]
    token = rocketchat_emulator.login_token(uid)
    async with with_token(rocketchat_emulator, uid, token) as rc:
        with pytest.raises(rcu.TwoFactorRequiredError) as caught:
            await rc.users.reset_e2e_key()
        assert caught.value.method == "password"
        assert "e2e" in (rocketchat_emulator.get_user(uid) or {})
        await rc.users.reset_e2e_key(two_factor_code=PASSWORD, two_factor_method="password")
        # Resetting one's own key logs out every session (§8.8).
        with pytest.raises(rcu.AuthenticationError):
            await rc.me()
    doc = rocketchat_emulator.get_user(uid)
    assert doc is not None and "e2e" not in doc
    assert tokens_of(rocketchat_emulator, uid) == []


async def test_reset_e2e_key_of_another_user_as_a_plain_user(
    rocketchat_emulator: Emulator,
) -> None:
    add_user(rocketchat_emulator, "quin")
    target = add_user(rocketchat_emulator, "qiana", e2e={"public_key": "pk"})
    async with logged_in(rocketchat_emulator, "quin") as rc:
        with pytest.raises(rcu.PermissionDeniedError) as caught:
            await rc.users.reset_e2e_key(
                user_id=target["_id"], two_factor_code=PASSWORD, two_factor_method="password"
            )
    assert caught.value.status == 400
    assert caught.value.error_type == "error-not-allowed"
    assert "e2e" in (rocketchat_emulator.get_user(target["_id"]) or {})


async def test_reset_totp_of_oneself(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "rolf")
    uid = user["_id"]
    rocketchat_emulator.enable_totp(uid)
    token = rocketchat_emulator.login_token(uid)
    async with with_token(rocketchat_emulator, uid, token) as rc:
        with pytest.raises(rcu.TwoFactorRequiredError) as caught:
            await rc.users.reset_totp()
        assert caught.value.method == "totp"
        await rc.users.reset_totp(
            two_factor_code=rocketchat_emulator.totp_code(uid), two_factor_method="totp"
        )
    doc = rocketchat_emulator.get_user(uid)
    assert doc is not None and "totp" not in doc["services"]
    assert tokens_of(rocketchat_emulator, uid) == []  # it changed something: logged out


async def test_reset_totp_when_two_factor_is_disabled(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "ruben")
    rocketchat_emulator.enable_totp(user["_id"])
    rocketchat_emulator.settings["Accounts_TwoFactorAuthentication_Enabled"] = False
    async with logged_in(rocketchat_emulator, "ruben") as rc:
        with pytest.raises(rcu.BadRequestError) as caught:
            await rc.users.reset_totp()
    assert caught.value.error_type == "error-two-factor-not-enabled"
    assert "totp" in (rocketchat_emulator.get_user("ruben") or {})["services"]


async def test_reset_totp_of_another_user(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    add_user(rocketchat_emulator, "sam")
    target = add_user(rocketchat_emulator, "sia")
    rocketchat_emulator.enable_totp(target["_id"])
    async with logged_in(rocketchat_emulator, "sam") as rc:
        with pytest.raises(rcu.PermissionDeniedError) as caught:
            await rc.users.reset_totp(
                username="sia", two_factor_code=PASSWORD, two_factor_method="password"
            )
    assert caught.value.error_type == "error-not-allowed"
    assert "totp" in (rocketchat_emulator.get_user("sia") or {})["services"]
    # The admin holds edit-other-user-totp; its own second factor is its password.
    admin_password = rocketchat_emulator.admin.password
    await rocketchat_session.users.reset_totp(
        username="sia", two_factor_code=admin_password, two_factor_method="password"
    )
    assert "totp" not in (rocketchat_emulator.get_user("sia") or {})["services"]


# ------------------------------------------------------------------------ re-login on 401


async def test_password_session_logs_in_again_after_its_token_is_removed(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    user = add_user(rocketchat_emulator, "tove")
    async with logged_in(rocketchat_emulator, "tove") as rc:
        assert logins(rocketchat_emulator) == 1
        await rocketchat_session.users.logout(user_id=user["_id"])
        assert tokens_of(rocketchat_emulator, user["_id"]) == []
        # Many tasks meet the dead token at once: one login serves them all.
        results = await asyncio.gather(*(rc.me() for _ in range(5)))
        assert {u.id for u in results} == {user["_id"]}
        assert logins(rocketchat_emulator) == 2
        assert rc.user_id == user["_id"]
        assert len(tokens_of(rocketchat_emulator, user["_id"])) == 1


async def test_token_session_does_not_log_in_again(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "ulf")
    token = rocketchat_emulator.login_token(user["_id"])
    async with with_token(rocketchat_emulator, user["_id"], token) as rc:
        await rc.users.logout()
        with pytest.raises(rcu.AuthenticationError):
            await rc.me()
    assert logins(rocketchat_emulator) == 0
