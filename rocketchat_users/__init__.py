"""Asyncio-native SDK for Rocket.Chat's users REST API.

    import rocketchat_users as rcu

    async with rcu.Session("https://chat.example.org", user_id="…", auth_token="…") as rc:
        alice = await rc.users.info(username="alice")
"""

from . import sync  # rcu.sync.plan / rcu.sync.apply
from ._session import RetryPolicy, Session, TwoFactorCallback
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

__version__ = "0.1.0"

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
