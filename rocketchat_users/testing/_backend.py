"""The request pipeline shared by every route (server-behavior.md §3.4, newest order).

auth (401) → schema validation (400) → rate limit (429) → permissions (403) → 2FA (400) →
handler. Faults (latency, 502 pages, dropped connections) are injected before all of it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from aiohttp import web

from ._faults import Faults, PostRecord
from ._ratelimit import RateLimiter
from ._routing import Ctx, Route, validate
from ._store import Store
from ._twofactor import Challenge, TwoFactor
from ._wire import ApiError, decode, json_response, not_logged_in, permission_denied

log = logging.getLogger("rocketchat_users.testing")
REQUEST_LOG_LIMIT = 100_000  # requests kept in Emulator.request_log (the newest)

_BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


@dataclass
class FaultState:
    latency: float = 0.0
    plan: Faults = field(default_factory=Faults)
    rng: random.Random = field(default_factory=random.Random)


@dataclass
class Backend:
    store: Store
    twofactor: TwoFactor
    limiter: RateLimiter | None
    faults: FaultState
    request_log: list[tuple[str, str]] = field(default_factory=list)
    post_log: list[PostRecord] = field(default_factory=list)
    # Failed login timestamps per "user:<id>" / "ip:<addr>" (§2.3 brute-force block).
    login_failures: dict[str, list[float]] = field(default_factory=dict)

    @property
    def settings(self) -> dict[str, Any]:
        return self.store.settings

    @property
    def url(self) -> str:
        return str(self.store.settings["Site_Url"])

    # ----------------------------------------------------------------- rules
    def rate_rule(self, route: Route) -> tuple[int, float] | None:
        """§6.1: the default rule, or a route's own limit."""
        if route.rate == "none" or self.limiter is None:
            return None
        if not self.settings["API_Enable_Rate_Limiter"]:
            return None
        if route.rate == "register":
            return (int(self.settings["Rate_Limiter_Limit_RegisterUser"]), 60.0)
        if route.rate == "one-per-minute":
            return (1, 60.0)
        if route.rate == "set-status":
            return (5, 60.0)
        if self.limiter.default is not None:
            return self.limiter.default  # an explicit Emulator(rate_limit=(calls, seconds))
        # The live settings, read per request so that changing them takes effect at once.
        return (int(self.settings["API_Enable_Rate_Limiter_Limit_Calls_Default"]),
                float(self.settings["API_Enable_Rate_Limiter_Limit_Time_Default"]) / 1000)


def parse_query(request: web.Request) -> dict[str, Any]:
    """``qs`` semantics: ``a[]=x`` and repeated ``a=x&a=y`` both give arrays (§1)."""
    out: dict[str, Any] = {}
    for raw_key, value in request.query.items():
        key, is_array = (raw_key[:-2], True) if raw_key.endswith("[]") else (raw_key, False)
        if key in out:
            current = out[key]
            out[key] = [*current, value] if isinstance(current, list) else [current, value]
        else:
            out[key] = [value] if is_array else value
    return out


async def parse_body(request: web.Request) -> dict[str, Any]:
    """G8 body parsing (§1) by Content-Type: ``application/json`` → JSON,
    ``application/x-www-form-urlencoded`` → a flat form; anything else (``text/plain``, no
    header at all) is read as text, which is no object. Any failure, an empty body or a
    non-object becomes ``{}``.
    """
    if not request.body_exists:  # (not can_read_body: the fault middleware may have read it)
        return {}
    ctype = request.content_type
    try:
        if ctype == "application/x-www-form-urlencoded":
            form = await request.post()
            return {k: v for k, v in form.items() if isinstance(v, str)}
        raw = await request.read()
        if not raw or ctype != "application/json":
            return {}
        value = decode(raw)
    except Exception:
        return {}
    return value if isinstance(value, dict) else {}


def make_handler(backend: Backend, route: Route
                 ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        ctx = Ctx(request=request, backend=backend, route=route, params={})
        try:
            return await _run(ctx)
        except ApiError as exc:
            return json_response(exc.body, exc.status, {**ctx.headers, **exc.headers})
        except Exception:
            log.exception("emulator: %s failed", route.name)
            return json_response({"success": False, "error": "Internal server error"}, 500)

    return handle


async def _run(ctx: Ctx) -> web.StreamResponse:
    backend, route, request = ctx.backend, ctx.route, ctx.request
    if request.method == "GET":
        ctx.params = parse_query(request)
    elif not route.raw_body:
        ctx.params = await parse_body(request)
    _authenticate(ctx)
    if route.auth and ctx.user is None:
        raise not_logged_in()
    if ctx.user is not None and not ctx.user.get("username") and not route.allow_no_username \
            and route.auth:
        # §2.1: G8 refuses users without a username except on a few routes.
        raise ApiError(403, {"success": False,
                             "error": "Users must have a username [error-unauthorized]"})
    if route.schema is not None and not route.raw_body:
        ctx.params = validate(ctx.params, route.schema, query=request.method == "GET")
    rule = backend.rate_rule(route)
    if rule is not None and backend.limiter is not None and not ctx.can("api-bypass-rate-limit"):
        ip = request.remote or "127.0.0.1"
        ctx.headers.update(backend.limiter.hit(ip, f"{request.method} {route.name}", rule))
    if route.permissions and not any(ctx.can(p) for p in route.permissions):
        raise permission_denied()
    if route.two_factor is not None and ctx.user is not None:
        backend.twofactor.check(
            ctx.user, ctx.token_entry,
            request.headers.get("X-2fa-Code"), request.headers.get("X-2fa-Method"),
            Challenge(disable_remember_me=route.two_factor == "no-remember"),
        )
    result = await route.handler(ctx)
    if isinstance(result, web.StreamResponse):
        result.headers.update(ctx.headers)
        return result
    return json_response({**result, "success": True}, 200, ctx.headers)


def _authenticate(ctx: Ctx) -> None:
    """§2.1: both headers; the token is compared by its base64(sha256) hash."""
    user_id = ctx.request.headers.get("X-User-Id")
    token = ctx.request.headers.get("X-Auth-Token")
    if not user_id or not token:
        return
    user = ctx.backend.store.by_id(user_id)
    if user is None or not user.get("active", True):
        return
    entry = ctx.backend.store.find_token(user, token)
    if entry is None:
        return
    ctx.user, ctx.token, ctx.token_entry = user, token, entry


def build_middlewares(backend: Backend) -> Iterable[Any]:
    @web.middleware
    async def faults(request: web.Request,
                     handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                     ) -> web.StreamResponse:
        requests = backend.request_log
        requests.append((request.method, request.path))
        if len(requests) > REQUEST_LOG_LIMIT:
            # A long-running `rocketchat-users emulator` must not grow without bound.
            del requests[: len(requests) - REQUEST_LOG_LIMIT // 2]
        record = None
        if request.method == "POST":
            # The body is read here (aiohttp keeps it for the handler) so that the log holds
            # it even when a fault strikes before the handler. Multipart stays unread.
            raw = await request.read() if request.content_type == "application/json" else b""
            record = PostRecord(request.path.rsplit("/", 1)[-1], raw)
            posts = backend.post_log
            posts.append(record)
            if len(posts) > REQUEST_LOG_LIMIT:
                del posts[: len(posts) - REQUEST_LOG_LIMIT // 2]
        fault = backend.faults
        if fault.latency > 0:
            await asyncio.sleep(fault.latency)
        plan = fault.plan
        lost = False
        if plan.any:
            draw = fault.rng.random()
            if draw < plan.drop:
                _drop(request)
            draw -= plan.drop
            if draw < plan.bad_gateway:
                if record is not None:
                    record.status = 502
                return web.Response(body=_BAD_GATEWAY, status=502, content_type="text/html")
            draw -= plan.bad_gateway
            if draw < plan.lost_answer:
                lost = True
            elif draw - plan.lost_answer < plan.slow:
                await asyncio.sleep(plan.slow_seconds)
        response = await handler(request)
        if record is not None:
            record.applied = 200 <= response.status < 300
            if not lost:
                record.status = response.status
                record.error_type = _error_type(response)
        if lost:
            _drop(request)
        return response

    return [faults]


def _error_type(response: web.StreamResponse) -> str | None:
    if response.status < 400 or not isinstance(response, web.Response) or not response.body:
        return None
    try:
        body = decode(bytes(response.body))  # type: ignore[arg-type]
    except Exception:
        return None
    error_type = body.get("errorType") if isinstance(body, dict) else None
    return error_type if isinstance(error_type, str) else None


def _drop(request: web.Request) -> NoReturn:
    """Close the connection with no answer: the client sees it end mid-request."""
    if request.transport is not None:
        request.transport.close()
    raise asyncio.CancelledError
