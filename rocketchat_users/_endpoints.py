"""THE table: one row per REST method, with the facts the rest of the SDK needs about it.

A row says how to reach the method (HTTP method, path, whether auth headers go along), where
its payload sits in the answer (the envelope key) and what type it decodes to. Each row builds
its decoder once, on its first answer, so that answering a call is one ``decode`` of the body
bytes and importing the table builds none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Generic, Literal, TypeVar

import msgspec

from .models import (
    Avatar,
    AvatarSuggestion,
    ClientsLogout,
    Credentials,
    DataDownload,
    PersonalAccessToken,
    Preferences,
    PresenceBatch,
    Team,
    User,
    UserPresence,
    UsersPage,
    UserStatus,
)

T = TypeVar("T")

# How an answer is read: JSON (a row without `result` returns None once the success flag is
# checked), the raw bytes of an image, or the Location of a redirect.
Kind = Literal["json", "binary", "redirect"]
Post = Callable[[Any, Mapping[str, str]], Any]


@dataclass(frozen=True, eq=False)
class Endpoint(Generic[T]):
    """One REST method. ``T`` is what the public coroutine returns."""

    name: str  # the REST name, e.g. "users.info"
    method: Literal["GET", "POST"]
    key: str | None = None  # envelope key of the payload; None: the payload is the whole body
    result: Any = None  # msgspec type expression of the payload
    kind: Kind = "json"
    auth: bool = True  # send X-User-Id / X-Auth-Token (register refuses logged-in callers)
    two_factor: bool = False  # takes two_factor_code= / two_factor_method=
    paged: bool = False
    optional: bool = False  # the envelope key may be missing (the payload is then None)
    root: bool = False  # mounted at the site root, not under /api/v1 (the avatar route)
    not_found_text: str | None = None  # free text this method uses for "no such user"
    post: Post | None = None  # turns the decoded payload (and headers) into T
    _decoder: msgspec.json.Decoder[Any] | None = field(init=False, default=None, repr=False)

    @property
    def decoder(self) -> msgspec.json.Decoder[Any] | None:
        """The decoder of this row's answers, built on first use (not at import: ~50 rows)."""
        if self._decoder is None and self.kind == "json" and self.result is not None:
            if self.key is None:
                decoded: Any = self.result
            else:
                # The envelope is peeled by the decoder: a one-field Struct around the payload.
                default = None if self.optional else msgspec.NODEFAULT
                decoded = msgspec.defstruct(
                    f"{self.label.replace(' ', '_').replace('.', '_')}_envelope",
                    [(self.key, self.result | None if self.optional else self.result, default)],
                )
            object.__setattr__(self, "_decoder", msgspec.json.Decoder(decoded))
        return self._decoder

    label: str = field(init=False, repr=False)
    """``GET users.info``: how errors and logs name the call."""
    path: str = field(init=False, repr=False)
    """Relative to the site root; ``{subject}`` in it for the avatar route."""
    idempotent: bool = field(init=False, repr=False)
    """Safe to send twice: only GETs (server-behavior §1: users.* are GET or POST)."""

    def __post_init__(self) -> None:
        # Read on every call: computed once here rather than by properties each time.
        object.__setattr__(self, "label", f"{self.method} {self.name}")
        object.__setattr__(self, "path", "avatar/{subject}" if self.root else f"api/v1/{self.name}")
        object.__setattr__(self, "idempotent", self.method == "GET")


# ---- answers whose payload needs a last touch ------------------------------------------------


class _Presence(msgspec.Struct):
    users: list[User] = msgspec.field(default_factory=list)
    full: bool = False


def _presence(value: _Presence, headers: Mapping[str, str]) -> PresenceBatch:
    # fetched_at is the server's clock (Date header), the base of the next `from` poll.
    try:
        fetched_at = parsedate_to_datetime(headers["Date"])
    except (KeyError, TypeError, ValueError):  # no Date (a proxy stripped it) or a broken one
        fetched_at = datetime.now(timezone.utc)
    if fetched_at.tzinfo is None:  # "-0000" parses naive; HTTP dates are GMT (RFC 9110)
        fetched_at = fetched_at.replace(tzinfo=timezone.utc)
    return PresenceBatch(users=value.users, full=value.full, fetched_at=fetched_at)


class _PreferencesUserSettings(msgspec.Struct):
    preferences: Preferences | None = None


class _PreferencesUser(msgspec.Struct):
    settings: _PreferencesUserSettings | None = None


class _SetPreferences(msgspec.Struct):
    # The server answers {"user": {"_id", "settings": {"preferences"}}}; the spec shows a
    # top-level "preferences" (server-behavior §13). Read either.
    user: _PreferencesUser | None = None
    preferences: Preferences | None = None


def _set_preferences(value: _SetPreferences, headers: Mapping[str, str]) -> Preferences:
    if value.user is not None and value.user.settings is not None:
        if value.user.settings.preferences is not None:
            return value.user.settings.preferences
    return value.preferences if value.preferences is not None else Preferences()


class _RoomRef(msgspec.Struct):
    id: str = msgspec.field(name="_id")


def _deleted_rooms(value: list[str | _RoomRef] | None, headers: Mapping[str, str]) -> list[str]:
    # 8.x sends room ids, the spec shows room objects, older servers send nothing (§13).
    return [room if isinstance(room, str) else room.id for room in value or ()]


class LoginData(msgspec.Struct):
    userId: str
    authToken: str
    me: User | None = None

    def __repr__(self) -> str:
        return f"LoginData(userId={self.userId!r}, authToken='***')"


# ---- the table -------------------------------------------------------------------------------
# Names follow the REST method: USERS_GET_STATUS is users.getStatus.

AVATAR: Endpoint[Avatar] = Endpoint("avatar", "GET", kind="binary", auth=False, root=True)
USERS_AUTOCOMPLETE: Endpoint[list[User]] = Endpoint(
    "users.autocomplete", "GET", "items", list[User]
)
USERS_CHECK_USERNAME_AVAILABILITY: Endpoint[bool] = Endpoint(
    "users.checkUsernameAvailability", "GET", "result", bool
)
# The server answers 307 to /avatar/<username>; the spec shows the image itself (§13).
USERS_GET_AVATAR: Endpoint[str | Avatar] = Endpoint("users.getAvatar", "GET", kind="redirect")
USERS_GET_PERSONAL_ACCESS_TOKENS: Endpoint[list[PersonalAccessToken]] = Endpoint(
    "users.getPersonalAccessTokens", "GET", "tokens", list[PersonalAccessToken]
)
USERS_GET_PREFERENCES: Endpoint[Preferences] = Endpoint(
    "users.getPreferences", "GET", "preferences", Preferences
)
USERS_GET_PRESENCE: Endpoint[UserPresence] = Endpoint(
    "users.getPresence", "GET", None, UserPresence
)
USERS_GET_STATUS: Endpoint[UserStatus] = Endpoint("users.getStatus", "GET", None, UserStatus)
USERS_GET_USERNAME_SUGGESTION: Endpoint[str] = Endpoint(
    "users.getUsernameSuggestion", "GET", "result", str
)
USERS_INFO: Endpoint[User] = Endpoint(
    "users.info", "GET", "user", User, not_found_text="User not found."
)
USERS_LIST: Endpoint[UsersPage] = Endpoint("users.list", "GET", None, UsersPage, paged=True)
USERS_LIST_BY_STATUS: Endpoint[UsersPage] = Endpoint(
    "users.listByStatus", "GET", None, UsersPage, paged=True
)
USERS_LIST_TEAMS: Endpoint[list[Team]] = Endpoint(
    "users.listTeams", "GET", "teams", list[Team]
)
USERS_PRESENCE: Endpoint[PresenceBatch] = Endpoint(
    "users.presence", "GET", None, _Presence, post=_presence
)
USERS_REQUEST_DATA_DOWNLOAD: Endpoint[DataDownload] = Endpoint(
    "users.requestDataDownload", "GET", None, DataDownload
)
USERS_SEND_WELCOME_EMAIL: Endpoint[None] = Endpoint("users.sendWelcomeEmail", "POST")
MODERATION_REPORT_USER: Endpoint[None] = Endpoint(
    "moderation.reportUser", "POST", not_found_text="Invalid user id provided."
)
USERS_2FA_DISABLE_EMAIL: Endpoint[None] = Endpoint(
    "users.2fa.disableEmail", "POST", two_factor=True
)
USERS_2FA_ENABLE_EMAIL: Endpoint[None] = Endpoint("users.2fa.enableEmail", "POST")
USERS_2FA_SEND_EMAIL_CODE: Endpoint[None] = Endpoint(
    "users.2fa.sendEmailCode", "POST", auth=False
)
USERS_CREATE: Endpoint[User] = Endpoint("users.create", "POST", "user", User)
USERS_CREATE_TOKEN: Endpoint[Credentials] = Endpoint(
    "users.createToken", "POST", "data", Credentials
)
USERS_DEACTIVATE_IDLE: Endpoint[int] = Endpoint("users.deactivateIdle", "POST", "count", int)
USERS_DELETE: Endpoint[list[str]] = Endpoint(
    "users.delete",
    "POST",
    "deletedRooms",
    list[str | _RoomRef],
    optional=True,
    post=_deleted_rooms,
)
USERS_DELETE_OWN_ACCOUNT: Endpoint[None] = Endpoint("users.deleteOwnAccount", "POST")
USERS_FORGOT_PASSWORD: Endpoint[None] = Endpoint("users.forgotPassword", "POST", auth=False)
USERS_GENERATE_PERSONAL_ACCESS_TOKEN: Endpoint[str] = Endpoint(
    "users.generatePersonalAccessToken", "POST", "token", str, two_factor=True
)
USERS_LOGOUT: Endpoint[None] = Endpoint("users.logout", "POST")
USERS_LOGOUT_OTHER_CLIENTS: Endpoint[ClientsLogout] = Endpoint(
    "users.logoutOtherClients", "POST", None, ClientsLogout
)
USERS_REGENERATE_PERSONAL_ACCESS_TOKEN: Endpoint[str] = Endpoint(
    "users.regeneratePersonalAccessToken", "POST", "token", str, two_factor=True
)
USERS_REGISTER: Endpoint[User] = Endpoint("users.register", "POST", "user", User, auth=False)
USERS_REMOVE_OTHER_TOKENS: Endpoint[None] = Endpoint("users.removeOtherTokens", "POST")
USERS_REMOVE_PERSONAL_ACCESS_TOKEN: Endpoint[None] = Endpoint(
    "users.removePersonalAccessToken", "POST", two_factor=True
)
USERS_RESET_AVATAR: Endpoint[None] = Endpoint(
    "users.resetAvatar", "POST", not_found_text="User not found"
)
USERS_RESET_E2E_KEY: Endpoint[None] = Endpoint("users.resetE2EKey", "POST", two_factor=True)
USERS_RESET_TOTP: Endpoint[None] = Endpoint("users.resetTOTP", "POST", two_factor=True)
USERS_SET_ACTIVE_STATUS: Endpoint[User] = Endpoint(
    "users.setActiveStatus", "POST", "user", User, not_found_text="User not found"
)
USERS_SET_AVATAR: Endpoint[None] = Endpoint("users.setAvatar", "POST")
USERS_SET_PREFERENCES: Endpoint[Preferences] = Endpoint(
    "users.setPreferences", "POST", None, _SetPreferences, post=_set_preferences
)
USERS_SET_STATUS: Endpoint[None] = Endpoint("users.setStatus", "POST")
USERS_UPDATE: Endpoint[User] = Endpoint("users.update", "POST", "user", User, two_factor=True)
USERS_UPDATE_OWN_BASIC_INFO: Endpoint[User] = Endpoint(
    "users.updateOwnBasicInfo", "POST", "user", User, two_factor=True
)
# † beyond the seed
LOGIN: Endpoint[LoginData] = Endpoint("login", "POST", "data", LoginData, auth=False)
LOGOUT: Endpoint[None] = Endpoint("logout", "POST")
ME: Endpoint[User] = Endpoint("me", "GET", None, User)
USERS_GET_AVATAR_SUGGESTION: Endpoint[dict[str, AvatarSuggestion]] = Endpoint(
    "users.getAvatarSuggestion", "GET", "suggestions", dict[str, AvatarSuggestion]
)
USERS_SEND_CONFIRMATION_EMAIL: Endpoint[None] = Endpoint("users.sendConfirmationEmail", "POST")
USERS_VERIFY_EMAIL: Endpoint[None] = Endpoint("users.verifyEmail", "POST")
SEND_INVITATION_EMAIL: Endpoint[None] = Endpoint("sendInvitationEmail", "POST")

ENDPOINTS: tuple[Endpoint[Any], ...] = tuple(
    row for row in list(globals().values()) if isinstance(row, Endpoint)
)
"""Every row, for tests and tools that walk the table."""
