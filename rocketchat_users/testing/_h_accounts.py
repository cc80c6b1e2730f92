"""Creating, editing, (de)activating and deleting accounts; mails and preferences.

server-behavior.md §8.2, §8.3, §8.6 (setActiveStatus, deactivateIdle), §8.7, §8.8, §8.9.
"""

from __future__ import annotations

import html
import secrets
from datetime import timedelta
from typing import Any

from ._routing import Ctx, Route, route_error
from ._rules import (
    blocked_username_error,
    check_password_policy,
    email_is_valid,
    invalid_email_error,
    name_has_invalid_chars,
    username_available,
    username_is_blocked,
    username_is_valid,
)
from ._settings import KNOWN_ROLES
from ._store import Store, User
from ._twofactor import Challenge
from ._views import document_view, me_view, register_view
from ._wire import ApiError, iso, meteor_error, now_iso, random_id, sha256_hex, utcnow

_SAVE = "insertOrUpdateUser"
VERIFICATION_TOKENS_KEPT = 5  # per user, the newest (services.email.verificationTokens)
_STATUS = ("online", "away", "offline", "busy")


def _not_allowed(reason: str, action: str, method: str = _SAVE) -> ApiError:
    return meteor_error("error-action-not-allowed", reason, {"method": method, "action": action})


def _required(field: str) -> ApiError:
    return meteor_error("error-the-field-is-required", f"The field {field} is required",
                        {"method": _SAVE, "field": field})


def _unavailable(value: str) -> ApiError:
    return meteor_error("error-field-unavailable", f"{html.escape(value)} is already in use :(",
                        {"method": _SAVE, "field": value})


def _invalid_username(username: str) -> ApiError:
    return meteor_error("error-input-is-not-a-valid-field",
                        f"{html.escape(username)} is not a valid username",
                        {"method": _SAVE, "input": username, "field": "Username"})


def _random_password() -> str:
    return f"Rnd-{secrets.token_urlsafe(12)}-9a!Z"


def _check_roles(ctx: Ctx, roles: list[str]) -> None:
    if any(role not in KNOWN_ROLES for role in roles):
        raise _not_allowed("The field Roles consist invalid role id", "Assign_role")
    if "admin" in roles and not ctx.can("assign-admin-role"):
        raise _not_allowed("Assigning admin is not allowed", "Assign_admin")


def _check_lengths(data: dict[str, Any]) -> None:
    if isinstance(data.get("nickname"), str) and len(data["nickname"]) > 120:
        raise meteor_error("error-nickname-size-exceeded", "Nickname size exceeds 120 characters")
    if isinstance(data.get("bio"), str) and len(data["bio"]) > 260:
        raise meteor_error("error-bio-size-exceeded", "Bio size exceeds 260 characters")


# ------------------------------------------------------------------------------ create
async def create(ctx: Ctx) -> dict[str, Any]:
    data = ctx.params
    store, settings = ctx.backend.store, ctx.backend.settings
    if name_has_invalid_chars(data.get("name")):
        raise route_error("Name contains invalid characters")
    # validateUserData order (§8.2).
    if not ctx.can("create-user"):
        raise _not_allowed("Adding user is not allowed", "Adding_user")
    default_roles = [r.strip() for r in
                     str(settings["Accounts_Registration_Users_Default_Roles"]).split(",")
                     if r.strip()]
    roles = list(data.get("roles") or default_roles)
    _check_roles(ctx, roles)
    if not data["name"].strip() and settings["Accounts_RequireNameForSignUp"]:
        raise _required("Name")
    username = data["username"].strip()
    if not username:
        raise _required("Username")
    if not username_is_valid(settings, username):
        raise _invalid_username(username)
    random_password = bool(data.get("setRandomPassword"))
    if not data["password"] and not random_password:
        raise _required("Password")
    if username_is_blocked(settings, username):
        raise blocked_username_error(username)
    if not username_available(store, username):
        raise _unavailable(username)
    email = data["email"].strip()
    if store.by_email(email) is not None:
        raise _unavailable(email)
    _check_lengths(data)
    password = _random_password() if random_password else data["password"]
    if not random_password:
        check_password_policy(settings, password)
    if not email_is_valid(email):
        raise invalid_email_error(email)
    now = now_iso()
    doc: User = {
        "_id": random_id(), "createdAt": now, "_updatedAt": now, "username": username,
        "emails": [{"address": email, "verified": bool(data.get("verified", False))}],
        "type": "user", "status": "offline", "active": bool(data.get("active", True)),
        "roles": roles, "name": data["name"], "settings": {}, "__rooms": ["GENERAL"],
        "services": {},
    }
    for key in ("bio", "nickname", "statusText", "customFields", "freeSwitchExtension",
                "phones"):
        if key in data:
            doc[key] = data[key]
    if data.get("requirePasswordChange") or random_password:
        doc["requirePasswordChange"] = True
    if not doc["active"]:
        doc["inactiveReason"] = "deactivated"
    Store.set_password(doc, password)
    if settings["Accounts_TwoFactorAuthentication_By_Email_Auto_Opt_In"]:
        doc["services"]["email2fa"] = {"enabled": True, "changedAt": now}
    store.insert(doc)
    if random_password:
        store.mail(email, "Your password", "password", password=password)
    if data.get("sendWelcomeEmail"):
        store.mail(email, "Welcome", "welcome")
    return {"user": document_view(doc)}


async def register(ctx: Ctx) -> dict[str, Any]:
    data = ctx.params
    store, settings = ctx.backend.store, ctx.backend.settings
    # Route-level checks first, without errorType (§8.2 users.register).
    if ctx.user is not None:
        raise route_error("Logged in users can not register again.")
    if name_has_invalid_chars(data.get("name")):
        raise route_error("Name contains invalid characters")
    username = data["username"]
    if not username_is_valid(settings, username):
        raise route_error("The username provided is not valid")
    if username_is_blocked(settings, username):
        raise blocked_username_error(username)
    if not username_available(store, username):
        raise route_error("Username is already in use")
    if store.by_email(data["email"]) is not None:
        raise route_error("Email already exists")
    form = settings["Accounts_RegistrationForm"]
    if form == "Disabled":
        raise meteor_error("error-user-registration-disabled", "User registration is disabled")
    if form == "Secret URL" and (
            not data.get("secret") or data.get("secret") != settings.get(
                "Accounts_RegistrationForm_SecretURL")):
        raise meteor_error("error-user-registration-secret",
                           "User registration is only allowed via Secret URL")
    if settings["Accounts_RequireNameForSignUp"] and not (data.get("name") or "").strip():
        raise _required("Name")
    check_password_policy(settings, data["pass"])
    if not email_is_valid(data["email"]):
        raise invalid_email_error(data["email"])
    manual = bool(settings["Accounts_ManuallyApproveNewUsers"])
    now = now_iso()
    roles = [r.strip() for r in str(settings["Accounts_Registration_Users_Default_Roles"])
             .split(",") if r.strip()]
    doc: User = {
        "_id": random_id(), "createdAt": now, "_updatedAt": now, "username": username,
        "emails": [{"address": data["email"], "verified": False}], "type": "user",
        "status": "offline", "active": not manual, "roles": roles, "settings": {},
        "__rooms": ["GENERAL"], "services": {},
    }
    if data.get("name"):
        doc["name"] = data["name"]
    if manual:
        doc["inactiveReason"] = "pending_approval"
        if data.get("reason"):
            doc["reason"] = data["reason"]
    if isinstance(data.get("customFields"), dict):
        doc["customFields"] = data["customFields"]
    Store.set_password(doc, data["pass"])
    if settings["Accounts_TwoFactorAuthentication_By_Email_Auto_Opt_In"]:
        doc["services"]["email2fa"] = {"enabled": True, "changedAt": now}
    store.insert(doc)
    return {"user": register_view(store, doc)}


# ------------------------------------------------------------------------------ update
def _apply_username(ctx: Ctx, target: User, username: str) -> None:
    _check_username(ctx, target, username)
    if username != target.get("username"):
        ctx.backend.store.set_username(target, username)


def _check_username(ctx: Ctx, target: User, username: str) -> None:
    store, settings = ctx.backend.store, ctx.backend.settings
    if username == target.get("username"):
        return
    if not username_is_valid(settings, username):
        raise _invalid_username(username)
    if username_is_blocked(settings, username):
        # §16: a reserved name on update fails as an identity save, not as "blocked".
        raise meteor_error("error-could-not-save-identity", "Could not save user identity",
                           {"method": "saveUser"})
    if not username_available(store, username, except_id=target["_id"]):
        raise _unavailable(username)


def _check_email(ctx: Ctx, target: User, email: str) -> None:
    current = (target.get("emails") or [{}])[0].get("address")
    if email == current:
        return
    if not email_is_valid(email):
        raise invalid_email_error(email)
    other = ctx.backend.store.by_email(email)
    if other is not None and other["_id"] != target["_id"]:
        raise _unavailable(email)


def _apply_email(ctx: Ctx, target: User, email: str, verified: bool) -> None:
    store = ctx.backend.store
    _check_email(ctx, target, email)
    if email == (target.get("emails") or [{}])[0].get("address"):
        return
    emails = list(target.get("emails") or [])
    entry = {"address": email, "verified": verified}
    store.set_emails(target, [entry, *emails[1:]] if emails else [entry])
    if not verified:
        _send_verification(ctx, target, email)


def _send_verification(ctx: Ctx, user: User, address: str) -> None:
    token = secrets.token_urlsafe(24)
    tokens = user.setdefault("services", {}).setdefault("email", {}).setdefault(
        "verificationTokens", [])
    tokens.append({"token": token, "address": address, "when": now_iso()})
    # Bounded (a long-running emulator): only the newest few links stay valid.
    del tokens[:-VERIFICATION_TOKENS_KEPT]
    ctx.backend.store.mail(address, "Verify your email", "verification", token=token)


def _set_status(target: User, status: str) -> None:
    target["status"] = status
    target["statusDefault"] = status


async def update(ctx: Ctx) -> dict[str, Any]:
    store, settings = ctx.backend.store, ctx.backend.settings
    data: dict[str, Any] = ctx.params["data"]
    target = store.by_id(ctx.params["userId"])
    if target is None:
        raise meteor_error("error-invalid-user", "Invalid user",
                           {"method": _SAVE})
    is_self = target["_id"] == ctx.caller["_id"]
    can_edit_other = ctx.can("edit-other-user-info")
    if "verified" in data and is_self:
        raise _not_allowed("Editing email verification is not allowed", "Update_user")
    if not is_self and not can_edit_other:
        raise _not_allowed("Editing user is not allowed", "Editing_user")
    if "roles" in data:
        if not ctx.can("assign-roles"):
            raise _not_allowed("Assign roles is not allowed", "Assign_role")
        _check_roles(ctx, data["roles"])
    checks = (
        ("username", "Accounts_AllowUsernameChange", "Edit username is not allowed"),
        ("name", "Accounts_AllowRealNameChange", "Edit user real name is not allowed"),
        ("email", "Accounts_AllowEmailChange", "Edit user email is not allowed"),
        ("statusText", "Accounts_AllowUserStatusMessageChange", "Edit user status is not allowed"),
        ("bio", "Accounts_AllowUserProfileChange", "Edit user profile is not allowed"),
        ("nickname", "Accounts_AllowUserProfileChange", "Edit user profile is not allowed"),
    )
    for key, setting, reason in checks:
        if key in data and data[key] != target.get(key) and not settings[setting] \
                and not can_edit_other:
            raise _not_allowed(reason, "Update_user")
    if "password" in data and (not settings["Accounts_AllowPasswordChange"] or (
            not is_self and not ctx.can("edit-other-user-password"))):
        raise _not_allowed("Edit user password is not allowed", "Update_user")
    if name_has_invalid_chars(data.get("name")):
        raise route_error("Name contains invalid characters")
    _check_lengths(data)
    if isinstance(data.get("password"), str) and data["password"] \
            and ctx.can("edit-other-user-password"):
        check_password_policy(settings, data["password"])
    if isinstance(data.get("username"), str) and data["username"].strip():
        _check_username(ctx, target, data["username"].strip())
    if isinstance(data.get("email"), str) and data["email"].strip():
        _check_email(ctx, target, data["email"].strip())
    if "active" in data:
        # §8.3/§8.6: a given `active` is handed to the setUserActiveStatus method, which needs
        # edit-other-user-active-status (even for oneself). It may refuse (permission, last
        # admin, last owner); the emulator checks before anything else changes.
        if not ctx.can("edit-other-user-active-status"):
            raise meteor_error("error-not-allowed", "Not allowed",
                               {"method": "setUserActiveStatus"})
        if bool(data["active"]) != bool(target.get("active")):
            set_active(ctx, target, bool(data["active"]),
                       bool(ctx.params.get("confirmRelinquish")))
    # Validation passed: apply.
    if isinstance(data.get("username"), str) and data["username"].strip():
        _apply_username(ctx, target, data["username"].strip())
    if isinstance(data.get("email"), str) and data["email"].strip():
        _apply_email(ctx, target, data["email"].strip(), bool(data.get("verified", False)))
    elif "verified" in data and target.get("emails"):
        target["emails"][0]["verified"] = bool(data["verified"])
    for key in ("name", "bio", "nickname", "statusText", "freeSwitchExtension"):
        if key in data:
            target[key] = data[key]
    if "roles" in data:
        target["roles"] = list(data["roles"])
    if "customFields" in data:
        target["customFields"] = {**(target.get("customFields") or {}), **data["customFields"]}
    if "status" in data:
        _set_status(target, data["status"])
    if isinstance(data.get("password"), str) and data["password"] \
            and ctx.can("edit-other-user-password"):
        # §8.3: only applied with edit-other-user-password, even for self; else ignored.
        Store.set_password(target, data["password"])
    if data.get("setRandomPassword"):
        password = _random_password()
        Store.set_password(target, password)
        target["requirePasswordChange"] = True
        _mail_first(ctx, target, "Your password", "password", password=password)
    if "requirePasswordChange" in data:
        target["requirePasswordChange"] = bool(data["requirePasswordChange"])
        if not data["requirePasswordChange"]:
            target.pop("requirePasswordChangeReason", None)
    if data.get("sendWelcomeEmail"):
        _mail_first(ctx, target, "Welcome", "welcome")
    store.touch(target)
    return {"user": document_view(target)}


def _mail_first(ctx: Ctx, user: User, subject: str, kind: str, **extra: Any) -> None:
    emails = user.get("emails") or []
    if emails:
        ctx.backend.store.mail(emails[0]["address"], subject, kind, **extra)


async def update_own_basic_info(ctx: Ctx) -> dict[str, Any]:
    store, settings = ctx.backend.store, ctx.backend.settings
    user = ctx.caller
    data: dict[str, Any] = ctx.params["data"]
    if not settings["Accounts_AllowUserProfileChange"]:
        raise meteor_error("error-not-allowed", "Not allowed", {"method": "saveUserProfile"})
    if name_has_invalid_chars(data.get("name")):
        raise route_error("Name contains invalid characters")
    checks = (
        ("username", "Accounts_AllowUsernameChange", "Edit username is not allowed"),
        ("name", "Accounts_AllowRealNameChange", "Edit user real name is not allowed"),
        ("email", "Accounts_AllowEmailChange", "Edit user email is not allowed"),
        ("statusText", "Accounts_AllowUserStatusMessageChange", "Edit user status is not allowed"),
    )
    for key, setting, reason in checks:
        if key in data and data[key] != user.get(key) and not settings[setting]:
            raise _not_allowed(reason, "Update_user", "saveUserProfile")
    if data.get("newPassword") and not settings["Accounts_AllowPasswordChange"]:
        raise _not_allowed("Edit user password is not allowed", "Update_user", "saveUserProfile")
    _check_lengths(data)
    if data.get("email") or data.get("newPassword"):
        # §4.7: requireSecondFactor; currentPassword doubles as the code (method "password").
        headers = ctx.request.headers
        code: str | None
        method: str | None
        if data.get("currentPassword"):
            code, method = data["currentPassword"], "password"
        elif headers.get("X-2fa-Code") and headers.get("X-2fa-Method"):
            code, method = headers["X-2fa-Code"], headers["X-2fa-Method"]
        else:
            code = method = None
        ctx.backend.twofactor.check(user, ctx.token_entry, code, method,
                                    Challenge(require_second_factor=True))
    if data.get("newPassword"):
        if store.check_password(user, data["newPassword"]):
            raise meteor_error("error-password-same-as-current",
                               "Entered password same as current password")
        check_password_policy(settings, data["newPassword"])
    if isinstance(data.get("username"), str) and data["username"].strip():
        _check_username(ctx, user, data["username"].strip())
    if isinstance(data.get("email"), str) and data["email"].strip():
        _check_email(ctx, user, data["email"].strip())
    if isinstance(data.get("username"), str) and data["username"].strip():
        _apply_username(ctx, user, data["username"].strip())
    if isinstance(data.get("email"), str) and data["email"].strip():
        _apply_email(ctx, user, data["email"].strip(), False)
    for key in ("name", "bio", "nickname", "statusText"):
        if key in data:
            user[key] = data[key]
    if data.get("statusType") in _STATUS:
        _set_status(user, data["statusType"])
    if isinstance(ctx.params.get("customFields"), dict):
        user["customFields"] = {**(user.get("customFields") or {}), **ctx.params["customFields"]}
    if data.get("newPassword"):
        Store.set_password(user, data["newPassword"])
        user.pop("requirePasswordChange", None)
        tokens = Store.login_tokens(user)
        # §8.3: a password change keeps the current token and removes the other ones.
        tokens[:] = [t for t in tokens if t is ctx.token_entry]
    store.touch(user)
    return {"user": me_view(store, user)}


# --------------------------------------------------------------------- active / delete
def _relinquish(ctx: Ctx, target: User, confirm: bool) -> list[str]:
    """The last-owner rule (§8.6): refuse, or hand rooms over / remove empty ones."""
    store = ctx.backend.store
    owned = store.sole_owned_rooms(target)
    if not owned:
        return []
    if not confirm:
        raise ApiError(400, {
            "success": False, "error": "[user-last-owner]", "errorType": "user-last-owner",
            "details": [{"_id": r["_id"], "name": r["name"], "t": r["t"]} for r in owned],
        })
    removed = []
    for room in owned:
        others = [m for m in room["members"] if m != target["_id"]]
        if others:
            room["owners"] = [others[0]]
        else:
            removed.append(room["_id"])
            store.rooms.pop(room["_id"], None)
            for team_id in [t for t, team in store.teams.items() if team["roomId"] == room["_id"]]:
                store.teams.pop(team_id)
    return removed


def set_active(ctx: Ctx, target: User, active: bool, confirm: bool,
               reason: str = "deactivated") -> None:
    store = ctx.backend.store
    if not active:
        if "admin" in (target.get("roles") or ()) and target.get("active") and \
                len(store.active_admins()) <= 1:
            raise _not_allowed("Leaving the app without an active admin is not allowed",
                               "Remove_last_admin", "removeUserFromRole")
        _relinquish(ctx, target, confirm)
        target["active"] = False
        target["inactiveReason"] = reason
        target["status"] = "offline"
        target["statusConnection"] = "offline"
        Store.login_tokens(target).clear()  # deactivation logs the user out (§2.1)
    else:
        target["active"] = True
        target.pop("inactiveReason", None)
    store.touch(target)


async def set_active_status(ctx: Ctx) -> dict[str, Any]:
    if not ctx.can("edit-other-user-active-status"):
        raise meteor_error("error-not-allowed", "Not allowed", {"method": "setUserActiveStatus"})
    target = ctx.backend.store.by_id(ctx.params["userId"])
    if target is None:
        raise meteor_error("error-invalid-user", "Invalid user",
                           {"method": "setUserActiveStatus"})
    active = bool(ctx.params["activeStatus"])
    if active != bool(target.get("active")):
        set_active(ctx, target, active, bool(ctx.params.get("confirmRelinquish")))
    return {"user": {"_id": target["_id"], "active": target["active"]}}


async def deactivate_idle(ctx: Ctx) -> dict[str, Any]:
    days = ctx.params["daysIdle"]  # a finite number >= 0 (schema)
    role = ctx.params.get("role") or "user"
    try:
        cutoff = iso(utcnow() - timedelta(days=days))
    except OverflowError:
        # A cutoff before year 1: nobody's last login is that old.
        return {"count": 0}
    count = 0
    for user in list(ctx.backend.store.users.values()):
        if not user.get("active") or role not in (user.get("roles") or ()):
            continue
        # §16: never-logged-in users count as idle once createdAt is older than the cutoff.
        last = user.get("lastLogin") or user.get("createdAt") or ""
        if last <= cutoff:
            user["active"] = False
            user["inactiveReason"] = "idle_too_long"
            Store.login_tokens(user).clear()
            ctx.backend.store.touch(user)
            count += 1
    return {"count": count}


async def delete(ctx: Ctx) -> dict[str, Any]:
    store = ctx.backend.store
    target = ctx.user_from_params()
    if "admin" in (target.get("roles") or ()) and target.get("active") and \
            len(store.active_admins()) <= 1:
        raise _not_allowed("Leaving the app without an active admin is not allowed",
                           "Remove_last_admin", "removeUserFromRole")
    removed = _relinquish(ctx, target, bool(ctx.params.get("confirmRelinquish")))
    store.remove(target)
    return {"deletedRooms": removed}


async def delete_own_account(ctx: Ctx) -> dict[str, Any]:
    store, user = ctx.backend.store, ctx.caller
    if not ctx.backend.settings["Accounts_AllowDeleteOwnAccount"]:
        raise meteor_error("error-not-allowed", "Not allowed", {"method": "deleteUserOwnAccount"})
    given = ctx.params["password"].strip().lower()
    digest = Store.password_digest(user)
    if digest is not None:
        if given != digest:
            raise meteor_error("error-invalid-password", "Invalid password",
                               {"method": "deleteUserOwnAccount"})
    elif given != sha256_hex(user.get("username") or ""):
        raise meteor_error("error-invalid-username", "Invalid username",
                           {"method": "deleteUserOwnAccount"})
    if "admin" in (user.get("roles") or ()) and len(store.active_admins()) <= 1:
        raise _not_allowed("Leaving the app without an active admin is not allowed",
                           "Remove_last_admin", "removeUserFromRole")
    _relinquish(ctx, user, bool(ctx.params.get("confirmRelinquish")))
    store.remove(user)
    return {}


# ------------------------------------------------------------------------------- mails
async def forgot_password(ctx: Ctx) -> dict[str, Any]:
    if not ctx.backend.settings["Accounts_PasswordReset"]:
        raise route_error("Password reset is not enabled")
    user = ctx.backend.store.by_email(ctx.params["email"])
    if user is not None:  # always success: no user enumeration (§8.8)
        token = secrets.token_urlsafe(24)
        user.setdefault("services", {}).setdefault("password", {})["reset"] = {
            "token": token, "email": ctx.params["email"], "when": now_iso()}
        ctx.backend.store.mail(ctx.params["email"], "Reset your password", "reset-password",
                               token=token)
    return {}


async def send_welcome_email(ctx: Ctx) -> dict[str, Any]:
    if not ctx.backend.settings["SMTP_Configured"]:
        raise meteor_error("error-email-send-failed", "SMTP is not configured",
                           {"method": "sendWelcomeEmail"})
    user = ctx.backend.store.by_email(ctx.params["email"])
    if user is None:
        raise meteor_error("error-invalid-user", "Invalid user", {"method": "sendWelcomeEmail"})
    ctx.backend.store.mail(ctx.params["email"], "Welcome", "welcome", user_id=user["_id"])
    return {}


async def send_confirmation_email(ctx: Ctx) -> dict[str, Any]:
    email = ctx.params["email"].strip()
    if not email_is_valid(email):
        raise invalid_email_error(email)
    user = ctx.backend.store.by_email(email)
    if user is not None and any(m["address"].lower() == email.lower() and not m.get("verified")
                                for m in user.get("emails") or ()):
        _send_verification(ctx, user, email)
    return {}


async def verify_email(ctx: Ctx) -> dict[str, Any]:
    token = ctx.params["token"]
    for user in ctx.backend.store.users.values():
        tokens = ((user.get("services") or {}).get("email") or {}).get("verificationTokens")
        if not isinstance(tokens, list):
            continue
        for entry in tokens:
            if entry.get("token") != token:
                continue
            tokens.remove(entry)
            for mail in user.get("emails") or ():
                if mail["address"].lower() == str(entry.get("address", "")).lower():
                    mail["verified"] = True
            roles = user.get("roles") or []
            if "anonymous" in roles:
                user["roles"] = [r for r in roles if r != "anonymous"] + ["user"]
            ctx.backend.store.touch(user)
            return {}
    raise route_error("Verify email link expired")


async def send_invitation_email(ctx: Ctx) -> dict[str, Any]:
    valid = [e for e in ctx.params["emails"] if email_is_valid(e)]
    if not valid:
        raise meteor_error("error-email-send-failed", "No valid email addresses",
                           {"method": "sendInvitationEmail"})
    for email in valid:
        ctx.backend.store.mail(email, "You have been invited to Rocket.Chat", "invitation",
                               link=f"{ctx.backend.url}/register")
    return {}


async def request_data_download(ctx: Ctx) -> dict[str, Any]:
    if not ctx.backend.settings["UserData_EnableDownload"]:
        raise meteor_error("error-not-allowed", "Not allowed", {"method": "requestDataDownload"})
    store, user = ctx.backend.store, ctx.caller
    full = ctx.params.get("fullExport") == "true"
    existing = store.exports.get(user["_id"])
    if existing is not None and existing["status"] != "completed":
        return {"requested": False, "exportOperation": existing}
    now = now_iso()
    operation = {"_id": random_id(), "userId": user["_id"], "roomList": [], "status": "pending",
                 "fileList": [], "generatedFile": None, "fullExport": full, "createdAt": now,
                 "_updatedAt": now, "exportPath": "", "assetsPath": ""}
    operation = {k: v for k, v in operation.items() if v is not None}
    store.exports[user["_id"]] = operation
    return {"requested": True, "exportOperation": operation}


async def report_user(ctx: Ctx) -> dict[str, Any]:
    target = ctx.backend.store.by_id(ctx.params["userId"])
    if target is None:
        raise route_error("Invalid user id provided.")
    ctx.backend.store.add_report({
        "_id": random_id(), "reportedUser": target["_id"], "description":
        ctx.params["description"], "reportedBy": ctx.caller["_id"], "ts": now_iso()})
    return {}


# ------------------------------------------------------------------------- preferences
async def get_preferences(ctx: Ctx) -> dict[str, Any]:
    user = ctx.caller
    settings = user.get("settings")
    if not isinstance(settings, dict):
        raise route_error("Accounts_Default_User_Preferences_not_available")
    prefs = dict(settings.get("preferences") or {})
    if "language" in user:
        prefs["language"] = user["language"]
    return {"preferences": prefs}


async def set_preferences(ctx: Ctx) -> dict[str, Any]:
    store = ctx.backend.store
    target = ctx.caller
    user_id = ctx.str_param("userId")
    if user_id and user_id != ctx.caller["_id"]:
        if not ctx.can("edit-other-user-info"):
            raise _not_allowed("Editing user is not allowed", "Editing_user", "saveUserPreferences")
        found = store.by_id(user_id)
        if found is None:
            raise meteor_error(
                "error-invalid-user",
                'The optional "userId" param provided does not match any users')
        target = found
    data = dict(ctx.params["data"])
    if "language" in data:
        target["language"] = data.pop("language")
    settings = target.setdefault("settings", {})
    prefs = settings.setdefault("preferences", {})
    prefs.update(data)
    store.touch(target)
    out = dict(prefs)
    if "language" in target:
        out["language"] = target["language"]
    return {"user": {"_id": target["_id"], "settings": {"preferences": out}}}


ROUTES = [
    Route("users.create", ("POST",), create),
    Route("users.register", ("POST",), register, auth=False, rate="register"),
    Route("users.update", ("POST",), update, two_factor="normal"),
    Route("users.updateOwnBasicInfo", ("POST",), update_own_basic_info, rate="one-per-minute",
          allow_no_username=True),
    Route("users.setActiveStatus", ("POST",), set_active_status,
          permissions=("edit-other-user-active-status", "manage-moderation-actions")),
    Route("users.deactivateIdle", ("POST",), deactivate_idle,
          permissions=("edit-other-user-active-status",)),
    Route("users.delete", ("POST",), delete, permissions=("delete-user",)),
    Route("users.deleteOwnAccount", ("POST",), delete_own_account),
    Route("users.forgotPassword", ("POST",), forgot_password, auth=False),
    Route("users.sendWelcomeEmail", ("POST",), send_welcome_email, permissions=("send-mail",)),
    Route("users.sendConfirmationEmail", ("POST",), send_confirmation_email,
          rate="one-per-minute"),
    Route("users.verifyEmail", ("POST",), verify_email, auth=False),
    Route("sendInvitationEmail", ("POST",), send_invitation_email,
          permissions=("bulk-register-user",)),
    Route("users.requestDataDownload", ("GET",), request_data_download),
    Route("moderation.reportUser", ("POST",), report_user),
    Route("users.getPreferences", ("GET",), get_preferences),
    Route("users.setPreferences", ("POST",), set_preferences),
]
