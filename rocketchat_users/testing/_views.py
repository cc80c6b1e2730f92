"""What each caller may see of a user document (server-behavior.md §2.3, §5.3, §8.4, §10)."""

from __future__ import annotations

from typing import Any

from ._settings import DEFAULT_PREFERENCES
from ._store import Store, User

# §5.3: removed for everyone on every route.
ALWAYS_HIDDEN = frozenset({"joinCode", "members", "importIds", "e2e"})
# §5.3: removed on /v1/users.* for callers without view-full-other-user-info.
UNPRIVILEGED_HIDDEN = frozenset({
    "avatarOrigin", "emails", "phone", "statusConnection", "createdAt", "lastLogin", "services",
    "requirePasswordChange", "requirePasswordChangeReason", "roles", "statusDefault",
    "_updatedAt", "settings", "inviteToken",
})
PRIVILEGED_HIDDEN = frozenset({"services", "inviteToken"})
# users.create / users.update answers: the document minus these (§8.2).
DOCUMENT_HIDDEN = frozenset({"services", "inviteToken", "e2e", "importIds", "joinCode", "members"})

# §8.4 getFullUserData.
INFO_PUBLIC = (
    "name", "username", "nickname", "status", "utcOffset", "type", "active", "bio", "reason",
    "statusText", "avatarETag", "extension", "federated", "statusLivechat",
    "freeSwitchExtension", "statusSource", "statusExpiresAt",
)
INFO_FULL = (
    "emails", "phone", "statusConnection", "createdAt", "lastLogin", "requirePasswordChange",
    "requirePasswordChangeReason", "roles", "customFields",
)
# §2.3 "default user fields" of login/me.
ME_FIELDS = (
    "name", "username", "nickname", "emails", "status", "statusDefault", "statusText",
    "statusConnection", "bio", "avatarOrigin", "utcOffset", "language", "settings",
    "enableAutoAway", "idleTimeLimit", "roles", "active", "defaultRoom", "customFields",
    "requirePasswordChange", "requirePasswordChangeReason", "statusLivechat", "banners",
    "oauth", "_updatedAt", "avatarETag", "extension", "type", "createdAt", "lastLogin",
)
PRESENCE_FIELDS = ("username", "name", "status", "utcOffset", "statusText", "avatarETag")
AUTOCOMPLETE_FIELDS = ("name", "username", "nickname", "status", "avatarETag")


def privileged(store: Store, caller: User | None) -> bool:
    return store.has_permission(caller, "view-full-other-user-info")


def public_custom_fields(store: Store) -> set[str]:
    raw = store.settings.get("Accounts_CustomFieldsToShowInUserInfo") or ""
    if isinstance(raw, str):
        return {part.strip() for part in raw.split(",") if part.strip()}
    return {str(x) for x in raw} if isinstance(raw, (list, tuple)) else set()


def hidden_for(store: Store, caller: User | None) -> frozenset[str]:
    if privileged(store, caller):
        return ALWAYS_HIDDEN | PRIVILEGED_HIDDEN
    return ALWAYS_HIDDEN | UNPRIVILEGED_HIDDEN | {"customFields"}


def public_customs(store: Store, user: User) -> dict[str, Any] | None:
    customs = user.get("customFields")
    if not isinstance(customs, dict):
        return None
    allowed = public_custom_fields(store)
    picked = {k: v for k, v in customs.items() if k in allowed}
    return picked or None


def sanitized_services(user: User) -> dict[str, Any]:
    """§2.3: never the hashes, only what the client needs to know."""
    services = user.get("services") or {}
    out: dict[str, Any] = {"password": {"exists": bool(Store.password_digest(user))}}
    if (services.get("email2fa") or {}).get("enabled"):
        out["email2fa"] = {"enabled": True}
    if (services.get("totp") or {}).get("enabled"):
        out["totp"] = {"enabled": True}
    for name in ("github", "gitlab"):
        if name in services:
            out[name] = services[name]
    return out


def document_view(user: User) -> User:
    return {k: v for k, v in user.items() if k not in DOCUMENT_HIDDEN}


def info_view(store: Store, user: User, caller: User) -> User:
    is_self = user["_id"] == caller["_id"]
    full = is_self or privileged(store, caller)
    out: User = {"_id": user["_id"]}
    for key in INFO_PUBLIC:
        if key in user:
            out[key] = user[key]
    if full:
        for key in INFO_FULL:
            if key in user:
                out[key] = user[key]
    else:
        customs = public_customs(store, user)
        if customs:
            out["customFields"] = customs
    if is_self:
        out["services"] = sanitized_services(user)
    out["canViewAllInfo"] = full
    return out


def first_verified_email(user: User) -> str | None:
    for mail in user.get("emails") or ():
        if mail.get("verified"):
            return str(mail["address"])
    return None


def avatar_url(store: Store, user: User) -> str:
    return f"{store.settings['Site_Url']}/avatar/{user.get('username', '')}"


def me_view(store: Store, user: User) -> User:
    """``getUserInfo`` (§2.3/§2.5)."""
    out: User = {"_id": user["_id"]}
    for key in ME_FIELDS:
        if key in user:
            out[key] = user[key]
    email = first_verified_email(user)
    if email is not None:
        out["email"] = email
    out["avatarUrl"] = avatar_url(store, user)
    settings = user.get("settings") or {}
    prefs = dict(DEFAULT_PREFERENCES)
    prefs.update(settings.get("preferences") or {})
    out["settings"] = {**settings, "profile": settings.get("profile") or {}, "preferences": prefs}
    out["isOAuthUser"] = False
    out["services"] = sanitized_services(user)
    return out


def register_view(store: Store, user: User) -> User:
    """users.register answers with the anonymous-caller exclusion projection (§8.2)."""
    hidden = ALWAYS_HIDDEN | UNPRIVILEGED_HIDDEN | {"customFields", "inactiveReason"}
    out = {k: v for k, v in user.items() if k not in hidden}
    customs = public_customs(store, user)
    if customs:
        out["customFields"] = customs
    return out


def presence_item(user: User) -> User:
    """§7.1: exactly these keys, optional ones omitted when unset."""
    out: User = {"_id": user["_id"]}
    for key in PRESENCE_FIELDS:
        value = user.get(key)
        if value is not None:
            out[key] = value
    return out
