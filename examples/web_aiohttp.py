"""An aiohttp.web app sharing one ``rcu.Session`` across all requests.

    python examples/web_aiohttp.py            # serves on 127.0.0.1:8080 until Ctrl-C / SIGTERM
    python examples/web_aiohttp.py --demo     # serves on a free port, calls itself, stops

Without ``ROCKETCHAT_URL`` it starts the embedded emulator and acts as its admin; otherwise set
``ROCKETCHAT_URL``, ``ROCKETCHAT_USER_ID`` and ``ROCKETCHAT_AUTH_TOKEN``.

    GET  /users/{username}   200 with the user, 404 if there is none
    POST /users              201 with the new user; JSON body: username, email, name, password

SDK errors become HTTP answers in one middleware (``sdk_errors``): not found 404, permission
denied 403, a taken username or e-mail 409, rate limited 429 with ``Retry-After``; an upstream
that fails (unreachable, a 5xx, an undecodable answer, the app's own token refused) 502. The
Session lives in a cleanup context: opened before the first request, closed after the last one
on shutdown.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

from aiohttp import ClientSession, web

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator

RC = web.AppKey("rc", rcu.Session)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def user_json(user: rcu.User) -> dict[str, Any]:
    """What the app shows of a user (never tokens or services)."""
    return {"id": user.id, "username": user.username, "name": user.name,
            "active": user.active, "status": user.status}


def problem(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


def upstream_failure(exc: rcu.RocketChatError) -> str:
    """What the app's clients learn of an upstream failure: its kind, no server detail."""
    if isinstance(exc, rcu.TransportError):
        return "Rocket.Chat unreachable"
    if isinstance(exc, rcu.AuthenticationError):  # the app's own token revoked or wrong
        return "Rocket.Chat refused the app's credentials"
    return "Rocket.Chat failed to answer"


@web.middleware
async def sdk_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map the SDK's typed errors to what the app's own clients should see."""
    try:
        return await handler(request)
    except (rcu.UserNotFoundError, rcu.NotFoundError) as exc:
        # UserNotFoundError is also a BadRequestError (the server says 400): catch it first.
        return problem(404, exc.error)
    except rcu.PermissionDeniedError:
        return problem(403, "not allowed")
    except rcu.RateLimitError as exc:
        wait = math.ceil(exc.retry_after) if exc.retry_after is not None else 60
        return problem(429, "rate limited, retry later", {"Retry-After": str(max(wait, 1))})
    except rcu.BadRequestError as exc:
        if exc.error_type == "error-field-unavailable":  # username or e-mail already in use
            return problem(409, exc.error)
        return problem(400, exc.error)
    except (rcu.TransportError, rcu.ServerError, rcu.ResponseDecodeError,
            rcu.AuthenticationError) as exc:
        # The upstream failed, not the app's client: a bad gateway, never a 500.
        return problem(502, upstream_failure(exc))


async def get_user(request: web.Request) -> web.Response:
    user = await request.app[RC].users.info(username=request.match_info["username"])
    return web.json_response(user_json(user))


async def create_user(request: web.Request) -> web.Response:
    try:
        body = await request.json()
        fields = {key: body[key] for key in ("username", "email", "name", "password")}
    except (ValueError, TypeError, KeyError):
        return problem(400, "JSON body with username, email, name and password expected")
    if not all(isinstance(value, str) for value in fields.values()):
        return problem(400, "username, email, name and password must be strings")
    user = await request.app[RC].users.create(**fields)
    return web.json_response(user_json(user), status=201)


def create_app(url: str, user_id: str, auth_token: str,
               retry: rcu.RetryPolicy | None = None) -> web.Application:
    """The app; its one Session opens at startup and closes at cleanup."""

    async def rocketchat(app: web.Application) -> AsyncIterator[None]:
        async with rcu.Session(url, user_id=user_id, auth_token=auth_token, retry=retry) as rc:
            app[RC] = rc
            yield

    app = web.Application(middlewares=[sdk_errors])
    app.cleanup_ctx.append(rocketchat)
    app.add_routes([web.get("/users/{username}", get_user), web.post("/users", create_user)])
    return app


async def demo(base: str) -> None:
    """Call the app like one of its clients would."""
    async with ClientSession() as http:
        new = {"username": "ada.demo", "email": "ada.demo@example.org", "name": "Ada Demo",
               "password": "A-long-Passw0rd!"}
        for method, path, body in [("POST", "/users", new), ("GET", "/users/ada.demo", None),
                                   ("POST", "/users", new), ("GET", "/users/nobody.here", None)]:
            async with http.request(method, base + path, json=body) as answer:
                print(f"{method} {path} -> {answer.status} {await answer.text()}")


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--demo", action="store_true", help="call itself, then stop")
    args = parser.parse_args(argv)
    async with AsyncExitStack() as stack:
        if url := os.environ.get("ROCKETCHAT_URL"):
            user_id, token = os.environ["ROCKETCHAT_USER_ID"], os.environ["ROCKETCHAT_AUTH_TOKEN"]
        else:
            server = await stack.enter_async_context(Emulator(users=50, seed=1))
            url, user_id, token = server.url, server.admin.user_id, server.admin.auth_token
        runner = web.AppRunner(create_app(url, user_id, token))
        await runner.setup()
        # Cleanup runs the cleanup context: in-flight requests finish, then the Session closes.
        stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, args.host, 0 if args.demo else args.port)
        await site.start()
        port = runner.addresses[0][1]
        print(f"serving on http://{args.host}:{port}")
        if args.demo:
            await demo(f"http://{args.host}:{port}")
            return
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
