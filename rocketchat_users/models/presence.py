"""Presence polling results."""

from __future__ import annotations

from datetime import datetime

from ._base import Model
from .users import User


class PresenceBatch(Model):
    """One users.presence poll, built by the SDK.

    ``full`` means ``users`` is everyone online, to replace the caller's whole presence map;
    otherwise it holds the changes since the previous poll, offline users included (§7.1).
    """

    users: list[User]
    full: bool
    fetched_at: datetime
