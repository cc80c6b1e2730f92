"""The ``Emulator``: an aiohttp.web server on loopback over the in-memory store."""

from __future__ import annotations

import asyncio
import base64
import copy
import random
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, NamedTuple

from aiohttp import web

from . import _h_accounts, _h_auth, _h_avatar, _h_read
from ._backend import Backend, FaultState, build_middlewares, make_handler
from ._churn import Churn
from ._faults import Faults, PostRecord
from ._ratelimit import RateLimiter, RateWindow
from ._seed import ADMIN_USERNAME, seed_store
from ._settings import DEFAULT_SETTINGS
from ._store import Store, User
from ._twofactor import TwoFactor, new_totp_secret, totp_now
from ._wire import json_response, now_iso, random_id

SERVER_VERSION = "8.8.1"  # the release whose request schemas _schemas.py holds
_STATUSES = ("online", "away", "busy", "offline")


class Admin(NamedTuple):
    """Credentials of the seeded administrator (logged in: ``auth_token`` is a resume token)."""

    user_id: str
    auth_token: str
    password: str
    username: str


class Emulator:
    """An in-process Rocket.Chat 8.x users API on ``host:port`` (``port=0``: ephemeral).

    ``async with Emulator(...) as server:`` starts it and stops it. The package docstring
    lists the test hooks and what the emulator simplifies.

    Args:
        users: seeded users besides the admin and ``rocket.cat``.
        seed: the same seed gives the same data (and the same fault and churn sequence).
        host: bind address.
        port: bind port; 0 picks a free one.
        settings: server settings by their real names (defaults: server-behavior.md §11),
            e.g. ``{"API_Upper_Count_Limit": 100, "Presence_broadcast_disabled": True}``.
            Emulator-only keys: ``CREATE_TOKENS_FOR_USERS_SECRET`` (None: createToken
            refused), ``SMTP_Configured`` (True), ``UserData_EnableDownload`` (True).
        remember_for: ``Accounts_TwoFactorAuthentication_RememberFor`` in seconds; 0 forces
            every challenge.
        latency: seconds added to every request.
        error_rate: fraction of requests answered with a 502 HTML page or a dropped
            connection (a deterministic sequence from ``seed``).
        rate_limit: True: the REST limiter with the server's defaults (10 calls / 60 s per IP
            and route, admin/bot bypass, §6.1 special limits), its default rule read from the
            live ``API_Enable_Rate_Limiter_Limit_Calls_Default`` / ``..._Time_Default``
            settings on every request; ``(calls, seconds)`` overrides the default rule (the
            settings are then not consulted).
        churn: ``(creates, deletes)`` per listing request (users.list, users.listByStatus):
            before answering, that many users are created (random ids) and deleted (random,
            never the admin or ``rocket.cat``); fractions accumulate; deterministic from
            ``seed``. ``server.churn`` records the ``created`` / ``deleted`` ids.
        faults: a :class:`Faults` plan (dropped connections, 502s, lost answers, slow
            answers), each a fraction of requests; not together with ``error_rate``.

    Raises:
        ValueError: ``error_rate`` out of 0..1, or given together with ``faults``.
    """

    def __init__(
        self,
        *,
        users: int = 0,
        seed: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
        settings: Mapping[str, object] | None = None,
        remember_for: float = 1800,
        latency: float = 0.0,
        error_rate: float = 0.0,
        rate_limit: bool | tuple[int, float] = False,
        churn: tuple[float, float] | None = None,
        faults: Faults | None = None,
    ) -> None:
        if faults is not None and error_rate:
            raise ValueError("give error_rate or faults, not both")
        if not 0.0 <= error_rate <= 1.0:
            raise ValueError(f"error_rate must be a fraction between 0 and 1, got {error_rate}")
        plan = faults if faults is not None else Faults(drop=error_rate / 2,
                                                        bad_gateway=error_rate / 2)
        live: dict[str, Any] = dict(DEFAULT_SETTINGS)
        live["Accounts_TwoFactorAuthentication_RememberFor"] = remember_for
        live.update(settings or {})
        self._host = host
        self._port = port
        self._store = Store(live)
        result = seed_store(self._store, users, seed)
        limiter: RateLimiter | None = None
        if rate_limit is not False:
            # True: the default rule follows the live settings (read per request).
            limiter = RateLimiter((int(rate_limit[0]), float(rate_limit[1]))
                                  if isinstance(rate_limit, tuple) else None)
        self._backend = Backend(
            store=self._store,
            twofactor=TwoFactor(self._store),
            limiter=limiter,
            faults=FaultState(latency=latency, plan=plan, rng=random.Random(f"faults-{seed}")),
        )
        self._admin = Admin(result.admin_id, result.admin_token,
                            self._store.passwords[result.admin_id], ADMIN_USERNAME)
        self._app = self._build_app()
        self._churn: Churn | None = None
        if churn is not None:
            self._churn = Churn(self._store, creates=churn[0], deletes=churn[1], seed=seed,
                                protected=frozenset({result.admin_id}))
            self._app.middlewares.append(self._churn.middleware)  # innermost: after faults
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------------ lifecycle
    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=list(build_middlewares(self._backend)),
                              client_max_size=50 * 1024 * 1024)
        for module in (_h_auth, _h_accounts, _h_read, _h_avatar):
            for route in module.ROUTES:
                handler = make_handler(self._backend, route)
                for method in route.methods:
                    app.router.add_route(method, f"/api/v1/{route.name}", handler)

        async def info(_request: web.Request) -> web.Response:
            return json_response({"version": SERVER_VERSION, "success": True})

        app.router.add_get("/api/info", info)
        app.router.add_get("/avatar/{subject:.*}", _h_avatar.avatar_handler(self._backend))
        return app

    async def start(self) -> None:
        """Bind and serve; idempotent.

        Raises:
            OSError: the address cannot be bound (e.g. the port is taken).
        """
        async with self._lock:
            if self._runner is not None:
                return
            runner = web.AppRunner(self._app, access_log=None, handle_signals=False)
            await runner.setup()
            site = web.TCPSite(runner, self._host, self._port)
            try:
                await site.start()
            except BaseException:
                await runner.cleanup()
                raise
            port = runner.addresses[0][1]
            self._runner = runner
            self._url = f"http://{self._host}:{port}"
            self._store.settings["Site_Url"] = self._url

    async def stop(self) -> None:
        """Close the listening socket and every connection; idempotent."""
        async with self._lock:
            runner, self._runner = self._runner, None
            if runner is not None:
                await runner.cleanup()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()

    # ------------------------------------------------------------------- accessors
    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, no trailing slash; only once started."""
        if self._url is None:
            raise RuntimeError("Emulator is not started")
        return self._url

    @property
    def admin(self) -> Admin:
        """The seeded administrator's credentials (username ``admin``), logged in."""
        return self._admin

    @property
    def app(self) -> web.Application:
        """The aiohttp Application behind the server (routes, middlewares)."""
        return self._app

    @property
    def settings(self) -> dict[str, Any]:
        """The live settings dict; changes apply to the next request."""
        return self._store.settings

    @property
    def churn(self) -> Churn | None:
        """The ``churn=`` knob's record (created/deleted ids, ``paused``), or None."""
        return self._churn

    @property
    def outbox(self) -> list[dict[str, Any]]:
        """Sent mails (the newest 10,000): dicts with ``to``, ``subject``, ``kind`` and
        ``code``/``token``/…"""
        return self._store.outbox

    @property
    def request_log(self) -> list[tuple[str, str]]:
        """``(method, path)`` of the requests received, in order (at most the newest 100,000)."""
        return self._backend.request_log

    @property
    def post_log(self) -> list[PostRecord]:
        """Every POST received, in order, with its JSON body and whether its handler succeeded
        (at most the newest 100,000): count what was *applied*, faults and retries included."""
        return self._backend.post_log

    @property
    def rate_limit_windows(self) -> list[RateWindow]:
        """The rate limiter's windows, oldest first (empty without ``rate_limit``): per IP and
        route, the calls counted and refused in each."""
        limiter = self._backend.limiter
        return limiter.log if limiter is not None else []

    @property
    def open_connections(self) -> int:
        """Client connections open right now (closed ones whose handler still runs, such as a
        ``slow`` fault's, are not counted)."""
        runner = self._runner
        server = runner.server if runner is not None else None
        if server is None:
            return 0
        return sum(1 for handler in server.connections
                   if handler.transport is not None and not handler.transport.is_closing())

    # ------------------------------------------------------------------------ hooks
    def set_permission(self, permission: str, roles: Iterable[str]) -> None:
        """Give ``permission`` to exactly these roles (as an admin does in Permissions), e.g.
        ``set_permission("create-user", ["admin", "user"])``."""
        if isinstance(roles, str):
            raise TypeError("roles must be a list of role names, not a string")
        self._store.permissions[permission] = frozenset(roles)

    def password_of(self, username: str) -> str:
        """Plain password of a seeded user, the admin, or a user added with ``password=``.

        Returns:
            The password in plain text.

        Raises:
            KeyError: no such user, or none whose password the emulator knows.
        """
        user = self._store.by_username(username)
        if user is None or user["_id"] not in self._store.passwords:
            raise KeyError(username)
        return self._store.passwords[user["_id"]]

    def _require(self, user_id: str) -> User:
        user = self._store.by_id_or_username(user_id)
        if user is None:
            raise KeyError(user_id)
        return user

    def enable_totp(self, user_id: str) -> str:
        """Turn on TOTP 2FA for a user; returns the base32 secret.

        Returns:
            The base32 TOTP secret (``totp_code()`` computes the current code from it).

        Raises:
            KeyError: no user with that id or username.
        """
        user = self._require(user_id)
        secret = new_totp_secret()
        user.setdefault("services", {})["totp"] = {"enabled": True, "secret": secret,
                                                   "hashedBackup": []}
        return secret

    def totp_code(self, user_id: str) -> str:
        """The current RFC 6238 code of a user with TOTP enabled.

        Returns:
            Six digits, valid for the current 30-second step.

        Raises:
            KeyError: no user with that id or username.
            ValueError: the user has no TOTP (see ``enable_totp()``).
        """
        totp = (self._require(user_id).get("services") or {}).get("totp") or {}
        if not totp.get("secret"):
            raise ValueError(f"TOTP is not enabled for {user_id}")
        return totp_now(str(totp["secret"]))

    def set_connection_status(self, user_id: str, status: str) -> None:
        """Simulate a client's connection: sets status, statusConnection and _updatedAt.

        Raises:
            ValueError: ``status`` is not ``online``, ``away``, ``busy`` or ``offline``.
            KeyError: no user with that id or username.
        """
        if status not in _STATUSES:
            raise ValueError(f"status must be one of {_STATUSES}")
        user = self._require(user_id)
        user["status"] = status
        user["statusConnection"] = "online" if status == "busy" else status
        self._store.touch(user)

    def add_user(self, **fields: Any) -> dict[str, Any]:
        """Insert a user document directly (no validation). ``password=`` is plain text.

        Missing fields get defaults (``_id``, ``createdAt``/``_updatedAt`` = now, type user,
        active, roles ["user"], status offline).

        Returns:
            A copy of the stored document.
        """
        password = fields.pop("password", None)
        doc: User = copy.deepcopy(fields)
        doc.setdefault("_id", random_id())
        doc.setdefault("services", {})
        doc.setdefault("settings", {})
        if password is not None:
            Store.set_password(doc, str(password))
            self._store.passwords[doc["_id"]] = str(password)
        self._store.insert(doc)
        return copy.deepcopy(doc)

    def get_user(self, id_or_username: str) -> dict[str, Any] | None:
        """A deep copy of the stored document (``services`` included), or None.

        Returns:
            The user document as the server stores it, or None when there is no such user.
        """
        user = self._store.by_id_or_username(id_or_username)
        return copy.deepcopy(user) if user is not None else None

    def login_token(self, user_id: str) -> str:
        """Create a resume token for a user, as a login would (no 2FA).

        Returns:
            The new login token, for ``Session(url, user_id=..., auth_token=...)``.

        Raises:
            KeyError: no user with that id or username.
        """
        user = self._require(user_id)
        token = base64.urlsafe_b64encode(random_id(32).encode()).decode()[:43]
        self._store.add_login_token(user, token, when=now_iso())
        return token


async def serve(port: int = 3000, users: int = 1000, seed: int = 1, host: str = "127.0.0.1"
                ) -> None:
    """Run an emulator until cancelled, printing the admin's credentials.

    Raises:
        OSError: the address cannot be bound.
    """
    async with Emulator(users=users, seed=seed, host=host, port=port) as server:
        admin = server.admin
        print(f"Rocket.Chat emulator on {server.url} ({users} users, seed {seed})")
        print(f"  admin user id:    {admin.user_id}")
        print(f"  admin auth token: {admin.auth_token}")
        print(f"  admin login:      {admin.username} / {admin.password}", flush=True)
        await asyncio.Event().wait()
