"""The user document and the small answers about users."""

from __future__ import annotations

from datetime import datetime

import msgspec

from ._base import JSONValue, Model
from .preferences import Preferences


class Email(Model):
    """One address of ``User.emails``."""

    address: str | None = None
    verified: bool | None = None


class Phone(Model):
    """One entry of ``User.phones`` (8.x)."""

    number: str | None = None
    label: str | None = None
    primary: bool | None = None
    verified: bool | None = None


class UserRoom(Model):
    """A subscription listed by users.info with ``include_user_rooms=True``."""

    id: str = msgspec.field(name="_id")
    rid: str | None = None
    name: str | None = None
    type: str | None = msgspec.field(default=None, name="t")
    roles: list[str] | None = None
    unread: int | None = None
    federated: bool | None = None


class UserSettings(Model):
    """``User.settings``: the profile and the merged preferences."""

    preferences: Preferences | None = None
    profile: dict[str, JSONValue] | None = None


class User(Model):
    """A user document; which fields arrive depends on the endpoint and the caller (§10).

    ``services`` is deliberately not declared: it can hold password hashes and tokens.
    """

    # Declared in the order the server writes a user document (spec examples, §10): msgspec
    # tries the field after the last one matched first, so matching order decodes faster.
    id: str = msgspec.field(name="_id")
    created_at: datetime | None = None
    username: str | None = None
    emails: list[Email] | None = None
    type: str | None = None
    status: str | None = None
    active: bool | None = None
    updated_at: datetime | None = msgspec.field(default=None, name="_updatedAt")
    roles: list[str] | None = None
    name: str | None = None
    require_password_change: bool | None = None
    require_password_change_reason: str | None = None
    last_login: datetime | None = None
    status_connection: str | None = None
    # Hours; real servers send fractions (5.5) although the spec says integer.
    utc_offset: float | None = None
    status_text: str | None = None
    avatar_etag: str | None = msgspec.field(default=None, name="avatarETag")
    nickname: str | None = None
    status_default: str | None = None
    status_source: str | None = None
    status_expires_at: datetime | None = None
    language: str | None = None
    # First verified address; only in me / login's data.me (§2.3).
    email: str | None = None
    phones: list[Phone] | None = None
    bio: str | None = None
    avatar_origin: str | None = None
    avatar_url: str | None = None
    custom_fields: dict[str, JSONValue] | None = None
    settings: UserSettings | None = None
    reason: str | None = None
    inactive_reason: str | None = None
    default_room: str | None = None
    federated: bool | None = None
    free_switch_extension: str | None = None
    is_oauth_user: bool | None = msgspec.field(default=None, name="isOAuthUser")
    can_view_all_info: bool | None = None
    rooms: list[UserRoom] | None = None

class UsersPage(Model):
    """One page of users.list / users.listByStatus."""

    users: list[User]
    count: int
    offset: int
    total: int


class UserStatus(Model):
    """users.getStatus; ``connection_status`` only for the caller, source/expiry 8.6+."""

    id: str = msgspec.field(name="_id")
    status: str | None = None
    connection_status: str | None = None
    status_source: str | None = None
    status_expires_at: datetime | None = None


class UserPresence(Model):
    """users.getPresence; ``connection_status`` and ``last_login`` only for the caller."""

    presence: str | None = None
    connection_status: str | None = None
    last_login: datetime | None = None


class TeamCreator(Model):
    """``Team.created_by``."""

    id: str = msgspec.field(name="_id")
    username: str | None = None


class Team(Model):
    """A team the user belongs to (users.listTeams)."""

    id: str = msgspec.field(name="_id")
    name: str | None = None
    # 0 public, 1 private (§8.9).
    type: int | None = None
    created_at: datetime | None = None
    created_by: TeamCreator | None = None
    updated_at: datetime | None = msgspec.field(default=None, name="_updatedAt")
    room_id: str | None = None
    is_owner: bool | None = None


class AvatarSuggestion(Model):
    """One value of users.getAvatarSuggestion's ``suggestions`` map; ``blob`` is a data: URL."""

    service: str | None = None
    url: str | None = None
    blob: str | None = None
    content_type: str | None = None


class Avatar(Model):
    """An avatar image as fetched; its repr shows the size, not the bytes."""

    content: bytes
    content_type: str

    def __rich_repr__(self) -> list[tuple[str, object]]:
        return [("content", _ByteCount(len(self.content))), ("content_type", self.content_type)]

    def __repr__(self) -> str:
        return f"Avatar(content=<{len(self.content)} bytes>, content_type={self.content_type!r})"


class _ByteCount(int):
    def __repr__(self) -> str:
        return f"<{int(self)} bytes>"
