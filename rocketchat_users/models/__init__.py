"""msgspec Structs for the users API: answers decoded from the server and request bodies."""

from .data import DataDownload, ExportOperation, ExportRoom
from .preferences import DontAskAgain, FeaturePreview, Preferences
from .presence import PresenceBatch
from .requests import BasicInfoUpdate, UserCreate, UserUpdate
from .tokens import ClientsLogout, Credentials, PersonalAccessToken
from .users import (
    Avatar,
    AvatarSuggestion,
    Email,
    Phone,
    Team,
    TeamCreator,
    User,
    UserPresence,
    UserRoom,
    UserSettings,
    UsersPage,
    UserStatus,
)

__all__ = [
    "Avatar",
    "AvatarSuggestion",
    "BasicInfoUpdate",
    "ClientsLogout",
    "Credentials",
    "DataDownload",
    "DontAskAgain",
    "Email",
    "ExportOperation",
    "ExportRoom",
    "FeaturePreview",
    "PersonalAccessToken",
    "Phone",
    "Preferences",
    "PresenceBatch",
    "Team",
    "TeamCreator",
    "User",
    "UserCreate",
    "UserPresence",
    "UserRoom",
    "UserSettings",
    "UserStatus",
    "UserUpdate",
    "UsersPage",
]
