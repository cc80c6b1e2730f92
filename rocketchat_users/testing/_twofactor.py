"""Two-factor checks on REST (server-behavior.md §4): TOTP, e-mail codes, password fallback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import struct
import time
from dataclasses import dataclass
from typing import Any

from ._store import Store, User
from ._views import first_verified_email
from ._wire import ApiError, failure, iso_in, now_iso, sha256_hex


def totp_at(secret: str, counter: int, digits: int = 6) -> str:
    """RFC 6238 / 4226 with SHA-1, as the server's TOTP checker."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def totp_now(secret: str) -> str:
    return totp_at(secret, int(time.time()) // 30)


def new_totp_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


EMAIL_CODES_KEPT = 5  # pending e-mail codes kept per user (the newest)


@dataclass(frozen=True)
class Challenge:
    """How a check is configured (route options of §4.1 and the in-method variants)."""

    disable_remember_me: bool = False
    require_second_factor: bool = False
    disable_password_fallback: bool = False


class TwoFactor:
    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def settings(self) -> dict[str, Any]:
        return self.store.settings

    # ------------------------------------------------------------------ methods
    def totp_enabled(self, user: User) -> bool:
        return bool(self.settings["Accounts_TwoFactorAuthentication_By_TOTP_Enabled"]) and bool(
            ((user.get("services") or {}).get("totp") or {}).get("enabled"))

    def email_enabled(self, user: User) -> bool:
        """§4.5: needs the setting, ``services.email2fa.enabled`` and a verified address."""
        return (bool(self.settings["Accounts_TwoFactorAuthentication_By_Email_Enabled"])
                and bool(((user.get("services") or {}).get("email2fa") or {}).get("enabled"))
                and first_verified_email(user) is not None)

    def available(self, user: User) -> list[str]:
        out = []
        if self.totp_enabled(user):
            out.append("totp")
        if self.email_enabled(user):
            out.append("email")
        return out

    # ------------------------------------------------------------- the check
    def check(self, user: User, token: dict[str, Any] | None, code: str | None,
              method: str | None, options: Challenge, *, login: bool = False) -> None:
        """Raise the §4.4 (or §4.6 at login) error unless the request may proceed."""
        if not self.settings["Accounts_TwoFactorAuthentication_Enabled"]:
            return
        if not options.require_second_factor and token is not None:
            if token.get("bypassTwoFactor") is True:
                return
            if not options.disable_remember_me and self._remembered(user, token):
                return
        available = self.available(user)
        chosen: str | None
        if method in ("totp", "email"):
            chosen = method  # §4.2: a named checker is used without checking it is enabled
        else:
            chosen = available[0] if available else None
        if chosen is None:
            if options.require_second_factor:
                chosen = "password"
            elif (not options.disable_password_fallback
                  and self.settings["Accounts_TwoFactorAuthentication_Enforce_Password_Fallback"]
                  and Store.password_digest(user)):
                chosen = "password"
            else:
                return
        if not code:
            data = self._process_invalid(user, chosen)
            raise self._error("totp-required", "TOTP Required", chosen, data, available, login)
        ok, too_many = self._verify(user, chosen, code)
        if not ok:
            # §4.4: max-attempts has the same details as totp-invalid (processInvalidCode runs
            # first, so an e-mail code may be (re)sent either way).
            data = self._process_invalid(user, chosen)
            if too_many:
                raise self._error("totp-max-attempts", "TOTP Maximun Failed Attempts Reached",
                                  chosen, data, available, login)
            raise self._error("totp-invalid", "TOTP Invalid", chosen, data, available, login)
        if token is not None:
            remember = float(self.settings["Accounts_TwoFactorAuthentication_RememberFor"])
            token["twoFactorAuthorizedUntil"] = iso_in(remember)

    def _remembered(self, user: User, token: dict[str, Any]) -> bool:
        remember = float(self.settings["Accounts_TwoFactorAuthentication_RememberFor"])
        if remember <= 0:
            return False
        now = now_iso()
        # §4.3 grace period: users created less than RememberFor seconds ago.
        created = user.get("createdAt")
        if isinstance(created, str) and created > iso_in(-remember):
            return True
        until = token.get("twoFactorAuthorizedUntil")
        return isinstance(until, str) and until > now

    # ---------------------------------------------------------------- checkers
    def _verify(self, user: User, method: str, code: str) -> tuple[bool, bool]:
        if method == "password":
            digest = Store.password_digest(user)
            return (digest is not None and code.strip().lower() == digest), False
        if method == "totp":
            return self._verify_totp(user, code), False
        return self._verify_email(user, code)

    def _verify_totp(self, user: User, code: str) -> bool:
        totp = (user.get("services") or {}).get("totp") or {}
        secret = totp.get("secret")
        if not totp.get("enabled") or not isinstance(secret, str):
            return False
        delta = int(self.settings["Accounts_TwoFactorAuthentication_MaxDelta"])
        counter = int(time.time()) // 30
        code = code.strip()
        if not code.isascii():
            # TOTP and backup codes are ASCII; anything else is simply a wrong code (and
            # hmac.compare_digest refuses non-ASCII str).
            return False
        given = code.encode()
        if any(hmac.compare_digest(totp_at(secret, counter + d).encode(), given)
               for d in range(-delta, delta + 1)):
            return True
        backups: list[str] = totp.get("hashedBackup") or []
        hashed = sha256_hex(code)
        if hashed in backups:
            backups.remove(hashed)  # backup codes are single-use
            return True
        return False

    def _verify_email(self, user: User, code: str) -> tuple[bool, bool]:
        services = user.setdefault("services", {})
        digits = re.sub(r"[^0-9]", "", code)  # §4.5: non-digits stripped
        now = now_iso()
        codes = [c for c in services.get("emailCode") or [] if c.get("expire", "") > now]
        hashed = sha256_hex(digits)
        for entry in codes:
            if entry["code"] == hashed:
                codes.remove(entry)  # single use
                services["emailCode"] = codes
                services.pop("emailCodeFailures", None)
                return True, False
        services["emailCode"] = codes
        failures = int(services.get("emailCodeFailures", 0)) + 1
        services["emailCodeFailures"] = failures
        limit = int(self.settings[
            "Accounts_TwoFactorAuthentication_Max_Invalid_Email_Code_Attempts"])
        return False, failures > limit

    def _process_invalid(self, user: User, method: str) -> dict[str, Any]:
        if method == "password":
            return {"codeGenerated": False}  # §4.7 example for a password-only user
        if method != "email":
            return {}
        username = user.get("username") or first_verified_email(user) or ""
        services = user.setdefault("services", {})
        now = now_iso()
        codes = [c for c in services.get("emailCode") or [] if c.get("expire", "") > now]
        fresh_limit = iso_in(5 * 60)
        # §4.5: a new code only when none pending has more than five minutes left.
        if any(c["expire"] > fresh_limit for c in codes):
            services["emailCode"] = codes
            return {"emailOrUsername": username, "codeGenerated": False,
                    "codeCount": len(codes), "codeExpires": [c["expire"] for c in codes]}
        self.send_code(user)
        return {"emailOrUsername": username, "codeGenerated": True}

    def send_code(self, user: User) -> str | None:
        """Generate a six-digit code and mail it to every verified address (§4.5)."""
        address = first_verified_email(user)
        if address is None:
            return None
        code = f"{secrets.randbelow(1_000_000):06d}"
        expiry = float(self.settings["Accounts_TwoFactorAuthentication_By_Email_Code_Expiration"])
        services = user.setdefault("services", {})
        now = now_iso()
        codes = [c for c in services.get("emailCode") or [] if c.get("expire", "") > now]
        codes.append({"code": sha256_hex(code), "expire": iso_in(expiry)})
        # Bounded: newer servers even keep a single pending code ($set); we keep a few.
        services["emailCode"] = codes[-EMAIL_CODES_KEPT:]
        for mail in user.get("emails") or ():
            if mail.get("verified"):
                self.store.mail(mail["address"], "Your two-factor authentication code",
                                "2fa-code", code=code, user_id=user["_id"])
        return code

    @staticmethod
    def _error(code: str, reason: str, method: str, data: dict[str, Any],
               available: list[str], login: bool) -> ApiError:
        details = {"method": method, **data, "availableMethods": available}
        if login:
            # §4.6: at login `error` is the bare code and the status 401.
            return ApiError(401, {"success": False, "error": code, "status": "error",
                                  "message": reason, "details": details})
        return failure(f"{reason} [{code}]", code, details)
