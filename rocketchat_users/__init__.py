"""Asyncio-native SDK for Rocket.Chat's users REST API.

    import rocketchat_users as rcu

    async with rcu.Session("https://chat.example.org", user_id="…", auth_token="…") as rc:
        alice = await rc.users.info(username="alice")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._pacing import RateLimit

# Eager although small scripts rarely use it: the module and the function share the name
# `bulk`, and importing the module later (sync does) would rebind rcu.bulk to the module.
from .bulk import BulkReport, bulk
from .errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    ResponseDecodeError,
    RocketChatError,
    ServerError,
    TransportError,
    TwoFactorRequiredError,
    UserNotFoundError,
    WalkError,
)
from .models import (
    Avatar,
    AvatarSuggestion,
    BasicInfoUpdate,
    ClientsLogout,
    Credentials,
    DataDownload,
    DontAskAgain,
    Email,
    ExportOperation,
    ExportRoom,
    FeaturePreview,
    PersonalAccessToken,
    Phone,
    Preferences,
    PresenceBatch,
    Team,
    TeamCreator,
    User,
    UserCreate,
    UserPresence,
    UserRoom,
    UserSettings,
    UsersPage,
    UserStatus,
    UserUpdate,
)
from .paging import WalkStats

if TYPE_CHECKING:  # type checkers see the names as plain imports
    from . import sync
    from ._session import RetryPolicy, Session, TwoFactorCallback

__version__ = "0.1.0"

# Imported on first use (PEP 562): the Session, with aiohttp's client and the endpoint table,
# and sync, which most scripts never touch. Measured: `import rocketchat_users` then
# `rocketchat_users.Session` went from ~15 ms to ~5 ms over aiohttp + msgspec + anyio, and
# `import rocketchat_users` alone (models and errors, no aiohttp) from ~190 ms to ~54 ms.
_LAZY = {
    "RetryPolicy": "._session",
    "Session": "._session",
    "TwoFactorCallback": "._session",
    "sync": ".sync",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    loaded = importlib.import_module(module, __name__)
    value = loaded if name == "sync" else getattr(loaded, name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

__all__ = [
    "APIError",
    "AuthenticationError",
    "Avatar",
    "AvatarSuggestion",
    "BadRequestError",
    "BasicInfoUpdate",
    "BulkReport",
    "ClientsLogout",
    "Credentials",
    "DataDownload",
    "DontAskAgain",
    "Email",
    "ExportOperation",
    "ExportRoom",
    "FeaturePreview",
    "NotFoundError",
    "PermissionDeniedError",
    "PersonalAccessToken",
    "Phone",
    "Preferences",
    "PresenceBatch",
    "RateLimit",
    "RateLimitError",
    "RequestTimeoutError",
    "ResponseDecodeError",
    "RetryPolicy",
    "RocketChatError",
    "ServerError",
    "Session",
    "Team",
    "TeamCreator",
    "TransportError",
    "TwoFactorCallback",
    "TwoFactorRequiredError",
    "User",
    "UserCreate",
    "UserNotFoundError",
    "UserPresence",
    "UserRoom",
    "UserSettings",
    "UserStatus",
    "UserUpdate",
    "UsersPage",
    "WalkError",
    "WalkStats",
    "__version__",
    "bulk",
    "sync",
]
