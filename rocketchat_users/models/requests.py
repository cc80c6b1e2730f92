"""Request bodies: fields default to ``UNSET`` and only the fields given are sent."""

from __future__ import annotations

from msgspec import UNSET, UnsetType

from ._base import JSONValue, MaskedModel


class UserCreate(MaskedModel):
    """users.create body; email, name, password and username are required by the server.

    The keys of 8.8.1's schema (rest-typings ``UserCreateParamsPOST``), which refuses others:
    ``phones`` (in the official spec) is not one of them.
    """

    __secret_fields__ = frozenset({"password"})

    email: str | UnsetType = UNSET
    name: str | UnsetType = UNSET
    password: str | UnsetType = UNSET
    username: str | UnsetType = UNSET
    active: bool | UnsetType = UNSET
    bio: str | UnsetType = UNSET
    nickname: str | UnsetType = UNSET
    status_text: str | UnsetType = UNSET
    roles: list[str] | UnsetType = UNSET
    join_default_channels: bool | UnsetType = UNSET
    require_password_change: bool | UnsetType = UNSET
    set_random_password: bool | UnsetType = UNSET
    send_welcome_email: bool | UnsetType = UNSET
    verified: bool | UnsetType = UNSET
    custom_fields: dict[str, JSONValue] | UnsetType = UNSET
    free_switch_extension: str | UnsetType = UNSET


class UserUpdate(MaskedModel):
    """users.update ``data``; ``password`` is plain text and needs edit-other-user-password."""

    __secret_fields__ = frozenset({"password"})

    email: str | UnsetType = UNSET
    name: str | UnsetType = UNSET
    password: str | UnsetType = UNSET
    username: str | UnsetType = UNSET
    bio: str | UnsetType = UNSET
    nickname: str | UnsetType = UNSET
    status_text: str | UnsetType = UNSET
    status: str | UnsetType = UNSET
    active: bool | UnsetType = UNSET
    roles: list[str] | UnsetType = UNSET
    require_password_change: bool | UnsetType = UNSET
    set_random_password: bool | UnsetType = UNSET
    send_welcome_email: bool | UnsetType = UNSET
    verified: bool | UnsetType = UNSET
    custom_fields: dict[str, JSONValue] | UnsetType = UNSET
    free_switch_extension: str | UnsetType = UNSET


class BasicInfoUpdate(MaskedModel):
    """users.updateOwnBasicInfo ``data``.

    Passwords are plain here; the SDK sends ``current_password`` as its SHA-256 hex digest.
    """

    __secret_fields__ = frozenset({"current_password", "new_password"})

    email: str | UnsetType = UNSET
    name: str | UnsetType = UNSET
    username: str | UnsetType = UNSET
    nickname: str | UnsetType = UNSET
    bio: str | UnsetType = UNSET
    status_text: str | UnsetType = UNSET
    status_type: str | UnsetType = UNSET
    current_password: str | UnsetType = UNSET
    new_password: str | UnsetType = UNSET
