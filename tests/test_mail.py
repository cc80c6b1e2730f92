"""Mail-sending endpoints through the SDK against the emulator: password reset, welcome,
confirmation and verification, invitations (DESIGN.md §1; server-behavior.md §8.8, §8.9, §11,
§12; the official spec for users.verifyEmail and sendInvitationEmail)."""

from __future__ import annotations

from typing import Any

import pytest

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator
from tests.conftest import add_user, logged_in


@pytest.fixture
def rocketchat_emulator_options() -> dict[str, Any]:
    return {"users": 10, "seed": 13}


def mails(server: Emulator, kind: str, to: str | None = None) -> list[dict[str, Any]]:
    return [m for m in server.outbox if m["kind"] == kind and (to is None or m["to"] == to)]


# ------------------------------------------------------------------------ forgotPassword


async def test_forgot_password_mails_a_reset_link(rocketchat_emulator: Emulator) -> None:
    add_user(rocketchat_emulator, "ada")
    async with rcu.Session(rocketchat_emulator.url) as rc:  # no login needed
        await rc.users.forgot_password(email="ada@example.com")
        await rc.users.forgot_password(email="ADA@Example.com")  # matched case-insensitively
    first, second = mails(rocketchat_emulator, "reset-password")
    assert first["to"] == "ada@example.com"
    assert second["to"].lower() == "ada@example.com"
    assert isinstance(first["token"], str) and first["token"]
    assert second["token"] != first["token"]


async def test_forgot_password_for_an_unknown_address_still_succeeds(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    async with rcu.Session(rocketchat_emulator.url) as rc:
        await rc.users.forgot_password(email="nobody@example.com")
        await rc.users.forgot_password(email="invalidEmail")  # §8.8
    # From a logged-in Session as well.
    await rocketchat_session.users.forgot_password(email="ghost@example.org")
    assert mails(rocketchat_emulator, "reset-password") == []


async def test_forgot_password_when_password_reset_is_disabled(
    rocketchat_emulator: Emulator,
) -> None:
    add_user(rocketchat_emulator, "bea")
    rocketchat_emulator.settings["Accounts_PasswordReset"] = False
    async with rcu.Session(rocketchat_emulator.url) as rc:
        with pytest.raises(rcu.BadRequestError) as caught:
            await rc.users.forgot_password(email="bea@example.com")
    exc = caught.value
    assert exc.status == 400
    assert exc.error == "Password reset is not enabled"
    assert exc.error_type is None
    assert exc.endpoint == "POST users.forgotPassword"
    assert mails(rocketchat_emulator, "reset-password") == []


# ---------------------------------------------------------------------- sendWelcomeEmail


async def test_send_welcome_email(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    add_user(rocketchat_emulator, "cyd")
    await rocketchat_session.users.send_welcome_email(email="cyd@example.com")
    [mail] = mails(rocketchat_emulator, "welcome")
    assert mail["to"] == "cyd@example.com"


async def test_send_welcome_email_as_a_plain_user_is_permission_denied(
    rocketchat_emulator: Emulator,
) -> None:
    add_user(rocketchat_emulator, "dex")
    async with logged_in(rocketchat_emulator, "dex") as rc:
        with pytest.raises(rcu.PermissionDeniedError) as caught:
            await rc.users.send_welcome_email(email="dex@example.com")
    assert caught.value.status == 403  # route permission send-mail (§12)
    assert mails(rocketchat_emulator, "welcome") == []


async def test_send_welcome_email_to_an_unknown_address(rocketchat_session: rcu.Session) -> None:
    with pytest.raises(rcu.UserNotFoundError) as caught:
        await rocketchat_session.users.send_welcome_email(email="nobody@example.com")
    assert caught.value.status == 400
    assert caught.value.error_type == "error-invalid-user"


async def test_send_welcome_email_without_smtp(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    add_user(rocketchat_emulator, "eli")
    rocketchat_emulator.settings["SMTP_Configured"] = False
    with pytest.raises(rcu.BadRequestError) as caught:
        await rocketchat_session.users.send_welcome_email(email="eli@example.com")
    assert caught.value.error_type == "error-email-send-failed"
    assert mails(rocketchat_emulator, "welcome") == []


# ------------------------------------------------------- sendConfirmationEmail / verifyEmail


async def test_confirmation_mail_token_verifies_the_address(
    rocketchat_emulator: Emulator,
) -> None:
    add_user(rocketchat_emulator, "fox")
    async with logged_in(rocketchat_emulator, "fox") as rc:
        await rc.users.send_confirmation_email(email="fox@example.com")
        [mail] = mails(rocketchat_emulator, "verification", "fox@example.com")
        assert (rocketchat_emulator.get_user("fox") or {})["emails"][0]["verified"] is False
        await rc.users.verify_email(token=mail["token"])
        assert (await rc.me()).emails == [rcu.Email(address="fox@example.com", verified=True)]
    assert (rocketchat_emulator.get_user("fox") or {})["emails"][0]["verified"] is True


async def test_send_confirmation_email_to_an_invalid_address(
    rocketchat_emulator: Emulator,
) -> None:
    add_user(rocketchat_emulator, "gil")
    async with logged_in(rocketchat_emulator, "gil") as rc:
        with pytest.raises(rcu.BadRequestError) as caught:
            await rc.users.send_confirmation_email(email="not-an-address")
    assert caught.value.status == 400
    assert mails(rocketchat_emulator, "verification") == []


async def test_verify_email_with_a_bad_or_used_token(rocketchat_emulator: Emulator) -> None:
    add_user(rocketchat_emulator, "hana")
    async with logged_in(rocketchat_emulator, "hana") as rc:
        with pytest.raises(rcu.BadRequestError) as caught:
            await rc.users.verify_email(token="hf5Wf4Kj9R3mR7cQ2xkPd")
        exc = caught.value
        assert exc.status == 400
        assert exc.error == "Verify email link expired"  # the spec's example
        await rc.users.send_confirmation_email(email="hana@example.com")
        [mail] = mails(rocketchat_emulator, "verification", "hana@example.com")
        await rc.users.verify_email(token=mail["token"])
        with pytest.raises(rcu.BadRequestError):  # single use
            await rc.users.verify_email(token=mail["token"])
    assert (rocketchat_emulator.get_user("hana") or {})["emails"][0]["verified"] is True


async def test_email_change_by_an_admin_sends_a_working_verification_token(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    user = add_user(rocketchat_emulator, "ida", verified=True)
    await rocketchat_session.users.update(
        user_id=user["_id"], data={"email": "ida.new@example.com"}
    )
    assert (rocketchat_emulator.get_user("ida") or {})["emails"][0] == {
        "address": "ida.new@example.com", "verified": False}
    [mail] = mails(rocketchat_emulator, "verification", "ida.new@example.com")
    async with rcu.Session(rocketchat_emulator.url) as rc:
        await rc.users.verify_email(token=mail["token"])
    assert (rocketchat_emulator.get_user("ida") or {})["emails"][0]["verified"] is True


# --------------------------------------------------------------------- sendInvitationEmail


async def test_send_invitation_email(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    invited = ["new.one@example.com", "new.two@example.org"]
    await rocketchat_session.users.send_invitation_email(emails=invited)
    assert sorted(m["to"] for m in mails(rocketchat_emulator, "invitation")) == sorted(invited)
    with pytest.raises(TypeError):  # a bare string would be sent letter by letter
        await rocketchat_session.users.send_invitation_email(
            emails="new.three@example.com"  # type: ignore[arg-type]
        )


async def test_send_invitation_email_as_a_plain_user_or_anonymously(
    rocketchat_emulator: Emulator,
) -> None:
    add_user(rocketchat_emulator, "jon")
    async with logged_in(rocketchat_emulator, "jon") as rc:
        # The real route requires bulk-register-user (an admin permission).
        with pytest.raises(rcu.PermissionDeniedError) as denied:
            await rc.users.send_invitation_email(emails=["friend@example.com"])
    assert denied.value.status == 403
    async with rcu.Session(rocketchat_emulator.url) as rc:
        with pytest.raises(rcu.AuthenticationError) as anonymous:
            await rc.users.send_invitation_email(emails=["friend@example.com"])
    assert anonymous.value.status == 401
    assert mails(rocketchat_emulator, "invitation") == []
