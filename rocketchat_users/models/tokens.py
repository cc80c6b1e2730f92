"""Login tokens and personal access tokens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, TypeAlias

import msgspec

from ._base import MaskedModel, Model

if TYPE_CHECKING:
    _Expiry: TypeAlias = datetime | None
else:
    # users.logoutOtherClients sends "" when the current token has no expiry (a personal
    # access token, §8.8); msgspec cannot decode `datetime | ""`, so the wire type is str
    # and __post_init__ turns it into a datetime or None.
    _Expiry = str | None


class PersonalAccessToken(Model):
    """An entry of users.getPersonalAccessTokens (the token itself is never listed)."""

    name: str
    created_at: datetime | None = None
    last_token_part: str | None = None
    bypass_two_factor: bool | None = None


class Credentials(MaskedModel):
    """A user id and a login token (users.createToken); the token is masked in repr."""

    __secret_fields__ = frozenset({"auth_token"})

    user_id: str
    auth_token: str


class ClientsLogout(MaskedModel):
    """users.logoutOtherClients: the token still valid and when it expires (masked in repr)."""

    __secret_fields__ = frozenset({"token"})

    token: str
    token_expires: _Expiry = None

    def __post_init__(self) -> None:
        if isinstance(self.token_expires, str):
            self.token_expires = (
                msgspec.convert(self.token_expires, datetime) if self.token_expires else None
            )
