"""Two-factor challenges through the SDK against the emulator: e-mail codes, TOTP, the password
fallback, the Session's ``two_factor`` callback, login codes and the e-mail 2FA toggles
(DESIGN.md §1 Session/Two-factor/Secrets; server-behavior.md §4, §8.9)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator
from tests.conftest import PASSWORD
from tests.conftest import add_user as shared_add_user

LONG_AGO = "2020-01-01T00:00:00.000Z"
GENERATE = ("POST", "/api/v1/users.generatePersonalAccessToken")


@pytest.fixture
def rocketchat_emulator_options() -> dict[str, Any]:
    # remember_for=0: no grace period and no remember-me, every ‡ call is challenged.
    return {"users": 10, "seed": 5, "remember_for": 0}


def add_user(server: Emulator, username: str, *, email_2fa: bool = True,
             verified: bool = True) -> dict[str, Any]:
    """A user created long ago; with ``email_2fa`` (and a verified address) codes go by mail."""
    services: dict[str, Any] = {}
    if email_2fa:
        services["email2fa"] = {"enabled": True, "changedAt": LONG_AGO}
    return shared_add_user(server, username, verified=verified, services=services,
                           createdAt=LONG_AGO)


@asynccontextmanager
async def session_of(
    server: Emulator, user: dict[str, Any], **options: Any
) -> AsyncIterator[rcu.Session]:
    """A Session on a fresh login token (a password login would itself be challenged)."""
    token = server.login_token(user["_id"])
    async with rcu.Session(server.url, user_id=user["_id"], auth_token=token, **options) as rc:
        yield rc


def codes_for(server: Emulator, address: str) -> list[str]:
    return [m["code"] for m in server.outbox if m["kind"] == "2fa-code" and m["to"] == address]


def pat_names(server: Emulator, user_id: str) -> list[str]:
    doc = server.get_user(user_id)
    assert doc is not None
    tokens = doc.get("services", {}).get("resume", {}).get("loginTokens", [])
    return [t["name"] for t in tokens if t.get("type") == "personalAccessToken"]


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# ---------------------------------------------------------------------------- e-mail codes


async def test_email_challenge_sends_a_code_and_the_answer_succeeds(
    rocketchat_emulator: Emulator,
) -> None:
    user = add_user(rocketchat_emulator, "anna")
    async with session_of(rocketchat_emulator, user) as rc:
        with pytest.raises(rcu.TwoFactorRequiredError) as caught:
            await rc.users.generate_personal_access_token(token_name="ci")
        exc = caught.value
        assert exc.status == 400
        assert exc.error_type == "totp-required"
        assert exc.method == "email"
        assert exc.invalid is False
        assert isinstance(exc.details, dict)
        assert exc.details["availableMethods"] == ["email"]
        assert exc.details["codeGenerated"] is True
        assert pat_names(rocketchat_emulator, user["_id"]) == []
        # A second challenge while the code is fresh sends no new mail (§4.5).
        with pytest.raises(rcu.TwoFactorRequiredError) as again:
            await rc.users.generate_personal_access_token(token_name="ci")
        assert isinstance(again.value.details, dict)
        assert again.value.details["codeGenerated"] is False
        [code] = codes_for(rocketchat_emulator, "anna@example.com")
        assert code not in str(exc) and code not in repr(exc)
        # The mail shows the code as 123-456; non-digits are stripped (§4.5).
        token = await rc.users.generate_personal_access_token(
            token_name="ci", two_factor_code=f"{code[:3]}-{code[3:]}", two_factor_method="email"
        )
        assert isinstance(token, str) and token
        with pytest.raises(rcu.TwoFactorRequiredError) as reused:  # codes are single use
            await rc.users.generate_personal_access_token(
                token_name="cd", two_factor_code=code, two_factor_method="email"
            )
        assert reused.value.invalid is True
    assert pat_names(rocketchat_emulator, user["_id"]) == ["ci"]


async def test_a_wrong_email_code_is_invalid(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "bo")
    async with session_of(rocketchat_emulator, user) as rc:
        await rc.users.send_email_2fa_code(email_or_username="bo")
        [code] = codes_for(rocketchat_emulator, "bo@example.com")
        bad = wrong_code(code)
        with pytest.raises(rcu.TwoFactorRequiredError) as caught:
            await rc.users.generate_personal_access_token(
                token_name="ci", two_factor_code=bad, two_factor_method="email"
            )
    exc = caught.value
    assert exc.status == 400
    assert exc.invalid is True
    assert exc.error_type == "totp-invalid"
    assert exc.method == "email"
    assert bad not in str(exc) and bad not in repr(exc)
    assert pat_names(rocketchat_emulator, user["_id"]) == []


async def test_too_many_wrong_email_codes(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "bodil")
    async with session_of(rocketchat_emulator, user) as rc:
        await rc.users.send_email_2fa_code(email_or_username="bodil")
        [code] = codes_for(rocketchat_emulator, "bodil@example.com")
        errors: list[str | None] = []
        for _ in range(6):  # Max_Invalid_Email_Code_Attempts = 5 (§4.4, §11)
            with pytest.raises(rcu.TwoFactorRequiredError) as caught:
                await rc.users.generate_personal_access_token(
                    token_name="ci", two_factor_code=wrong_code(code), two_factor_method="email"
                )
            assert caught.value.invalid is True
            errors.append(caught.value.error_type)
    assert errors[:5] == ["totp-invalid"] * 5
    assert errors[5] == "totp-max-attempts"
    assert pat_names(rocketchat_emulator, user["_id"]) == []


async def test_a_personal_access_token_that_bypasses_2fa(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "brit", email_2fa=False)
    async with session_of(rocketchat_emulator, user) as rc:
        pat = await rc.users.generate_personal_access_token(
            token_name="robot", bypass_two_factor=True,
            two_factor_code=PASSWORD, two_factor_method="password",
        )
    async with rcu.Session(rocketchat_emulator.url, user_id=user["_id"], auth_token=pat) as bot:
        # §4.3: no challenge at all on this token.
        await bot.users.generate_personal_access_token(token_name="child")
        await bot.users.remove_personal_access_token(token_name="child")
    assert pat_names(rocketchat_emulator, user["_id"]) == ["robot"]


async def test_session_callback_is_asked_once_and_its_answer_replays_the_call(
    rocketchat_emulator: Emulator,
) -> None:
    user = add_user(rocketchat_emulator, "cai")
    asked: list[str] = []

    async def two_factor(method: str) -> str:
        asked.append(method)
        return codes_for(rocketchat_emulator, "cai@example.com")[-1]

    async with session_of(rocketchat_emulator, user, two_factor=two_factor) as rc:
        token = await rc.users.generate_personal_access_token(token_name="bot")
    assert isinstance(token, str) and token
    assert asked == ["email"]
    assert rocketchat_emulator.request_log.count(GENERATE) == 2
    assert pat_names(rocketchat_emulator, user["_id"]) == ["bot"]


async def test_session_callback_with_a_wrong_answer_is_not_asked_again(
    rocketchat_emulator: Emulator,
) -> None:
    user = add_user(rocketchat_emulator, "dag")
    asked: list[str] = []

    async def two_factor(method: str) -> str:
        asked.append(method)
        return wrong_code(codes_for(rocketchat_emulator, "dag@example.com")[-1])

    async with session_of(rocketchat_emulator, user, two_factor=two_factor) as rc:
        with pytest.raises(rcu.TwoFactorRequiredError) as caught:
            await rc.users.generate_personal_access_token(token_name="bot")
    assert caught.value.invalid is True
    assert asked == ["email"]
    assert rocketchat_emulator.request_log.count(GENERATE) == 2
    assert pat_names(rocketchat_emulator, user["_id"]) == []


async def test_a_code_from_send_email_2fa_code_answers_a_challenge(
    rocketchat_emulator: Emulator,
) -> None:
    user = add_user(rocketchat_emulator, "edda")
    async with rcu.Session(rocketchat_emulator.url) as anonymous:  # no auth needed
        await anonymous.users.send_email_2fa_code(email_or_username="edda@example.com")
    [code] = codes_for(rocketchat_emulator, "edda@example.com")
    async with session_of(rocketchat_emulator, user) as rc:
        await rc.users.update(
            user_id=user["_id"], data={"name": "Edda Ásgeirsdóttir"},
            two_factor_code=code, two_factor_method="email",
        )
    assert (rocketchat_emulator.get_user("edda") or {})["name"] == "Edda Ásgeirsdóttir"


async def test_send_email_2fa_code_always_succeeds(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    add_user(rocketchat_emulator, "fritz", email_2fa=False)
    before = len(rocketchat_emulator.outbox)
    async with rcu.Session(rocketchat_emulator.url) as rc:
        await rc.users.send_email_2fa_code(email_or_username="no-such-user")
        await rc.users.send_email_2fa_code(email_or_username="ghost@example.com")
        # A user without e-mail 2FA gets no code, and the caller cannot tell.
        await rc.users.send_email_2fa_code(email_or_username="fritz")
    # From a logged-in Session too (sent without the auth headers).
    await rocketchat_session.users.send_email_2fa_code(email_or_username="nobody")
    assert len(rocketchat_emulator.outbox) == before


# ----------------------------------------------------------------------------------- TOTP


async def test_totp_challenge_and_answer(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "gert")
    rocketchat_emulator.enable_totp(user["_id"])
    async with session_of(rocketchat_emulator, user) as rc:
        with pytest.raises(rcu.TwoFactorRequiredError) as caught:
            await rc.users.generate_personal_access_token(token_name="t1")
        assert caught.value.method == "totp"  # TOTP comes before e-mail (§4.2)
        assert caught.value.invalid is False
        assert codes_for(rocketchat_emulator, "gert@example.com") == []  # no mail for TOTP
        code = rocketchat_emulator.totp_code(user["_id"])
        token = await rc.users.generate_personal_access_token(
            token_name="t1", two_factor_code=code, two_factor_method="totp"
        )
        assert isinstance(token, str)
        with pytest.raises(rcu.TwoFactorRequiredError) as wrong:
            await rc.users.remove_personal_access_token(
                token_name="t1", two_factor_code=wrong_code(code), two_factor_method="totp"
            )
        assert wrong.value.invalid is True
    assert pat_names(rocketchat_emulator, user["_id"]) == ["t1"]


async def test_totp_through_the_session_callback(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "hild")
    rocketchat_emulator.enable_totp(user["_id"])
    asked: list[str] = []

    async def two_factor(method: str) -> str:
        asked.append(method)
        return rocketchat_emulator.totp_code(user["_id"])

    async with session_of(rocketchat_emulator, user, two_factor=two_factor) as rc:
        await rc.users.generate_personal_access_token(token_name="t2")
        await rc.users.regenerate_personal_access_token(token_name="t2")
    assert asked == ["totp", "totp"]  # remember_for=0: every call is asked


async def test_update_own_email_with_a_totp_code_in_the_headers(
    rocketchat_emulator: Emulator,
) -> None:
    # §4.7: without currentPassword the in-method check reads X-2fa-Code and X-2fa-Method.
    user = add_user(rocketchat_emulator, "ulla")
    rocketchat_emulator.enable_totp(user["_id"])
    async with session_of(rocketchat_emulator, user) as rc:
        with pytest.raises(rcu.TwoFactorRequiredError) as caught:
            await rc.users.update_own_basic_info(data={"email": "ulla2@example.com"})
        assert caught.value.method == "totp"
        await rc.users.update_own_basic_info(
            data={"email": "ulla2@example.com"},
            two_factor_code=rocketchat_emulator.totp_code(user["_id"]),
            two_factor_method="totp",
        )
    assert (rocketchat_emulator.get_user("ulla") or {})["emails"][0]["address"] == (
        "ulla2@example.com")


async def test_update_own_password_through_the_callback_with_email_2fa(
    rocketchat_emulator: Emulator,
) -> None:
    user = add_user(rocketchat_emulator, "vito")
    asked: list[str] = []

    async def two_factor(method: str) -> str:
        asked.append(method)
        return codes_for(rocketchat_emulator, "vito@example.com")[-1]

    new_password = "N3w-Passw0rd!zz"
    async with session_of(rocketchat_emulator, user, two_factor=two_factor) as rc:
        await rc.users.update_own_basic_info(data={"new_password": new_password})
        assert (await rc.me()).id == user["_id"]  # the current token is kept
    assert asked == ["email"]
    code_mails = len(codes_for(rocketchat_emulator, "vito@example.com"))
    async with rcu.Session(rocketchat_emulator.url) as rc:
        with pytest.raises(rcu.AuthenticationError):
            await rc.login("vito", PASSWORD)
        with pytest.raises(rcu.TwoFactorRequiredError):  # right password: now the code
            await rc.login("vito", new_password)
    assert len(codes_for(rocketchat_emulator, "vito@example.com")) == code_mails + 1


async def test_a_method_without_a_code_is_a_value_error(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "wanda")
    sent = len(rocketchat_emulator.request_log)
    async with session_of(rocketchat_emulator, user) as rc:
        with pytest.raises(ValueError, match="two_factor"):
            await rc.users.generate_personal_access_token(
                token_name="x", two_factor_method="email"
            )
    assert len(rocketchat_emulator.request_log) == sent


# ------------------------------------------------------------------- password fallback


async def test_password_fallback_through_the_callback(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "ivar", email_2fa=False)
    asked: list[str] = []

    async def two_factor(method: str) -> str:
        asked.append(method)
        return PASSWORD  # plain; the SDK sends its SHA-256 digest

    async with session_of(rocketchat_emulator, user, two_factor=two_factor) as rc:
        token = await rc.users.generate_personal_access_token(token_name="pw")
    assert isinstance(token, str)
    assert asked == ["password"]
    assert pat_names(rocketchat_emulator, user["_id"]) == ["pw"]


async def test_update_own_password_through_the_callback_for_a_password_only_user(
    rocketchat_emulator: Emulator,
) -> None:
    user = add_user(rocketchat_emulator, "ivo", email_2fa=False)
    asked: list[str] = []

    async def two_factor(method: str) -> str:
        asked.append(method)
        return PASSWORD

    new_password = "N3w-Passw0rd!zz"
    async with session_of(rocketchat_emulator, user, two_factor=two_factor) as rc:
        await rc.users.update_own_basic_info(data={"new_password": new_password})
    assert asked == ["password"]
    async with rcu.Session(rocketchat_emulator.url) as rc:
        assert (await rc.login("ivo", new_password)).id == user["_id"]


async def test_password_fallback_per_call(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "jens", verified=False)
    async with session_of(rocketchat_emulator, user) as rc:
        with pytest.raises(rcu.TwoFactorRequiredError) as caught:
            await rc.users.generate_personal_access_token(token_name="pw")
        assert caught.value.method == "password"
        assert caught.value.invalid is False
        assert isinstance(caught.value.details, dict)
        assert caught.value.details["availableMethods"] == []
        with pytest.raises(rcu.TwoFactorRequiredError) as wrong:
            await rc.users.generate_personal_access_token(
                token_name="pw", two_factor_code="Wr0ng-Passw0rd!x", two_factor_method="password"
            )
        assert wrong.value.invalid is True
        assert "Wr0ng-Passw0rd!x" not in str(wrong.value)
        await rc.users.generate_personal_access_token(
            token_name="pw", two_factor_code=PASSWORD, two_factor_method="password"
        )
    assert pat_names(rocketchat_emulator, user["_id"]) == ["pw"]


# ---------------------------------------------------------------------------- login 2FA


async def test_login_with_email_2fa_needs_a_code(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "kari")
    async with rcu.Session(rocketchat_emulator.url) as rc:
        with pytest.raises(rcu.TwoFactorRequiredError) as caught:
            await rc.login("kari", PASSWORD)
        exc = caught.value
        assert exc.status == 401
        assert exc.error == "totp-required"
        assert exc.method == "email"
        assert exc.invalid is False
        assert rc.user_id is None
        [code] = codes_for(rocketchat_emulator, "kari@example.com")
        with pytest.raises(rcu.TwoFactorRequiredError) as wrong:
            await rc.login("kari", PASSWORD, code=wrong_code(code))
        assert wrong.value.invalid is True
        assert wrong.value.error == "totp-invalid"
        for secret in (PASSWORD, code, wrong_code(code)):
            assert secret not in str(exc) and secret not in str(wrong.value)
            assert secret not in repr(wrong.value)
        me = await rc.login("kari", PASSWORD, code=code)
        assert me.id == user["_id"]
        assert (await rc.me()).username == "kari"


async def test_login_code_through_the_session_callback(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "lars")
    asked: list[str] = []

    async def two_factor(method: str) -> str:
        asked.append(method)
        return codes_for(rocketchat_emulator, "lars@example.com")[-1]

    async with rcu.Session(rocketchat_emulator.url, two_factor=two_factor) as rc:
        me = await rc.login("lars", PASSWORD)
    assert me.id == user["_id"]
    assert asked == ["email"]


async def test_login_of_a_password_only_user_is_not_challenged(
    rocketchat_emulator: Emulator,
) -> None:
    user = add_user(rocketchat_emulator, "mona", email_2fa=False)
    async with rcu.Session(rocketchat_emulator.url) as rc:
        me = await rc.login("mona", PASSWORD)  # §4.6: no password fallback at login
    assert me.id == user["_id"]


async def test_login_with_totp(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "nils", email_2fa=False)
    rocketchat_emulator.enable_totp(user["_id"])
    async with rcu.Session(rocketchat_emulator.url) as rc:
        with pytest.raises(rcu.TwoFactorRequiredError) as caught:
            await rc.login("nils", PASSWORD)
        assert caught.value.method == "totp"
        me = await rc.login("nils", PASSWORD, code=rocketchat_emulator.totp_code(user["_id"]))
    assert me.id == user["_id"]


# ---------------------------------------------------------------------- e-mail 2FA toggles


async def test_enable_email_2fa(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "olga", email_2fa=False)
    other_token = rocketchat_emulator.login_token(user["_id"])
    async with session_of(rocketchat_emulator, user) as rc:
        with pytest.raises(rcu.TwoFactorRequiredError) as before:
            await rc.users.generate_personal_access_token(token_name="x")
        assert before.value.method == "password"
        await rc.users.enable_email_2fa()
        assert (rocketchat_emulator.get_user("olga") or {})["services"]["email2fa"]["enabled"]
        with pytest.raises(rcu.TwoFactorRequiredError) as after:
            await rc.users.generate_personal_access_token(token_name="x")
        assert after.value.method == "email"
    # Enabling logs out the other clients (§8.9).
    async with rcu.Session(rocketchat_emulator.url, user_id=user["_id"],
                           auth_token=other_token) as stale:
        with pytest.raises(rcu.AuthenticationError):
            await stale.me()


async def test_enable_email_2fa_needs_verified_addresses(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "pekka", email_2fa=False, verified=False)
    async with session_of(rocketchat_emulator, user) as rc:
        with pytest.raises(rcu.BadRequestError) as caught:
            await rc.users.enable_email_2fa()
    exc = caught.value
    assert exc.status == 400
    assert exc.error_type == "error-invalid-user"
    assert "verify your emails" in exc.error
    assert "email2fa" not in (rocketchat_emulator.get_user("pekka") or {})["services"]


async def test_disable_email_2fa_needs_a_code(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "ruth")
    async with session_of(rocketchat_emulator, user) as rc:
        with pytest.raises(rcu.TwoFactorRequiredError) as caught:
            await rc.users.disable_email_2fa()
        assert caught.value.method == "email"
        assert (rocketchat_emulator.get_user("ruth") or {})["services"]["email2fa"]["enabled"]
        code = codes_for(rocketchat_emulator, "ruth@example.com")[-1]
        await rc.users.disable_email_2fa(two_factor_code=code, two_factor_method="email")
        assert not (rocketchat_emulator.get_user("ruth") or {})["services"]["email2fa"][
            "enabled"]
        # Now the password is the fallback.
        with pytest.raises(rcu.TwoFactorRequiredError) as after:
            await rc.users.generate_personal_access_token(token_name="x")
        assert after.value.method == "password"


async def test_disable_email_2fa_without_login(rocketchat_emulator: Emulator) -> None:
    async with rcu.Session(rocketchat_emulator.url) as rc:
        with pytest.raises(rcu.AuthenticationError) as caught:
            await rc.users.disable_email_2fa()
        with pytest.raises(rcu.AuthenticationError):
            await rc.users.enable_email_2fa()
    assert caught.value.status == 401


# ------------------------------------------------------------------------ remember-me


async def test_a_token_that_passed_2fa_is_remembered() -> None:
    async with Emulator(users=0, remember_for=1800) as server:
        user = add_user(server, "sara")
        asked: list[str] = []

        async def two_factor(method: str) -> str:
            asked.append(method)
            return codes_for(server, "sara@example.com")[-1]

        async with session_of(server, user, two_factor=two_factor) as rc:
            await rc.users.generate_personal_access_token(token_name="a")
            await rc.users.generate_personal_access_token(token_name="b")
            # resetE2EKey disables remember-me (§4.1): asked again.
            await rc.users.reset_e2e_key()
        assert asked == ["email", "email"]


# ------------------------------------------------------------------------------ secrets


async def test_secrets_never_show_in_the_logs(
    rocketchat_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    user = add_user(rocketchat_emulator, "uwe", email_2fa=False)
    admin = rocketchat_emulator.admin
    caplog.set_level(logging.DEBUG)

    async def two_factor(method: str) -> str:
        return PASSWORD

    async with rcu.Session(rocketchat_emulator.url, two_factor=two_factor) as rc:
        await rc.login("uwe", PASSWORD)
        pat = await rc.users.generate_personal_access_token(token_name="log")
        async with rcu.Session(
            rocketchat_emulator.url, user_id=admin.user_id, auth_token=admin.auth_token
        ) as admin_rc:
            await admin_rc.users.logout(user_id=user["_id"])  # forces a re-login
        await rc.users.generate_personal_access_token(token_name="log2")
        current = (await rc.users.logout_other_clients()).token  # the re-login's token
        avatar = await rc.avatar("uwe")  # rc_token goes in the URL
        assert avatar.content
    tokens = [admin.auth_token, pat, current]
    digest = hashlib.sha256(PASSWORD.encode()).hexdigest()
    assert "rc_token=***" in caplog.text  # the avatar URL was logged, redacted
    for secret in (PASSWORD, digest, *tokens):
        assert secret not in caplog.text


async def test_secrets_never_show_in_errors_or_reprs(rocketchat_emulator: Emulator) -> None:
    user = add_user(rocketchat_emulator, "tina", email_2fa=False)
    token = rocketchat_emulator.login_token(user["_id"])
    digest = hashlib.sha256(PASSWORD.encode()).hexdigest()
    wrong = "Wr0ng-Passw0rd!x"
    wrong_digest = hashlib.sha256(wrong.encode()).hexdigest()
    async with rcu.Session(rocketchat_emulator.url, user_id=user["_id"], auth_token=token) as rc:
        assert token not in repr(rc)
        with pytest.raises(rcu.TwoFactorRequiredError) as caught:
            await rc.users.generate_personal_access_token(
                token_name="x", two_factor_code=wrong, two_factor_method="password"
            )
        pat = await rc.users.generate_personal_access_token(
            token_name="x", two_factor_code=PASSWORD, two_factor_method="password"
        )
        listed = await rc.users.get_personal_access_tokens()
    exc = caught.value
    for secret in (PASSWORD, digest, wrong, wrong_digest, token):
        assert secret not in str(exc)
        assert secret not in repr(exc)
        assert secret not in str(exc.details)
    assert pat not in repr(listed)
    update = rcu.BasicInfoUpdate(current_password=PASSWORD, new_password=wrong)
    assert PASSWORD not in repr(update) and wrong not in repr(update)
