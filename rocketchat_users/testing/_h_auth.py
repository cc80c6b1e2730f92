"""login / logout / me, tokens, PATs and 2FA toggles (server-behavior.md §2, §4, §8.8, §8.9)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from aiohttp import web

from ._routing import Ctx, Route
from ._store import Store, User
from ._twofactor import Challenge
from ._views import me_view
from ._wire import (
    API_HEADERS,
    ApiError,
    forbidden,
    hash_token,
    iso,
    meteor_error,
    now_iso,
    parse_iso,
    random_secret,
)

_UNAUTHORIZED = {"success": False, "error": "Unauthorized", "status": "error",
                 "message": "Unauthorized"}


def _login_failed() -> ApiError:
    return ApiError(401, dict(_UNAUTHORIZED))


def _find_login_user(store: Store, body: dict[str, Any]) -> User | None:
    """§2.3 accepted body forms (user / username / email, string or object)."""
    user = body.get("user")
    if isinstance(user, str):
        return store.by_email(user) if "@" in user else store.by_username(user)
    if isinstance(user, dict):
        if isinstance(user.get("username"), str):
            return store.by_username(user["username"])
        if isinstance(user.get("email"), str):
            return store.by_email(user["email"])
        if isinstance(user.get("id"), str):
            return store.by_id(user["id"])
        return None
    if isinstance(body.get("username"), str):
        return store.by_username(body["username"])
    if isinstance(body.get("email"), str):
        return store.by_email(body["email"])
    return None


def _password_matches(store: Store, user: User, password: object) -> bool:
    digest = Store.password_digest(user)
    if digest is None:
        return False
    if isinstance(password, str):
        return store.check_password(user, password)
    if isinstance(password, dict) and isinstance(password.get("hashed"), str):
        return bool(password["hashed"].lower() == digest)
    if isinstance(password, dict) and isinstance(password.get("digest"), str):
        return bool(password["digest"].lower() == digest)
    return False


async def login(ctx: Ctx) -> dict[str, Any]:
    store = ctx.backend.store
    body = ctx.params
    if isinstance(body.get("resume"), str):
        # Resume logins are never 2FA-challenged (§4.6).
        hashed = hash_token(body["resume"])
        user = next((u for u in store.users.values()
                     if any(t.get("hashedToken") == hashed for t in Store.login_tokens(u))),
                    None)
        if user is None or not user.get("active"):
            raise _login_failed()
        return _logged_in(ctx, user, body["resume"], new=False)
    allowed = {"user", "username", "email", "password", "code", "totp"}
    if set(body) - allowed or "password" not in body:
        raise _login_failed()
    user = _find_login_user(store, body)
    ip = ctx.request.remote or "127.0.0.1"
    _check_blocked(ctx, user, ip)
    if user is None or not _password_matches(store, user, body.get("password")):
        _record_failure(ctx, user, ip)
        raise _login_failed()
    ctx.backend.login_failures.pop(f"user:{user['_id']}", None)
    if not user.get("active"):
        raise ApiError(401, {"success": False, "error": "error-user-is-not-activated",
                             "status": "error", "message": "User is not activated"})
    code = body.get("code") if isinstance(body.get("code"), str) else None
    code = code or ctx.request.headers.get("X-2fa-Code")
    ctx.backend.twofactor.check(user, None, code, ctx.request.headers.get("X-2fa-Method"),
                                Challenge(disable_password_fallback=True), login=True)
    return _logged_in(ctx, user, random_secret(), new=True)


def _block_rules(ctx: Ctx) -> list[tuple[str, int, float]]:
    s = ctx.backend.settings
    if not s["Accounts_Block_Failed_Login_Attempts_Enable"]:
        return []
    rules = []
    if s["Block_Multiple_Failed_Logins_By_User"]:
        rules.append(("user", int(s["Block_Multiple_Failed_Logins_Attempts_Until_Block_by_User"]),
                      60 * float(s[
                          "Block_Multiple_Failed_Logins_Time_To_Unblock_By_User_In_Minutes"])))
    if s["Block_Multiple_Failed_Logins_By_Ip"]:
        rules.append(("ip", int(s["Block_Multiple_Failed_Logins_Attempts_Until_Block_By_Ip"]),
                      60 * float(s[
                          "Block_Multiple_Failed_Logins_Time_To_Unblock_By_Ip_In_Minutes"])))
    return rules


def _check_blocked(ctx: Ctx, user: User | None, ip: str) -> None:
    """§2.3/§11: too many recent failures block the user (or IP) for a few minutes."""
    now = time.time()
    for kind, limit, window in _block_rules(ctx):
        if kind == "user" and user is None:
            continue
        key = f"user:{user['_id']}" if kind == "user" and user is not None else f"ip:{ip}"
        recent = [t for t in ctx.backend.login_failures.get(key, []) if t > now - window]
        ctx.backend.login_failures[key] = recent
        if len(recent) >= limit:
            who = "User" if kind == "user" else "IP"
            raise ApiError(401, {"success": False, "error": f"error-login-blocked-for-{kind}",
                                 "status": "error",
                                 "message": f"Login has been temporarily blocked For {who}"})


def _record_failure(ctx: Ctx, user: User | None, ip: str) -> None:
    now = time.time()
    if user is not None:
        ctx.backend.login_failures.setdefault(f"user:{user['_id']}", []).append(now)
    ctx.backend.login_failures.setdefault(f"ip:{ip}", []).append(now)


def _logged_in(ctx: Ctx, user: User, token: str, *, new: bool) -> dict[str, Any]:
    store = ctx.backend.store
    if new:
        store.add_login_token(user, token)
    # §16: a REST login does not set presence; it records lastLogin (which moves _updatedAt).
    user["lastLogin"] = now_iso()
    store.touch(user)
    return {"status": "success",
            "data": {"userId": user["_id"], "authToken": token, "me": me_view(store, user)}}


async def logout(ctx: Ctx) -> web.StreamResponse:
    """§2.4: only the request's token goes; 200 with an empty body and JSON content type."""
    tokens = Store.login_tokens(ctx.caller)
    if ctx.token_entry in tokens:
        tokens.remove(ctx.token_entry)
    resp = web.Response(body=b"", status=200, content_type="application/json")
    resp.headers.update(API_HEADERS)
    return resp


async def me(ctx: Ctx) -> dict[str, Any]:
    return me_view(ctx.backend.store, ctx.caller)


async def users_logout(ctx: Ctx) -> dict[str, Any]:
    target = ctx.caller
    user_id = ctx.str_param("userId")
    if user_id and user_id != ctx.caller["_id"]:
        if not ctx.can("logout-other-user"):
            raise forbidden()
        found = ctx.backend.store.by_id(user_id)
        if found is None:
            raise meteor_error("error-invalid-user", "Invalid user")
        target = found
    Store.login_tokens(target).clear()  # PATs included (§2.6)
    return {"message": f"User {target['_id']} has been logged out!"}


def _drop_other_tokens(ctx: Ctx) -> None:
    tokens = Store.login_tokens(ctx.caller)
    tokens[:] = [t for t in tokens
                 if t is ctx.token_entry or t.get("type") == "personalAccessToken"]


async def logout_other_clients(ctx: Ctx) -> dict[str, Any]:
    _drop_other_tokens(ctx)
    entry = ctx.token_entry or {}
    when = parse_iso(entry.get("when"))
    days = int(ctx.backend.settings.get("Accounts_LoginExpiration") or 90)
    expires = iso(when + timedelta(days=days if days > 0 else 90)) if when else ""
    return {"token": ctx.token, "tokenExpires": expires}


async def remove_other_tokens(ctx: Ctx) -> dict[str, Any]:
    _drop_other_tokens(ctx)
    return {}


async def create_token(ctx: Ctx) -> dict[str, Any]:
    """§8.8 G8: ``secret`` must equal CREATE_TOKENS_FOR_USERS_SECRET (None = disabled)."""
    expected = ctx.backend.settings.get("CREATE_TOKENS_FOR_USERS_SECRET")
    not_authorized = meteor_error("error-not-authorized", "Not authorized",
                                  {"method": "createToken"})
    if not expected or ctx.params["secret"] != expected:
        raise not_authorized
    if ctx.params["userId"] != ctx.caller["_id"] and not ctx.can("user-generate-access-token"):
        raise not_authorized
    user = ctx.backend.store.by_id(ctx.params["userId"])
    if user is None:
        raise meteor_error("error-invalid-user", "Invalid user", {"method": "createToken"})
    token = random_secret()
    ctx.backend.store.add_login_token(user, token)
    return {"data": {"userId": user["_id"], "authToken": token}}


# ------------------------------------------------------------------ personal access tokens
def _pats(user: User) -> list[dict[str, Any]]:
    return [t for t in Store.login_tokens(user) if t.get("type") == "personalAccessToken"]


def _pat_permission(ctx: Ctx, method: str) -> None:
    if not ctx.can("create-personal-access-tokens"):
        raise meteor_error("not-authorized", "Not Authorized",
                           {"method": f"personalAccessTokens:{method}"})


def _find_pat(ctx: Ctx, method: str) -> dict[str, Any]:
    name = ctx.params["tokenName"]
    for entry in _pats(ctx.caller):
        if entry.get("name") == name:
            return entry
    raise meteor_error("error-token-does-not-exists", "Token does not exist",
                       {"method": f"personalAccessTokens:{method}"})


async def generate_pat(ctx: Ctx) -> dict[str, Any]:
    _pat_permission(ctx, "generateToken")
    name = ctx.params["tokenName"]
    if any(t.get("name") == name for t in _pats(ctx.caller)):
        raise meteor_error("error-token-already-exists", "A token with this name already exists",
                           {"method": "personalAccessTokens:generateToken"})
    token = random_secret()
    Store.login_tokens(ctx.caller).append({
        "hashedToken": hash_token(token), "type": "personalAccessToken", "createdAt": now_iso(),
        "lastTokenPart": token[-6:], "name": name,
        "bypassTwoFactor": bool(ctx.params.get("bypassTwoFactor", False)),
    })
    return {"token": token}


async def regenerate_pat(ctx: Ctx) -> dict[str, Any]:
    _pat_permission(ctx, "regenerateToken")
    entry = _find_pat(ctx, "regenerateToken")
    token = random_secret()
    entry.update(hashedToken=hash_token(token), createdAt=now_iso(), lastTokenPart=token[-6:])
    return {"token": token}


async def get_pats(ctx: Ctx) -> dict[str, Any]:
    return {"tokens": [
        {"name": t.get("name"), "createdAt": t.get("createdAt"),
         "lastTokenPart": t.get("lastTokenPart"), "bypassTwoFactor": bool(t.get("bypassTwoFactor"))}
        for t in _pats(ctx.caller)
    ]}


async def remove_pat(ctx: Ctx) -> dict[str, Any]:
    _pat_permission(ctx, "removeToken")
    entry = _find_pat(ctx, "removeToken")
    Store.login_tokens(ctx.caller).remove(entry)
    return {}


# ------------------------------------------------------------------------------ 2FA toggles
async def enable_email_2fa(ctx: Ctx) -> dict[str, Any]:
    user = ctx.caller
    emails = user.get("emails") or []
    if not emails or not all(m.get("verified") for m in emails):
        raise meteor_error("error-invalid-user",
                           "You need to verify your emails before setting up 2FA")
    user.setdefault("services", {})["email2fa"] = {"enabled": True, "changedAt": now_iso()}
    _drop_other_tokens(ctx)
    ctx.backend.store.touch(user)
    return {}


async def disable_email_2fa(ctx: Ctx) -> dict[str, Any]:
    user = ctx.caller
    user.setdefault("services", {})["email2fa"] = {"enabled": False, "changedAt": now_iso()}
    ctx.backend.store.touch(user)
    return {}


async def send_email_code(ctx: Ctx) -> dict[str, Any]:
    """§8.9: always success, so the endpoint cannot be used to enumerate users."""
    store = ctx.backend.store
    key = ctx.params["emailOrUsername"]
    user = store.by_email(key) if "@" in key else store.by_username(key)
    if user is not None and ctx.backend.twofactor.email_enabled(user):
        ctx.backend.twofactor.send_code(user)
    return {}


def _optional_target(ctx: Ctx) -> User:
    return ctx.caller if ctx.is_self_target() else ctx.user_from_params()


async def reset_totp(ctx: Ctx) -> dict[str, Any]:
    target = _optional_target(ctx)
    if target["_id"] != ctx.caller["_id"] and not ctx.can("edit-other-user-totp"):
        raise meteor_error("error-not-allowed", "Not allowed")
    if not ctx.backend.settings["Accounts_TwoFactorAuthentication_Enabled"]:
        raise meteor_error("error-two-factor-not-enabled",
                           "Two factor authentication is not enabled")
    services = target.setdefault("services", {})
    if services.pop("totp", None) is not None:
        Store.login_tokens(target).clear()
        ctx.backend.store.touch(target)
    return {}


async def reset_e2e_key(ctx: Ctx) -> dict[str, Any]:
    target = _optional_target(ctx)
    if target["_id"] != ctx.caller["_id"] and not ctx.can("edit-other-user-e2ee"):
        raise meteor_error("error-not-allowed", "Not allowed")
    target.pop("e2e", None)
    Store.login_tokens(target).clear()  # §8.8: logs the target out everywhere
    ctx.backend.store.touch(target)
    return {}


ROUTES = [
    Route("login", ("POST",), login, auth=False),
    Route("logout", ("GET", "POST"), logout),
    Route("me", ("GET",), me, allow_no_username=True),
    Route("users.logout", ("POST",), users_logout),
    Route("users.logoutOtherClients", ("POST",), logout_other_clients),
    Route("users.removeOtherTokens", ("POST",), remove_other_tokens),
    Route("users.createToken", ("POST",), create_token),
    Route("users.generatePersonalAccessToken", ("POST",), generate_pat, two_factor="normal"),
    Route("users.regeneratePersonalAccessToken", ("POST",), regenerate_pat, two_factor="normal"),
    Route("users.getPersonalAccessTokens", ("GET",), get_pats,
          permissions=("create-personal-access-tokens",)),
    Route("users.removePersonalAccessToken", ("POST",), remove_pat, two_factor="normal"),
    Route("users.2fa.enableEmail", ("POST",), enable_email_2fa),
    Route("users.2fa.disableEmail", ("POST",), disable_email_2fa, two_factor="no-remember"),
    Route("users.2fa.sendEmailCode", ("POST",), send_email_code, auth=False),
    Route("users.resetTOTP", ("POST",), reset_totp, two_factor="no-remember"),
    Route("users.resetE2EKey", ("POST",), reset_e2e_key, two_factor="no-remember"),
]
