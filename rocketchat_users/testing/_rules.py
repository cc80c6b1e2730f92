"""Account validation rules: password policy, usernames, names, e-mail (server-behavior.md §8.2)."""

from __future__ import annotations

import html
import re
from typing import Any

from ._store import Store
from ._wire import meteor_error

_EMAIL = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")
_INVALID_NAME = re.compile(r"[<>/\\]")

_POLICY_MESSAGES = {
    "minLength": "The password does not meet the minimum length password policy.",
    "maxLength": "The password does not meet the maximum length password policy.",
    "repeatingCharacters": "The password contains repeating characters which is against the "
                           "password policy.",
    "oneLowercase": "The password does not contain at least one lowercase character which is "
                    "against the password policy.",
    "oneUppercase": "The password does not contain at least one uppercase character which is "
                    "against the password policy.",
    "oneNumber": "The password does not contain at least one numerical character which is "
                 "against the password policy.",
    "oneSpecial": "The password does not contain at least one special character which is "
                  "against the password policy.",
}


def password_failures(settings: dict[str, Any], password: object) -> list[str]:
    """Every failed rule, in the server's order (newer servers report all of them)."""
    if not isinstance(password, str) or not password:
        return ["minLength"]  # an empty password always fails, even with the policy off
    if not settings["Accounts_Password_Policy_Enabled"]:
        return []
    failed = []
    minimum = int(settings["Accounts_Password_Policy_MinLength"])
    maximum = int(settings["Accounts_Password_Policy_MaxLength"])
    if minimum > 0 and len(password) < minimum:
        failed.append("minLength")
    if maximum > 0 and len(password) > maximum:
        failed.append("maxLength")
    if settings["Accounts_Password_Policy_ForbidRepeatingCharacters"]:
        count = int(settings["Accounts_Password_Policy_ForbidRepeatingCharactersCount"])
        if re.search(r"(.)\1{" + str(max(count - 1, 1)) + ",}", password):
            failed.append("repeatingCharacters")
    if settings["Accounts_Password_Policy_AtLeastOneLowercase"] and not re.search(
            r"[a-z]", password):
        failed.append("oneLowercase")
    if settings["Accounts_Password_Policy_AtLeastOneUppercase"] and not re.search(
            r"[A-Z]", password):
        failed.append("oneUppercase")
    if settings["Accounts_Password_Policy_AtLeastOneNumber"] and not re.search(r"[0-9]",
                                                                               password):
        failed.append("oneNumber")
    if settings["Accounts_Password_Policy_AtLeastOneSpecialCharacter"] and not re.search(
            r"[^A-Za-z0-9]", password):
        failed.append("oneSpecial")
    return failed


def check_password_policy(settings: dict[str, Any], password: object) -> None:
    failed = password_failures(settings, password)
    if failed:
        details = [{"error": f"error-password-policy-not-met-{rule}",
                    "message": _POLICY_MESSAGES[rule]} for rule in failed]
        raise meteor_error(
            "error-password-policy-not-met",
            "The password provided does not meet the server's password policy.",
            details,
        )


def username_is_valid(settings: dict[str, Any], username: str) -> bool:
    pattern = settings.get("UTF8_User_Names_Validation") or "[0-9a-zA-Z-_.]+"
    try:
        return re.fullmatch(str(pattern), username) is not None
    except re.error:
        return re.fullmatch(r"[0-9a-zA-Z-_.]+", username) is not None


def _csv(value: object) -> set[str]:
    if isinstance(value, str):
        return {v.strip().lower() for v in value.split(",") if v.strip()}
    return set()


def username_is_blocked(settings: dict[str, Any], username: str) -> bool:
    blocked = {"all", "here"} | _csv(settings.get("Accounts_BlockedUsernameList"))
    blocked |= _csv(settings.get("Accounts_SystemBlockedUsernameList"))
    return username.lower() in blocked


def blocked_username_error(username: str) -> Exception:
    return meteor_error("error-blocked-username",
                        f"{html.escape(username)} is blocked and can't be used!",
                        {"method": "checkUsernameAvailability", "field": username})


def username_available(store: Store, username: str, *, except_id: str | None = None) -> bool:
    """Case-insensitive; a team with that name blocks it too (§8.2, §8.4)."""
    existing = store.by_username(username)
    if existing is not None and existing["_id"] != except_id:
        return False
    return not store.username_taken_by_team(username)


def name_has_invalid_chars(name: object) -> bool:
    return isinstance(name, str) and _INVALID_NAME.search(name) is not None


def email_is_valid(email: str) -> bool:
    return _EMAIL.match(email) is not None


def invalid_email_error(email: str) -> Exception:
    return meteor_error("error-invalid-email", f"Invalid email {email}",
                        {"function": "RocketChat.validateEmailDomain", "email": email})
