"""``rc.moderation``: the moderation.* REST methods about users."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _endpoints as ep

if TYPE_CHECKING:
    from .._session import Session


class ModerationAPI:
    """The moderation.* REST methods. Reached as ``rc.moderation``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def report_user(
        self, *, user_id: str, description: str, timeout: float | None = None
    ) -> None:
        """POST moderation.reportUser: report a user to the moderators.

        Raises:
            TypeError: ``description`` is not a str.
            ValueError: ``description`` is empty or blank.
            UserNotFoundError: no such user.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        if not isinstance(description, str):
            raise TypeError(f"description must be a str, got {type(description).__name__}")
        if not description.strip():
            raise ValueError("description must not be empty")  # 8.x requires minLength 1
        body = {"userId": user_id, "description": description}
        await self._session.call(ep.MODERATION_REPORT_USER, body=body, timeout=timeout)
