"""``rc.users``: one coroutine per users.* REST method, each a signature over one table row."""

from __future__ import annotations

import builtins
import mimetypes
import os
from collections.abc import AsyncGenerator, Coroutine, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar

import anyio
import msgspec

from .. import _endpoints as ep
from .._protocol import FilePart, as_struct, avatar_subject, iso, one_of, sha256_hex
from ..models import (
    Avatar,
    AvatarSuggestion,
    BasicInfoUpdate,
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
    UserUpdate,
)
from ..paging import BY_ID, PageFetch, PageWalk, UserWalk
from ..presence import presence_in_chunks, watch_presence

if TYPE_CHECKING:
    from .._session import Session

# `list` is a method of this class: outside annotations, say builtins.list.
UserList = builtins.list[User]
JSONObject = Mapping[str, object]
Image = str | os.PathLike[str] | bytes | BinaryIO


class UsersAPI:
    """The users.* REST methods. Reached as ``rc.users``.

    Arguments are keyword-only, named after the API's parameters in snake_case; ``None`` means
    "not sent". Every method takes ``timeout=`` (seconds for the whole call, retries included;
    the Session's ``timeout`` when None). Besides what its own docstring names, any method may
    raise:

    - ``TransportError`` (``RequestTimeoutError`` when ``timeout`` ran out): no answer came;
      ``sent`` tells whether the request may have reached the server;
    - ``AuthenticationError``: not logged in, or the token was refused (after one re-login, for
      a Session that logged in with a password);
    - ``RateLimitError``: still rate limited once the retries were spent;
    - ``BadRequestError``: a request the server refused as invalid (``invalid-params``, …);
    - ``ServerError``: a 5xx; ``ResponseDecodeError``: an answer that does not decode.

    All of them are ``RocketChatError``; the docs' Reliability page says which are retried.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    # ---- reading users ------------------------------------------------------------------------

    async def info(
        self,
        *,
        user_id: str | None = None,
        username: str | None = None,
        import_id: str | None = None,
        email: str | None = None,
        include_user_rooms: bool | None = None,
        timeout: float | None = None,
    ) -> User:
        """GET users.info: one user, by exactly one of id, username, import id or e-mail.

        Returns:
            The user; with ``include_user_rooms=True`` its ``rooms`` too.

        Raises:
            ValueError: not exactly one of ``user_id`` / ``username`` / ``import_id`` / ``email``
                given.
            UserNotFoundError: no such user.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        one_of(user_id=user_id, username=username, import_id=import_id, email=email)
        query = {"userId": user_id, "username": username, "importId": import_id, "email": email,
                 "includeUserRooms": include_user_rooms}
        return await self._session.call(ep.USERS_INFO, query=query, timeout=timeout)

    async def list(
        self,
        *,
        query: JSONObject | None = None,
        fields: Mapping[str, int] | None = None,
        sort: Mapping[str, int] | None = None,
        offset: int | None = None,
        count: int | None = None,
        email: str | None = None,
        timeout: float | None = None,
    ) -> UsersPage:
        """GET users.list: one page of users (the server caps ``count``, 100 by default).

        Returns:
            The page: ``users``, ``count`` (how many came), ``offset`` and ``total``.

        Raises:
            TypeError: ``offset`` or ``count`` is not an int.
            ValueError: ``offset`` or ``count`` is negative.
            PermissionDeniedError: the caller may not list users (``view-d-room``).
            BadRequestError: a ``query``, ``fields`` or ``sort`` the server refuses.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        _check_page(offset, count)
        params = {"query": query, "fields": fields, "sort": sort, "offset": offset,
                  "count": count, "email": email}
        return await self._session.call(ep.USERS_LIST, query=params, timeout=timeout)

    async def list_by_status(
        self,
        *,
        status: str | None = None,
        has_logged_in: bool | None = None,
        type: str | None = None,
        roles: builtins.list[str] | None = None,
        search_term: str | None = None,
        inactive_reason: builtins.list[str] | None = None,
        sort: Mapping[str, int] | None = None,
        offset: int | None = None,
        count: int | None = None,
        timeout: float | None = None,
    ) -> UsersPage:
        """GET users.listByStatus: one page of users filtered by state, type and roles.

        Returns:
            The page: ``users``, ``count`` (how many came), ``offset`` and ``total``.

        Raises:
            TypeError: ``offset`` or ``count`` is not an int.
            ValueError: ``offset`` or ``count`` is negative.
            TypeError: ``roles`` or ``inactive_reason`` is a str, not a list.
            PermissionDeniedError: the caller may not list users (``view-d-room``).
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        _check_page(offset, count)
        # roles[]= is an array on every server; 8.8.1 (ajvQuery) would also take a lone roles=.
        params = {"status": status, "hasLoggedIn": has_logged_in, "type": type,
                  "roles[]": _strings("roles", roles), "searchTerm": search_term,
                  "inactiveReason[]": _strings("inactive_reason", inactive_reason),
                  "sort": sort, "offset": offset, "count": count}
        return await self._session.call(ep.USERS_LIST_BY_STATUS, query=params, timeout=timeout)

    def iter_list(
        self,
        *,
        query: JSONObject | None = None,
        fields: Mapping[str, int] | None = None,
        sort: Mapping[str, int] | None = None,
        page_size: int = 100,
        concurrency: int = 4,
    ) -> UserWalk:
        """GET users.list, page after page: an async iterator of every user, once, in order.

        Returns:
            A ``UserWalk``: ``async for`` it for every user; it has ``total``, ``stats`` and
            ``aclose()``.

        Raises:
            TypeError: ``page_size`` or ``concurrency`` is not an int (raised at once).
            ValueError: ``page_size`` or ``concurrency`` is below 1 (raised at once).
            WalkError: while iterating: the walk cannot stay exact (see README, Exact walks).
            RocketChatError: while iterating: what one page's request raised.
        """
        page = self._list_pages(query, fields, sort)
        return UserWalk(page, page_size=page_size, concurrency=concurrency, by_id=sort is None)

    def iter_pages(
        self,
        *,
        query: JSONObject | None = None,
        fields: Mapping[str, int] | None = None,
        sort: Mapping[str, int] | None = None,
        page_size: int = 100,
        concurrency: int = 4,
    ) -> PageWalk:
        """GET users.list, page after page: iter_list's walk, one ``UsersPage`` at a time.

        Returns:
            A ``PageWalk``: ``async for`` it for every ``UsersPage``; it has ``total``, ``stats``
            and ``aclose()``.

        Raises:
            TypeError: ``page_size`` or ``concurrency`` is not an int (raised at once).
            ValueError: ``page_size`` or ``concurrency`` is below 1 (raised at once).
            WalkError: while iterating: the walk cannot stay exact (see README, Exact walks).
            RocketChatError: while iterating: what one page's request raised.
        """
        page = self._list_pages(query, fields, sort)
        return PageWalk(page, page_size=page_size, concurrency=concurrency, by_id=sort is None)

    def _list_pages(self, query: JSONObject | None, fields: Mapping[str, int] | None,
                    sort: Mapping[str, int] | None) -> PageFetch:
        # The request's coroutine itself, not one more awaiting it (a frame less per resume).
        def page(offset: int, count: int) -> Coroutine[object, None, UsersPage]:
            return self.list(query=query, fields=fields, sort=sort or BY_ID,
                             offset=offset, count=count)

        return page

    def iter_list_by_status(
        self,
        *,
        status: str | None = None,
        has_logged_in: bool | None = None,
        type: str | None = None,
        roles: builtins.list[str] | None = None,
        search_term: str | None = None,
        inactive_reason: builtins.list[str] | None = None,
        sort: Mapping[str, int] | None = None,
        page_size: int = 100,
        concurrency: int = 4,
    ) -> UserWalk:
        """GET users.listByStatus, page after page: every matching user, once, in order.

        Returns:
            A ``UserWalk`` over users.listByStatus (see ``iter_list``).

        Raises:
            TypeError: ``page_size`` or ``concurrency`` is not an int (raised at once).
            ValueError: ``page_size`` or ``concurrency`` is below 1 (raised at once).
            WalkError: while iterating: the walk cannot stay exact (see README, Exact walks).
            RocketChatError: while iterating: what one page's request raised.
        """
        page = self._by_status_pages(status, has_logged_in, type, roles, search_term,
                                     inactive_reason, sort)
        return UserWalk(page, page_size=page_size, concurrency=concurrency, by_id=sort is None)

    def iter_pages_by_status(
        self,
        *,
        status: str | None = None,
        has_logged_in: bool | None = None,
        type: str | None = None,
        roles: builtins.list[str] | None = None,
        search_term: str | None = None,
        inactive_reason: builtins.list[str] | None = None,
        sort: Mapping[str, int] | None = None,
        page_size: int = 100,
        concurrency: int = 4,
    ) -> PageWalk:
        """GET users.listByStatus, page after page: iter_list_by_status's walk, by page.

        Returns:
            A ``PageWalk`` over users.listByStatus (see ``iter_pages``).

        Raises:
            TypeError: ``page_size`` or ``concurrency`` is not an int (raised at once).
            ValueError: ``page_size`` or ``concurrency`` is below 1 (raised at once).
            WalkError: while iterating: the walk cannot stay exact (see README, Exact walks).
            RocketChatError: while iterating: what one page's request raised.
        """
        page = self._by_status_pages(status, has_logged_in, type, roles, search_term,
                                     inactive_reason, sort)
        return PageWalk(page, page_size=page_size, concurrency=concurrency, by_id=sort is None)

    def _by_status_pages(
        self, status: str | None, has_logged_in: bool | None, type: str | None,
        roles: builtins.list[str] | None, search_term: str | None,
        inactive_reason: builtins.list[str] | None, sort: Mapping[str, int] | None,
    ) -> PageFetch:
        def page(offset: int, count: int) -> Coroutine[object, None, UsersPage]:
            return self.list_by_status(
                status=status, has_logged_in=has_logged_in, type=type, roles=roles,
                search_term=search_term, inactive_reason=inactive_reason, sort=sort or BY_ID,
                offset=offset, count=count,
            )

        return page

    async def autocomplete(
        self, *, selector: JSONObject, timeout: float | None = None
    ) -> UserList:
        """GET users.autocomplete: up to 10 active users matching ``selector["term"]``.

        Returns:
            The matching users, a few fields each.

        Raises:
            BadRequestError: a ``selector`` the server refuses (no ``term``, an unknown condition).
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        query = {"selector": selector}
        return await self._session.call(ep.USERS_AUTOCOMPLETE, query=query, timeout=timeout)

    async def check_username_availability(
        self, *, username: str, timeout: float | None = None
    ) -> bool:
        """GET users.checkUsernameAvailability: whether ``username`` is free.

        Returns:
            True when ``username`` is free.

        Raises:
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        query = {"username": username}
        return await self._session.call(
            ep.USERS_CHECK_USERNAME_AVAILABILITY, query=query, timeout=timeout
        )

    async def get_username_suggestion(self, *, timeout: float | None = None) -> str:
        """GET users.getUsernameSuggestion: a free username derived from the caller's name.

        Returns:
            A username nobody has yet.

        Raises:
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        return await self._session.call(ep.USERS_GET_USERNAME_SUGGESTION, timeout=timeout)

    async def list_teams(
        self, *, user_id: str, timeout: float | None = None
    ) -> builtins.list[Team]:
        """GET users.listTeams: the teams the user belongs to.

        Returns:
            The user's teams (empty for an id that matches nobody).

        Raises:
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        query = {"userId": user_id}
        return await self._session.call(ep.USERS_LIST_TEAMS, query=query, timeout=timeout)

    async def request_data_download(
        self, *, full_export: bool | None = None, timeout: float | None = None
    ) -> DataDownload:
        """GET users.requestDataDownload: the caller's data export operation.

        Returns:
            The export operation; ``requested`` is false when a recent one already exists.

        Raises:
            PermissionDeniedError: data download is off on the server.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        query = {"fullExport": full_export}
        return await self._session.call(
            ep.USERS_REQUEST_DATA_DOWNLOAD, query=query, timeout=timeout
        )

    # ---- status and presence ------------------------------------------------------------------

    async def get_status(
        self, *, user_id: str | None = None, username: str | None = None,
        timeout: float | None = None,
    ) -> UserStatus:
        """GET users.getStatus: a user's status (the caller's when no target is given).

        Returns:
            The status; ``connection_status`` only for the caller.

        Raises:
            UserNotFoundError: no such user.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        query = {"userId": user_id, "username": username}
        return await self._session.call(ep.USERS_GET_STATUS, query=query, timeout=timeout)

    async def get_presence(
        self, *, user_id: str | None = None, username: str | None = None,
        timeout: float | None = None,
    ) -> UserPresence:
        """GET users.getPresence: a user's presence (the caller's when no target is given).

        Returns:
            The presence; ``connection_status`` and ``last_login`` only for the caller.

        Raises:
            UserNotFoundError: no such user.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        query = {"userId": user_id, "username": username}
        return await self._session.call(ep.USERS_GET_PRESENCE, query=query, timeout=timeout)

    async def presence(
        self, *, from_: datetime | str | None = None, ids: builtins.list[str] | None = None,
        timeout: float | None = None,
    ) -> PresenceBatch:
        """GET users.presence: users whose presence changed since ``from_`` (all when absent).

        ``from_`` is an aware datetime or an ISO-8601 string with an offset. Any number of
        ``ids``: a long list is asked in requests of at most 500 (8.8.1's query parser refuses
        a 501st value per key) and merged into one batch; ``timeout`` covers them all.

        Returns:
            One batch: ``full`` when ``users`` is everyone online, else the changes since ``from_``;
            ``fetched_at`` is the server's time of the answer.

        Raises:
            ValueError: ``from_`` is naive or not ISO-8601, or ``ids`` is empty.
            TypeError: ``from_`` is neither a datetime nor a str, or ``ids`` is a str.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        since = _since(from_)
        wanted = _strings("ids", ids)
        if wanted is not None and not wanted:
            # Without ids the server answers about everyone: never what an empty list means.
            raise ValueError("ids must not be empty")

        async def ask(chunk: builtins.list[str] | None, left: float | None) -> PresenceBatch:
            query = {"from": since, "ids": chunk}
            return await self._session.call(ep.USERS_PRESENCE, query=query, timeout=left)

        return await presence_in_chunks(ask, wanted, self._session.timeout if timeout is None
                                        else timeout)

    def watch_presence(
        self, *, interval: float = 10.0, ids: builtins.list[str] | None = None
    ) -> AsyncGenerator[PresenceBatch, None]:
        """GET users.presence every ``interval`` s: the first batch is the full map (replace
        yours), later ones the changes since the previous poll.

        Returns:
            An async generator of ``PresenceBatch``: close it (``aclose()`` or
            ``contextlib.aclosing``) to stop polling.

        Raises:
            ValueError: ``interval`` is not in (0, 540] s, or ``ids`` is empty (raised at once).
            TypeError: ``ids`` is a str, not a list (raised at once).
            RocketChatError: while iterating: what a poll raised; the generator ends.
        """
        return watch_presence(self, interval=interval, ids=_strings("ids", ids))

    async def set_status(
        self,
        *,
        status: str | None = None,
        message: str | None = None,
        expires_at: datetime | None = None,
        user_id: str | None = None,
        username: str | None = None,
        timeout: float | None = None,
    ) -> None:
        """POST users.setStatus: set a status and/or status message.

        Raises:
            ValueError: neither ``status`` nor ``message`` given, or ``expires_at`` is naive.
            PermissionDeniedError: status changes are off, or the target is another user and the
                caller may not change it.
            BadRequestError: a status the server does not allow (e.g. invisible when disabled) or an
                ``expires_at`` in the past.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        if status is None and message is None:
            raise ValueError("set_status needs status, message, or both")
        body = {"status": status, "message": message, "expiresAt": _iso("expires_at", expires_at),
                "userId": user_id, "username": username}
        await self._session.call(ep.USERS_SET_STATUS, body=body, timeout=timeout)

    # ---- creating, changing, removing ---------------------------------------------------------

    async def create(
        self,
        *,
        email: str,
        name: str,
        password: str,
        username: str,
        active: bool | None = None,
        bio: str | None = None,
        nickname: str | None = None,
        status_text: str | None = None,
        roles: builtins.list[str] | None = None,
        join_default_channels: bool | None = None,
        require_password_change: bool | None = None,
        set_random_password: bool | None = None,
        send_welcome_email: bool | None = None,
        verified: bool | None = None,
        custom_fields: Mapping[str, object] | None = None,
        timeout: float | None = None,
    ) -> User:
        """POST users.create: a new user (needs the create-user permission).

        Returns:
            The new user.

        Raises:
            PermissionDeniedError: the caller may not create users (``create-user``).
            BadRequestError: the username or e-mail is taken (``error-field-unavailable``), or a
                field the server refuses (password policy, invalid username).
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        body = {"email": email, "name": name, "password": password, "username": username,
                "active": active, "bio": bio, "nickname": nickname, "statusText": status_text,
                "roles": roles, "joinDefaultChannels": join_default_channels,
                "requirePasswordChange": require_password_change,
                "setRandomPassword": set_random_password, "sendWelcomeEmail": send_welcome_email,
                "verified": verified, "customFields": custom_fields}
        return await self._session.call(ep.USERS_CREATE, body=body, timeout=timeout)

    async def register(
        self, *, username: str, email: str, password: str, name: str,
        secret_url: str | None = None, timeout: float | None = None,
    ) -> User:
        """POST users.register: self-registration (sent without auth headers).

        Returns:
            The new user.

        Raises:
            BadRequestError: registration is off, the secret URL is wrong, the username or e-mail is
                taken, or the password fails the policy.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        body = {"username": username, "email": email, "pass": password, "name": name,
                "secret": secret_url}
        return await self._session.call(ep.USERS_REGISTER, body=body, timeout=timeout)

    async def update(
        self,
        *,
        user_id: str,
        data: UserUpdate | JSONObject,
        confirm_relinquish: bool | None = None,
        two_factor_code: str | None = None,
        two_factor_method: str | None = None,
        timeout: float | None = None,
    ) -> User:
        """POST users.update: change another user's (or one's own) fields.

        Returns:
            The user as saved.

        Raises:
            ValueError: ``data`` has no field to send.
            TypeError: ``data`` has an unknown field or is neither a ``UserUpdate`` nor a mapping.
            UserNotFoundError: no such user.
            PermissionDeniedError: the caller may not edit that user or field.
            BadRequestError: a value the server refuses (username or e-mail taken, …).
            TwoFactorRequiredError: the server wants a second factor and none (or a wrong one) was
                given.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        struct = _non_empty(as_struct(UserUpdate, data, "data"), "data")
        body = {"userId": user_id, "data": struct, "confirmRelinquish": confirm_relinquish}
        return await self._session.call(
            ep.USERS_UPDATE, body=body, two_factor_code=two_factor_code,
            two_factor_method=two_factor_method, timeout=timeout,
        )

    async def update_own_basic_info(
        self,
        *,
        data: BasicInfoUpdate | JSONObject,
        custom_fields: Mapping[str, object] | None = None,
        two_factor_code: str | None = None,
        two_factor_method: str | None = None,
        timeout: float | None = None,
    ) -> User:
        """POST users.updateOwnBasicInfo: change the caller's own profile.

        Returns:
            The caller as saved.

        Raises:
            TypeError: ``data`` has an unknown field or is neither a ``BasicInfoUpdate`` nor a
                mapping.
            PermissionDeniedError: profile changes are off on the server.
            BadRequestError: a value the server refuses (a wrong ``current_password``, the same
                password again, …).
            TwoFactorRequiredError: the server wants a second factor and none (or a wrong one) was
                given.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        struct = as_struct(BasicInfoUpdate, data, "data")
        if isinstance(struct.current_password, str):
            # The server compares SHA-256(current password) (server-behavior §4.7).
            struct = msgspec.structs.replace(
                struct, current_password=sha256_hex(struct.current_password)
            )
        body = {"data": struct, "customFields": custom_fields}
        return await self._session.call(
            ep.USERS_UPDATE_OWN_BASIC_INFO, body=body, two_factor_code=two_factor_code,
            two_factor_method=two_factor_method, timeout=timeout,
        )

    async def set_active_status(
        self, *, user_id: str, active_status: bool, confirm_relinquish: bool | None = None,
        timeout: float | None = None,
    ) -> User:
        """POST users.setActiveStatus: activate or deactivate a user; returns id and state.

        Returns:
            The user's ``id`` and ``active`` state.

        Raises:
            UserNotFoundError: no such user.
            PermissionDeniedError: the caller may not change active states, or this would deactivate
                the last active admin.
            BadRequestError: the user is the sole owner of a room and ``confirm_relinquish`` is not
                set (``user-last-owner``).
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        body = {"userId": user_id, "activeStatus": active_status,
                "confirmRelinquish": confirm_relinquish}
        return await self._session.call(ep.USERS_SET_ACTIVE_STATUS, body=body, timeout=timeout)

    async def deactivate_idle(
        self, *, days_idle: int, role: str | None = None, timeout: float | None = None
    ) -> int:
        """POST users.deactivateIdle: deactivate users idle that long; returns how many.

        Returns:
            How many users were deactivated.

        Raises:
            TypeError: ``days_idle`` is not an int.
            ValueError: ``days_idle`` is negative.
            PermissionDeniedError: the caller may not change active states.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        _natural("days_idle", days_idle)
        body = {"daysIdle": days_idle, "role": role}
        return await self._session.call(ep.USERS_DEACTIVATE_IDLE, body=body, timeout=timeout)

    async def delete(
        self, *, user_id: str | None = None, username: str | None = None,
        confirm_relinquish: bool | None = None, timeout: float | None = None,
    ) -> builtins.list[str]:
        """POST users.delete: delete a user; returns the ids of rooms deleted with them.

        Returns:
            The ids of the rooms deleted with the user.

        Raises:
            ValueError: not exactly one of ``user_id`` / ``username`` given.
            UserNotFoundError: no such user.
            PermissionDeniedError: the caller may not delete users (``delete-user``), or the user is
                the last active admin.
            BadRequestError: the user is the sole owner of a room and ``confirm_relinquish`` is not
                set (``user-last-owner``).
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        one_of(user_id=user_id, username=username)
        body = {"userId": user_id, "username": username, "confirmRelinquish": confirm_relinquish}
        return await self._session.call(ep.USERS_DELETE, body=body, timeout=timeout)

    async def delete_own_account(
        self, *, password: str, confirm_relinquish: bool | None = None,
        timeout: float | None = None,
    ) -> None:
        """POST users.deleteOwnAccount: delete the caller's account (password checked).

        Raises:
            PermissionDeniedError: deleting one's own account is off on the server, or the caller is
                the last active admin.
            BadRequestError: a wrong password, or the caller is the sole owner of a room and
                ``confirm_relinquish`` is not set (``user-last-owner``).
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        body = {"password": sha256_hex(password), "confirmRelinquish": confirm_relinquish}
        await self._session.call(ep.USERS_DELETE_OWN_ACCOUNT, body=body, timeout=timeout)

    # ---- avatars ------------------------------------------------------------------------------

    async def get_avatar(
        self, *, user_id: str | None = None, username: str | None = None,
        timeout: float | None = None,
    ) -> Avatar:
        """GET users.getAvatar: the user's avatar image (via the /avatar route it points to).

        Returns:
            The image and its content type.

        Raises:
            ValueError: not exactly one of ``user_id`` / ``username`` given.
            UserNotFoundError: no such user.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        one_of(user_id=user_id, username=username)
        query = {"userId": user_id, "username": username}
        limit = self._session.timeout if timeout is None else timeout
        started = anyio.current_time()
        answer = await self._session.call(ep.USERS_GET_AVATAR, query=query, timeout=limit)
        if isinstance(answer, Avatar):
            return answer
        # Two requests, one budget: `timeout` is for the whole call.
        left = max(limit - (anyio.current_time() - started), 0.001)
        return await self._session.avatar(avatar_subject(answer), timeout=left)

    async def set_avatar(
        self,
        *,
        image: Image | None = None,
        avatar_url: str | None = None,
        user_id: str | None = None,
        username: str | None = None,
        timeout: float | None = None,
    ) -> None:
        """POST users.setAvatar: upload an image (path, bytes, file) or point at a URL.

        Raises:
            ValueError: not exactly one of ``image`` / ``avatar_url`` given, or the image is empty.
            TypeError: ``image`` is not a path, bytes or a binary file.
            OSError: ``image`` is a path that cannot be read.
            PermissionDeniedError: the caller may not set that user's avatar.
            BadRequestError: an image or URL the server refuses.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        one_of(image=image, avatar_url=avatar_url)
        target = {"userId": user_id, "username": username}
        if avatar_url is not None:
            body = {"avatarUrl": avatar_url, **target}
            await self._session.call(ep.USERS_SET_AVATAR, body=body, timeout=timeout)
            return
        assert image is not None
        await self._session.call(
            ep.USERS_SET_AVATAR, form=target, files=[_image_part(image)], timeout=timeout
        )

    async def reset_avatar(
        self, *, user_id: str | None = None, username: str | None = None,
        timeout: float | None = None,
    ) -> None:
        """POST users.resetAvatar: back to the default avatar.

        Raises:
            ValueError: not exactly one of ``user_id`` / ``username`` given.
            UserNotFoundError: no such user.
            PermissionDeniedError: the caller may not reset that user's avatar.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        one_of(user_id=user_id, username=username)
        body = {"userId": user_id, "username": username}
        await self._session.call(ep.USERS_RESET_AVATAR, body=body, timeout=timeout)

    async def get_avatar_suggestion(
        self, *, timeout: float | None = None
    ) -> dict[str, AvatarSuggestion]:
        """GET users.getAvatarSuggestion: avatars offered by services, keyed by service.

        Returns:
            Suggested avatars keyed by service name.

        Raises:
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        return await self._session.call(ep.USERS_GET_AVATAR_SUGGESTION, timeout=timeout)

    # ---- preferences --------------------------------------------------------------------------

    async def get_preferences(self, *, timeout: float | None = None) -> Preferences:
        """GET users.getPreferences: the preferences the caller has saved.

        Returns:
            The caller's saved preferences.

        Raises:
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        return await self._session.call(ep.USERS_GET_PREFERENCES, timeout=timeout)

    async def set_preferences(
        self, *, data: Preferences | JSONObject, user_id: str | None = None,
        timeout: float | None = None,
    ) -> Preferences:
        """POST users.setPreferences: save preferences; returns the stored ones.

        Returns:
            The preferences as stored.

        Raises:
            ValueError: ``data`` has no field to send, or ``status_visibility_denied`` is None.
            TypeError: ``data`` has an unknown field or is neither a ``Preferences`` nor a mapping.
            UserNotFoundError: ``user_id`` matches nobody.
            PermissionDeniedError: the caller may not edit another user's preferences.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        struct = _non_empty(as_struct(Preferences, data, "data"), "data")
        if struct.status_visibility_denied is None:
            # 8.8.1's schema types it as a plain array: null would be a 400 invalid-params.
            raise ValueError("status_visibility_denied must be a list of str, not None")
        body = {"userId": user_id, "data": struct}
        return await self._session.call(ep.USERS_SET_PREFERENCES, body=body, timeout=timeout)

    # ---- tokens and sessions ------------------------------------------------------------------

    async def create_token(
        self, *, user_id: str, secret: str, timeout: float | None = None
    ) -> Credentials:
        """POST users.createToken: a login token for a user (server secret required, 8.0+).

        Returns:
            The new login token and its user id (the token is masked in reprs).

        Raises:
            PermissionDeniedError: the server has no token secret set, the secret is wrong, or the
                caller may not create tokens for others.
            UserNotFoundError: no such user.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        body = {"userId": user_id, "secret": secret}
        return await self._session.call(ep.USERS_CREATE_TOKEN, body=body, timeout=timeout)

    async def generate_personal_access_token(
        self,
        *,
        token_name: str,
        bypass_two_factor: bool | None = None,
        two_factor_code: str | None = None,
        two_factor_method: str | None = None,
        timeout: float | None = None,
    ) -> str:
        """POST users.generatePersonalAccessToken: a new PAT, shown only this once.

        Returns:
            The new token (never shown again).

        Raises:
            PermissionDeniedError: the caller may not have personal access tokens
                (``create-personal-access-tokens``).
            BadRequestError: a token of that name exists.
            TwoFactorRequiredError: the server wants a second factor and none (or a wrong one) was
                given.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        body = {"tokenName": token_name, "bypassTwoFactor": bypass_two_factor}
        return await self._session.call(
            ep.USERS_GENERATE_PERSONAL_ACCESS_TOKEN, body=body, two_factor_code=two_factor_code,
            two_factor_method=two_factor_method, timeout=timeout,
        )

    async def regenerate_personal_access_token(
        self,
        *,
        token_name: str,
        two_factor_code: str | None = None,
        two_factor_method: str | None = None,
        timeout: float | None = None,
    ) -> str:
        """POST users.regeneratePersonalAccessToken: a new value for an existing PAT.

        Returns:
            The new token value.

        Raises:
            PermissionDeniedError: the caller may not have personal access tokens
                (``create-personal-access-tokens``).
            BadRequestError: no token of that name.
            TwoFactorRequiredError: the server wants a second factor and none (or a wrong one) was
                given.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        body = {"tokenName": token_name}
        return await self._session.call(
            ep.USERS_REGENERATE_PERSONAL_ACCESS_TOKEN, body=body,
            two_factor_code=two_factor_code, two_factor_method=two_factor_method, timeout=timeout,
        )

    async def remove_personal_access_token(
        self,
        *,
        token_name: str,
        two_factor_code: str | None = None,
        two_factor_method: str | None = None,
        timeout: float | None = None,
    ) -> None:
        """POST users.removePersonalAccessToken: revoke a PAT.

        Raises:
            PermissionDeniedError: the caller may not have personal access tokens
                (``create-personal-access-tokens``).
            BadRequestError: no token of that name.
            TwoFactorRequiredError: the server wants a second factor and none (or a wrong one) was
                given.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        body = {"tokenName": token_name}
        await self._session.call(
            ep.USERS_REMOVE_PERSONAL_ACCESS_TOKEN, body=body, two_factor_code=two_factor_code,
            two_factor_method=two_factor_method, timeout=timeout,
        )

    async def get_personal_access_tokens(
        self, *, timeout: float | None = None
    ) -> builtins.list[PersonalAccessToken]:
        """GET users.getPersonalAccessTokens: the caller's PATs (names, never values).

        Returns:
            The caller's tokens: name, creation date, the token's last characters; never the value.

        Raises:
            PermissionDeniedError: the caller may not have personal access tokens
                (``create-personal-access-tokens``).
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        return await self._session.call(ep.USERS_GET_PERSONAL_ACCESS_TOKENS, timeout=timeout)

    async def logout(self, *, user_id: str | None = None, timeout: float | None = None) -> None:
        """POST users.logout: end every session of a user (the caller's when no target).

        Raises:
            UserNotFoundError: ``user_id`` matches nobody.
            PermissionDeniedError: the caller may not log out another user.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        body = {"userId": user_id}
        await self._session.call(ep.USERS_LOGOUT, body=body, timeout=timeout)

    async def logout_other_clients(self, *, timeout: float | None = None) -> ClientsLogout:
        """POST users.logoutOtherClients: end the caller's other sessions; keeps this one.

        Returns:
            The token still valid (this session's) and when it expires; the token is masked in
            reprs.

        Raises:
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        return await self._session.call(ep.USERS_LOGOUT_OTHER_CLIENTS, timeout=timeout)

    async def remove_other_tokens(self, *, timeout: float | None = None) -> None:
        """POST users.removeOtherTokens: drop every login token but the current one.

        Raises:
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        await self._session.call(ep.USERS_REMOVE_OTHER_TOKENS, timeout=timeout)

    async def reset_e2e_key(
        self,
        *,
        user_id: str | None = None,
        username: str | None = None,
        two_factor_code: str | None = None,
        two_factor_method: str | None = None,
        timeout: float | None = None,
    ) -> None:
        """POST users.resetE2EKey: reset a user's E2E keys (the caller's when no target).

        Raises:
            UserNotFoundError: no such user.
            PermissionDeniedError: the caller may not reset another user's keys.
            TwoFactorRequiredError: the server wants a second factor and none (or a wrong one) was
                given.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        body = {"userId": user_id, "username": username}
        await self._session.call(
            ep.USERS_RESET_E2E_KEY, body=body, two_factor_code=two_factor_code,
            two_factor_method=two_factor_method, timeout=timeout,
        )

    async def reset_totp(
        self,
        *,
        user_id: str | None = None,
        username: str | None = None,
        two_factor_code: str | None = None,
        two_factor_method: str | None = None,
        timeout: float | None = None,
    ) -> None:
        """POST users.resetTOTP: remove a user's TOTP (the caller's when no target).

        Raises:
            UserNotFoundError: no such user.
            PermissionDeniedError: the caller may not reset another user's TOTP.
            BadRequestError: the user has no TOTP.
            TwoFactorRequiredError: the server wants a second factor and none (or a wrong one) was
                given.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        body = {"userId": user_id, "username": username}
        await self._session.call(
            ep.USERS_RESET_TOTP, body=body, two_factor_code=two_factor_code,
            two_factor_method=two_factor_method, timeout=timeout,
        )

    # ---- two-factor by e-mail -----------------------------------------------------------------

    async def enable_email_2fa(self, *, timeout: float | None = None) -> None:
        """POST users.2fa.enableEmail: turn on e-mail codes for the caller.

        Raises:
            UserNotFoundError: the caller's e-mail addresses are not all verified (the server
                answers ``error-invalid-user``).
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        await self._session.call(ep.USERS_2FA_ENABLE_EMAIL, timeout=timeout)

    async def disable_email_2fa(
        self,
        *,
        two_factor_code: str | None = None,
        two_factor_method: str | None = None,
        timeout: float | None = None,
    ) -> None:
        """POST users.2fa.disableEmail: turn off e-mail codes (asks for a code).

        Raises:
            TwoFactorRequiredError: the server wants a second factor and none (or a wrong one) was
                given.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        await self._session.call(
            ep.USERS_2FA_DISABLE_EMAIL, two_factor_code=two_factor_code,
            two_factor_method=two_factor_method, timeout=timeout,
        )

    async def send_email_2fa_code(
        self, *, email_or_username: str, timeout: float | None = None
    ) -> None:
        """POST users.2fa.sendEmailCode: e-mail a fresh code (always succeeds).

        Raises:
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        body = {"emailOrUsername": email_or_username}
        await self._session.call(ep.USERS_2FA_SEND_EMAIL_CODE, body=body, timeout=timeout)

    # ---- mail ---------------------------------------------------------------------------------

    async def forgot_password(self, *, email: str, timeout: float | None = None) -> None:
        """POST users.forgotPassword: mail a reset link (succeeds for unknown addresses too).

        Raises:
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        body = {"email": email}
        await self._session.call(ep.USERS_FORGOT_PASSWORD, body=body, timeout=timeout)

    async def send_welcome_email(self, *, email: str, timeout: float | None = None) -> None:
        """POST users.sendWelcomeEmail: mail the welcome message to a user.

        Raises:
            PermissionDeniedError: the caller may not send mail (``send-mail``).
            UserNotFoundError: no user has that address.
            BadRequestError: the server cannot send mail.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        body = {"email": email}
        await self._session.call(ep.USERS_SEND_WELCOME_EMAIL, body=body, timeout=timeout)

    async def send_confirmation_email(self, *, email: str, timeout: float | None = None) -> None:
        """POST users.sendConfirmationEmail: mail an address-verification link.

        Raises:
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        body = {"email": email}
        await self._session.call(ep.USERS_SEND_CONFIRMATION_EMAIL, body=body, timeout=timeout)

    async def verify_email(self, *, token: str, timeout: float | None = None) -> None:
        """POST users.verifyEmail: confirm an address with the token from the mail.

        Raises:
            BadRequestError: the token is unknown or expired (the link expired).
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        body = {"token": token}
        await self._session.call(ep.USERS_VERIFY_EMAIL, body=body, timeout=timeout)

    async def send_invitation_email(
        self, *, emails: builtins.list[str], timeout: float | None = None
    ) -> None:
        """POST sendInvitationEmail: invite people to the workspace by e-mail.

        Raises:
            TypeError: ``emails`` is a str, not a list.
            PermissionDeniedError: the caller may not invite (``bulk-register-user``).
            BadRequestError: no valid address among ``emails``.
            RocketChatError: any other refusal or failure, as for every call (see ``UsersAPI``).
        """
        body = {"emails": _strings("emails", emails)}
        await self._session.call(ep.SEND_INVITATION_EMAIL, body=body, timeout=timeout)


def _check_page(offset: int | None, count: int | None) -> None:
    # count=0 means "everything" to the server (API_Allow_Infinite_Count); negatives are errors.
    _natural("offset", offset)
    _natural("count", count)


def _natural(argument: str, value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{argument} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{argument} must not be negative, got {value}")


def _strings(argument: str, values: builtins.list[str] | None) -> builtins.list[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        # A bare string would be sent letter by letter.
        raise TypeError(f"{argument} must be a list of strings, not a string")
    return builtins.list(values)


def _since(value: datetime | str | None) -> str | None:
    """``from_`` of users.presence: a datetime or the spec's ISO-8601 string, sent as UTC."""
    if isinstance(value, str):
        try:
            # Python 3.10's fromisoformat does not read a trailing Z.
            parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith(("Z", "z"))
                                            else value)
        except ValueError:
            raise ValueError(f"from_ is not an ISO-8601 date-time: {value!r}") from None
        if parsed.tzinfo is None:
            # The server's new Date() would read it in its own time zone.
            raise ValueError(f"from_ has no UTC offset (add Z or +00:00): {value!r}")
        return iso(parsed)
    if value is not None and not isinstance(value, datetime):
        raise TypeError(f"from_ must be a datetime or an ISO-8601 str, got {type(value).__name__}")
    return _iso("from_", value)


def _iso(argument: str, value: datetime | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"{argument} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None:
        raise ValueError(f"{argument} is a naive datetime: pass an aware one (e.g. tz=UTC)")
    return iso(value)


S = TypeVar("S", bound=msgspec.Struct)


def _non_empty(struct: S, argument: str) -> S:
    # An empty change would be a round trip that the server refuses (or silently ignores).
    if msgspec.json.encode(struct) == b"{}":
        raise ValueError(f"{argument} has no field to send")
    return struct


# Magic numbers of the formats the server accepts as avatars; a name's suffix decides otherwise.
_SIGNATURES = ((b"\x89PNG", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"),
               (b"RIFF", "image/webp"), (b"<svg", "image/svg+xml"), (b"<?xml", "image/svg+xml"))


def _image_part(image: Image) -> FilePart:
    if isinstance(image, (bytes, bytearray)):
        content, filename = bytes(image), "avatar"
    elif isinstance(image, (str, os.PathLike)):
        path = Path(image)
        content, filename = path.read_bytes(), path.name
    elif hasattr(image, "read"):
        content = image.read()
        if not isinstance(content, bytes):
            raise TypeError("image file must be opened in binary mode ('rb')")
        filename = Path(str(getattr(image, "name", "avatar"))).name
    else:
        raise TypeError(f"image must be a path, bytes or a binary file, got {type(image).__name__}")
    if not content:
        raise ValueError("image is empty")
    content_type = next(
        (kind for magic, kind in _SIGNATURES if content.lstrip()[: len(magic)] == magic), None
    ) or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return FilePart("image", content, filename, content_type)
