"""Session: the auth context, one pooled connector, and ``call()`` — the only code on the wire."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType, SimpleNamespace, TracebackType
from typing import Any, Generic, TypeVar

import aiohttp
import anyio
import yarl

from . import _endpoints as ep
from ._deadlines import Alarm, Deadlines
from ._pacing import RateLimit, _Route
from ._protocol import FilePart, QueryValue, Request, build_request, parse_response, redact
from .api.moderation import ModerationAPI
from .api.users import UsersAPI
from .errors import (
    AuthenticationError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TransportError,
    TwoFactorRequiredError,
)
from .models import Avatar, User

__all__ = ["RetryPolicy", "Session", "TwoFactorCallback"]

T = TypeVar("T")
logger = logging.getLogger("rocketchat_users")

TwoFactorCallback = Callable[[str], Awaitable[str]]
"""``async (method) -> code``: asked for a code when the server answers totp-required."""

_RETRY_STATUSES = frozenset({502, 503, 504})

# The GET try in progress in this task, whose share of the call's budget starts once the try
# holds a connection (see _Connector).
_SHARE: ContextVar[_Share | None] = ContextVar("rocketchat_users_share", default=None)


def _now() -> float:
    return asyncio.get_running_loop().time()  # anyio.current_time(), without the look-ups


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a call is tried. ``attempts`` counts the first try.

    A request never written, a 429 (after its ``X-RateLimit-Reset``), and for GETs a lost
    answer or a 502/503/504 are tried again; a POST that was written is never sent twice.
    ``RetryPolicy(attempts=1)`` turns retries off.

    Raises:
        ValueError: ``attempts`` is below 1, or a backoff is negative.
    """

    attempts: int = 3
    backoff: float = 0.5
    max_backoff: float = 30.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {self.attempts}")
        if self.backoff < 0 or self.max_backoff < 0:
            raise ValueError("backoff and max_backoff must not be negative")

    def delay(self, attempt: int) -> float:
        """Wait before try ``attempt + 1``: exponential, capped, with full jitter on half.

        Returns:
            Seconds: between half and all of ``min(max_backoff, backoff * 2 ** (attempt - 1))``.
        """
        ceiling = min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)


# The progress of a request whose `sent` is not tracked (nothing sets it back to False).
_MAYBE_SENT = SimpleNamespace(sent=True)


class _Unsent(Exception):
    """The request was never written: any method may go again."""


async def _on_headers_sent(_: aiohttp.ClientSession, ctx: SimpleNamespace, __: object) -> None:
    # A coroutine that never suspends: awaiting asyncio.sleep(0) here would give every request
    # one more trip through the event loop (measured: ~100 µs a call on a busy 2-core box).
    progress = getattr(ctx, "trace_request_ctx", None)
    if progress is not None:
        progress.sent = True


class _Share:
    """A GET try's share of the call's budget: silence allowed once it holds a connection."""

    __slots__ = ("alarm", "deadlines", "seconds")

    def __init__(self, deadlines: Deadlines, seconds: float) -> None:
        self.deadlines, self.seconds = deadlines, seconds
        self.alarm: Alarm | None = None

    def begin(self) -> None:
        if self.alarm is None:  # once: a redirect's next hop does not start it again
            self.alarm = self.deadlines.start(_now() + self.seconds)

    def restart(self) -> None:
        """The whole share again, from now (the answer has moved on)."""
        self.stop()
        self.alarm = self.deadlines.start(_now() + self.seconds)

    def stop(self) -> bool:
        """Over; True when the share ran out (see ``Deadlines.stop``)."""
        return self.alarm is not None and self.deadlines.stop(self.alarm)


class _Connector(aiohttp.TCPConnector):
    """The Session's own pool. A try waiting here for a connection is not silence from the
    server: a GET try's share starts once it has one (a timer over the whole try cost tries to
    the wait: in the soak, 12 GETs timed out instead of 2)."""

    async def connect(
        self, req: aiohttp.ClientRequest, traces: list[aiohttp.tracing.Trace],
        timeout: aiohttp.ClientTimeout,
    ) -> aiohttp.connector.Connection:
        connection = await super().connect(req, traces, timeout)
        share = _SHARE.get()
        if share is not None:
            share.begin()
        return connection


class Session:
    """The auth context and one pooled connection to a Rocket.Chat server.

    Share one Session between all tasks of an application; close it (``async with`` or
    ``await close()``) when done. A ``client_session`` passed in stays the caller's.

    Args:
        base_url: the server, ``http(s)://host[:port][/prefix]``.
        user_id: with ``auth_token``, the auth context (a login token or a personal access
            token); neither, to call ``login()`` or anonymous endpoints.
        auth_token: the token that goes with ``user_id``.
        timeout: default budget of a call in seconds, retries included.
        max_connections: size of the connection pool.
        retry: the retry policy; ``RetryPolicy()`` when None.
        two_factor: ``async (method) -> code``, asked when the server wants a second factor.
        client_session: an aiohttp session to use instead of the Session's own; never closed
            by the Session.

    Attributes:
        users: the users.* methods (``UsersAPI``).
        moderation: the moderation.* methods (``ModerationAPI``).
        base_url: the server's URL, without a trailing slash.
        timeout: the default budget of a call, in seconds.
        retry: the ``RetryPolicy`` in use.

    Raises:
        ValueError: ``base_url`` is not an http(s) URL, only one of ``user_id`` /
            ``auth_token`` is given, or ``timeout`` / ``max_connections`` is out of range.
    """

    def __init__(
        self,
        base_url: str,
        *,
        user_id: str | None = None,
        auth_token: str | None = None,
        timeout: float = 30.0,
        max_connections: int = 64,
        retry: RetryPolicy | None = None,
        two_factor: TwoFactorCallback | None = None,
        client_session: aiohttp.ClientSession | None = None,
    ) -> None:
        url = yarl.URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        if (user_id is None) != (auth_token is None):
            raise ValueError("user_id and auth_token go together: pass both or neither")
        _check_timeout(timeout)
        if not isinstance(max_connections, int) or max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, got {max_connections}")
        self.base_url = str(url).rstrip("/")
        self.timeout = timeout
        self.retry = retry if retry is not None else RetryPolicy()
        self._user_id = user_id
        self._auth_token = auth_token
        self._password_login: tuple[str, str] | None = None
        self._relogin_lock = asyncio.Lock()
        self._two_factor = two_factor
        self._max_connections = max_connections
        self._http = client_session
        self._reads: aiohttp.ClientSession | None = client_session  # GETs: see _client()
        self._owns_http = client_session is None
        self._closed = False
        self._urls: dict[str, yarl.URL] = {}  # built once per row
        self._routes: dict[str, _Route] = {}  # rate-limit pacing, per row (_pacing.py)
        self._deadlines = Deadlines()  # every call's deadline, on one timer (_deadlines.py)
        self.users = UsersAPI(self)
        self.moderation = ModerationAPI(self)

    def __repr__(self) -> str:
        who = f", user_id={self._user_id!r}, auth_token='***'" if self._user_id else ""
        state = " closed" if self._closed else ""
        return f"<Session {self.base_url}{who}{state}>"

    @property
    def user_id(self) -> str | None:
        """The id of the user the Session acts as (None before login)."""
        return self._user_id

    @property
    def closed(self) -> bool:
        """True once ``close()`` ran: the Session then refuses calls (``RuntimeError``)."""
        return self._closed

    @property
    def rate_limits(self) -> Mapping[str, RateLimit]:
        """The rate limits the server announced, per route (``"POST users.create"``): a read-only
        snapshot of each route's latest ``X-RateLimit-*`` headers and the calls waiting on it.

        Routes whose answers carried no such headers (not limited, or a caller holding
        ``api-bypass-rate-limit``) are absent.
        """
        shown = {label: limit for label, route in self._routes.items()
                 if (limit := route.snapshot()) is not None}
        return MappingProxyType(shown)

    # ---- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> Session:
        self._client()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Release the connector the Session owns. Idempotent; a caller's session stays open."""
        if self._closed:
            return
        self._closed = True
        if self._owns_http:
            if self._reads is not None:
                await self._reads.close()  # shares the connector: closes no connection
            if self._http is not None:
                await self._http.close()
        self._http = self._reads = None

    def _client(self, *, traced: bool = True) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("this Session is closed; open a new one")
        if self._http is None:
            # Created lazily: aiohttp wants a running loop, and the constructor may not have one.
            trace = aiohttp.TraceConfig()
            trace.on_request_headers_sent.append(_on_headers_sent)
            self._http = aiohttp.ClientSession(
                connector=_Connector(
                    limit=self._max_connections, ttl_dns_cache=300, keepalive_timeout=30
                ),
                timeout=aiohttp.ClientTimeout(total=None),  # call() owns the time budget
                trace_configs=[trace],
            )
        if traced:
            return self._http
        if self._reads is None:
            # GETs need no `sent` tracking (any GET may go again): the same pool, without the
            # trace hooks that aiohttp runs on every request when a TraceConfig is set.
            self._reads = aiohttp.ClientSession(
                connector=self._http.connector,
                connector_owner=False,
                timeout=aiohttp.ClientTimeout(total=None),
            )
        return self._reads

    # ---- auth ---------------------------------------------------------------------------------

    async def login(
        self, user: str, password: str, *, code: str | None = None, timeout: float | None = None
    ) -> User:
        """POST login: log in with a username or e-mail; returns the logged-in user.

        The Session then acts as that user, and logs in again by itself (once) if the server
        later refuses the token.

        Args:
            user: username or e-mail address.
            password: the password, sent to the server only (never logged).
            code: a 2FA code, for a user the server challenges at login.
            timeout: seconds for the whole login.

        Returns:
            The logged-in user.

        Raises:
            AuthenticationError: wrong user or password, or the user is deactivated.
            TwoFactorRequiredError: a code is needed (and no ``two_factor`` callback gave
                one) or the code was refused.
            RocketChatError: any other refusal or failure of the call.
        """
        body = {"user": user, "password": password, "code": code}
        limit = self.timeout if timeout is None else timeout
        started = anyio.current_time()
        data = await self.call(ep.LOGIN, body=body, timeout=limit)
        self._user_id, self._auth_token = data.userId, data.authToken
        self._password_login = (user, password)
        if data.me is not None:
            return data.me
        # Older servers leave `me` out: one more request, within the same budget.
        return await self.me(timeout=max(limit - (anyio.current_time() - started), 0.001))

    async def logout(self, *, timeout: float | None = None) -> None:
        """POST logout: end this token's session and forget the auth context.

        The auth context is forgotten even when the call fails.

        Raises:
            AuthenticationError: the token was already invalid.
            RocketChatError: any other refusal or failure of the call.
        """
        try:
            await self.call(ep.LOGOUT, timeout=timeout)
        finally:
            self._user_id = self._auth_token = None
            self._password_login = None

    async def me(self, *, timeout: float | None = None) -> User:
        """GET me: the user the Session acts as.

        Returns:
            The caller's user document (``email`` included).

        Raises:
            AuthenticationError: not logged in, or the token was refused.
            RocketChatError: any other refusal or failure of the call.
        """
        return await self.call(ep.ME, timeout=timeout)

    async def avatar(
        self,
        subject: str,
        *,
        format: str | None = None,
        size: int | None = None,
        rc_uid: str | None = None,
        rc_token: str | None = None,
        timeout: float | None = None,
    ) -> Avatar:
        """GET /avatar/{subject}: the image, with its content type.

        ``subject`` is a username (or ``@username``); ``rc_uid`` / ``rc_token`` default to
        the Session's auth context (the route reads no auth headers).

        Returns:
            The image bytes and content type.

        Raises:
            RocketChatError: a refusal or failure of the call.
        """
        # /avatar reads rc_uid/rc_token, never the auth headers (server-behavior §9).
        query: dict[str, QueryValue] = {
            "format": format,
            "size": size,
            "rc_uid": rc_uid or self._user_id,
            "rc_token": rc_token or self._auth_token,
        }
        return await self.call(ep.AVATAR, subject=subject, query=query, timeout=timeout)

    # ---- the one way to the wire --------------------------------------------------------------

    async def call(
        self,
        endpoint: ep.Endpoint[T],
        *,
        query: Mapping[str, QueryValue] | None = None,
        body: Mapping[str, Any] | None = None,
        form: Mapping[str, str | None] | None = None,
        files: list[FilePart] | None = None,
        subject: str | None = None,
        two_factor_code: str | None = None,
        two_factor_method: str | None = None,
        timeout: float | None = None,
    ) -> T:
        """Send one REST call (with retries, 2FA replay and re-login) and decode its answer.

        The one way to the wire, used by every method; endpoints are the SDK's internal
        table, so applications call the methods instead.

        Returns:
            The endpoint's decoded result.

        Raises:
            ValueError: ``two_factor_method`` without ``two_factor_code``, or ``timeout`` is
                not positive.
            TypeError: ``timeout`` is not a number.
            RuntimeError: the Session is closed.
            RequestTimeoutError: no answer within ``timeout`` (retries included).
            TransportError: no answer (``sent`` tells whether the server may have acted).
            APIError: the server refused (a subclass per kind; see ``rocketchat_users.errors``).
            ResponseDecodeError: an answer that does not decode.
        """
        if two_factor_method is not None and two_factor_code is None:
            raise ValueError("two_factor_method needs two_factor_code")
        limit = self.timeout if timeout is None else _check_timeout(timeout)
        state = _CallState(
            endpoint,
            {"query": query, "body": body, "form": form, "files": files, "subject": subject},
            (two_factor_code, two_factor_method) if two_factor_code is not None else None,
        )
        deadline = _now() + limit
        alarm = self._deadlines.start(deadline)  # it cancels the call, in a try or a wait
        try:
            return await self._attempts(state, deadline)
        except asyncio.CancelledError:
            if not self._deadlines.stop(alarm):
                raise  # cancelled from outside
        except (TimeoutError, asyncio.TimeoutError):  # 3.10: aiohttp's are not TimeoutError
            pass  # a GET try's share ran out with no time left for another try
        finally:
            self._deadlines.stop(alarm)
        raise RequestTimeoutError(
            f"{endpoint.label}: no answer within {limit:g} s",
            endpoint=endpoint.label,
            sent=state.sent,
        ) from None

    async def _attempts(self, state: _CallState[T], deadline: float) -> T:
        endpoint = state.endpoint
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self.retry.attempts
            route = self._routes.get(endpoint.label)
            if route is None:
                route = self._routes[endpoint.label] = _Route(endpoint.label)
            if not route.take():
                await route.wait(deadline)  # the route's budget is spent: wait for the reset
            # A GET that goes silent gets a share of the budget, so that a retry has time left
            # (DESIGN: a read timeout is retried for GETs); the last try may use it all. The
            # share runs from when the try holds a connection (_Connector) until its answer
            # begins, then bounds each silence within the answer (_read_quietly).
            share = None
            if endpoint.idempotent and not last:
                share = (deadline - _now()) / (self.retry.attempts - attempt + 1)
            try:
                try:
                    status, headers, body = await self._send(state, share)
                except _Unsent:
                    route.settle(None, refund=True)
                    raise
                except BaseException:
                    route.settle(None)
                    raise
                route.settle(headers, status)
            except (TimeoutError, asyncio.TimeoutError) as exc:  # 3.10: two classes
                if _now() >= deadline:
                    raise  # the call's own deadline: call() says so
                # A GET try's share ran out, or a caller's ClientSession timed out.
                error = self._transport_error(state, exc, sent=True)
                if last or not endpoint.idempotent:
                    raise error from _safe(exc)
                # No time left for another try: the timeout itself, which call() reports.
                await self._pause(self.retry.delay(attempt), deadline, exc)
                continue
            except _Unsent as unsent:
                error = self._transport_error(state, unsent.__cause__, sent=False)
                if last:
                    raise error from _safe(unsent.__cause__)
                await self._pause(self.retry.delay(attempt), deadline, error)
                continue
            except aiohttp.ClientError as exc:
                error = self._transport_error(state, exc, sent=True)
                if last or not endpoint.idempotent:
                    raise error from _safe(exc)
                await self._pause(self.retry.delay(attempt), deadline, error)
                continue
            try:
                return parse_response(endpoint, status, headers, body)
            except RateLimitError as exc:
                # Refused before acting: safe to send again, whatever the method.
                if last:
                    raise
                wait = exc.retry_after
                if wait is None or wait <= 0:  # no Reset, or one already past by our clock
                    wait = self.retry.delay(attempt)
                await self._pause(wait, deadline, exc)
            except ServerError as exc:
                if last or not endpoint.idempotent or status not in _RETRY_STATUSES:
                    raise
                await self._pause(self.retry.delay(attempt), deadline, exc)
            except TwoFactorRequiredError as exc:
                # The callback answers a challenge, once; a code the caller gave and the server
                # refused (totp-invalid) is the caller's to fix.
                if self._two_factor is None or state.asked_two_factor or exc.invalid:
                    raise
                state.asked_two_factor = True
                method = exc.method or "totp"
                code = await self._two_factor(method)
                state.two_factor = (code, method)
                attempt -= 1  # a challenge is not a failed try
            except AuthenticationError:
                if not self._can_relogin(endpoint) or state.relogged:
                    raise
                state.relogged = True
                relogged = await self._relogin(state.token)
                if not relogged:
                    raise
                attempt -= 1

    async def _pause(self, seconds: float, deadline: float, exc: BaseException) -> None:
        # A wait that cannot end before the call's deadline would only turn the real failure
        # into a timeout: give the caller the failure instead.
        if anyio.current_time() + seconds > deadline:
            raise exc
        await anyio.sleep(seconds)

    def _can_relogin(self, endpoint: ep.Endpoint[Any]) -> bool:
        return self._password_login is not None and endpoint.auth and endpoint is not ep.LOGOUT

    async def _relogin(self, stale_token: str | None) -> bool:
        """Log in again after a refused token; True when a fresh token is there to replay with.

        One login serves every task that met the same token. A login that fails drops the
        password, so the tasks waiting behind it, and later calls, do not try it again (the
        server blocks a user after 10 failed logins, server-behavior §2.3).
        """
        async with self._relogin_lock:
            if self._auth_token != stale_token:
                return self._auth_token is not None
            if self._password_login is None:
                return False
            user, password = self._password_login
            logger.info("token refused; logging in again as %s", user)
            try:
                await self.login(user, password)
            except AuthenticationError:
                self._password_login = None
                raise
            return True

    async def _send(
        self, state: _CallState[Any], share: float | None
    ) -> tuple[int, Mapping[str, str], bytes]:
        auth = (self._user_id, self._auth_token) if self._user_id and self._auth_token else None
        state.token = self._auth_token
        request = build_request(
            state.endpoint, **state.args, auth=auth, two_factor=state.two_factor
        )
        idempotent = state.endpoint.idempotent
        http = self._reads if idempotent and self._reads is not None else self._client(
            traced=not idempotent)
        url = self._urls.get(request.path)
        if url is None:
            url = yarl.URL(f"{self.base_url}/{request.path}", encoded=True)
            if state.args["subject"] is None:  # one per row; an avatar's subject varies
                self._urls[request.path] = url
        # Unknown on a caller's session and for GETs (untraced): "may have reached the server".
        progress = _MAYBE_SENT if idempotent or not self._owns_http else SimpleNamespace(sent=False)
        state.progress = progress
        pending = token = None
        if share is not None:
            pending = _Share(self._deadlines, max(share, 0.001))
            if self._owns_http:
                token = _SHARE.set(pending)  # begun by _Connector once a connection is had
            else:
                pending.begin()  # a caller's pool: from now
        try:
            async with http.request(
                request.method,
                url,
                params=request.params or None,
                data=_payload(request),
                headers=request.headers,
                allow_redirects=request.follow_redirects,
                trace_request_ctx=progress,
            ) as resp:
                if pending is not None:
                    # The answer has begun: from here on, only silence ends the try (a big
                    # page on a slow link may take longer than the share to arrive).
                    pending.stop()
                if pending is None or resp.content.is_eof():  # the usual: all came at once
                    body = await resp.read()
                else:
                    body = await _read_quietly(resp.content, pending)
                if logger.isEnabledFor(logging.DEBUG):  # redact() is two regexes a call
                    logger.debug(
                        "%s %s -> %s (%d bytes)",
                        request.method,
                        redact(str(resp.url)),
                        resp.status,
                        len(body),
                    )
                return resp.status, resp.headers, body
        except asyncio.CancelledError:
            if pending is not None and pending.stop():
                raise aiohttp.SocketTimeoutError(
                    f"silent for this try's share of the budget ({pending.seconds:.3g} s)"
                ) from None
            raise
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise _Unsent() from exc
        except (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError) as exc:
            if not progress.sent:
                raise _Unsent() from exc
            raise
        finally:
            if pending is not None:
                pending.stop()
                if token is not None:
                    _SHARE.reset(token)

    def _transport_error(
        self, state: _CallState[Any], exc: BaseException | None, *, sent: bool
    ) -> TransportError:
        what = type(exc).__name__ if exc is not None else "error"
        detail = redact(str(exc)) if exc is not None else ""
        outcome = "the server may have acted on it" if sent else "it was not sent"
        return TransportError(
            f"{state.endpoint.label}: {what}: {detail} ({outcome})",
            endpoint=state.endpoint.label,
            sent=sent,
        )


class _CallState(Generic[T]):
    """What one call() carries across its attempts."""

    def __init__(
        self,
        endpoint: ep.Endpoint[T],
        args: dict[str, Any],
        two_factor: tuple[str, str | None] | None,
    ) -> None:
        self.endpoint = endpoint
        self.args = args
        self.two_factor = two_factor
        self.asked_two_factor = False
        self.relogged = False
        self.token: str | None = None
        self.progress: SimpleNamespace | None = None

    @property
    def sent(self) -> bool:
        return bool(self.progress.sent) if self.progress is not None else False


def _check_timeout(timeout: float) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"timeout must be a number of seconds, got {type(timeout).__name__}")
    if not timeout > 0:
        raise ValueError(f"timeout must be positive, got {timeout}")
    return timeout


def _safe(exc: BaseException | None) -> BaseException | None:
    """The aiohttp error to chain, unless its text holds a secret (an avatar URL's rc_token)."""
    return exc if exc is not None and redact(str(exc)) == str(exc) else None


async def _read_quietly(content: aiohttp.StreamReader, share: _Share) -> bytes:
    """A GET try's body, each silence in it bounded by the try's share (as ``sock_read``); the
    share running out cancels the read, which ``Session._send`` reports."""
    chunks: list[bytes] = []
    while True:
        share.restart()
        chunk = await content.readany()
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _payload(request: Request) -> bytes | aiohttp.FormData | None:
    if not request.files:
        return request.body
    form = aiohttp.FormData()
    for name, value in request.form.items():
        form.add_field(name, value)
    for part in request.files:
        form.add_field(
            part.name, part.content, filename=part.filename, content_type=part.content_type
        )
    return form
