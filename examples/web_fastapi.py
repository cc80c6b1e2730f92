"""A FastAPI app sharing one ``rcu.Session`` across all requests (``pip install '.[examples]'``).

    python examples/web_fastapi.py            # serves on 127.0.0.1:8000 until Ctrl-C / SIGTERM
    python examples/web_fastapi.py --demo     # serves on a free port, calls itself, stops

Without ``ROCKETCHAT_URL`` it starts the embedded emulator and acts as its admin; otherwise set
``ROCKETCHAT_URL``, ``ROCKETCHAT_USER_ID`` and ``ROCKETCHAT_AUTH_TOKEN``.

    GET  /users/{username}   200 with the user, 404 if there is none
    POST /users              201 with the new user; JSON body: username, email, name, password

The same app as ``web_aiohttp.py``. SDK errors become HTTP answers in one exception handler:
not found 404, permission denied 403, a taken username or e-mail 409, rate limited 429 with
``Retry-After``; an upstream that fails (unreachable, a 5xx, an undecodable answer, the app's
own token refused) 502. The Session lives in the lifespan: opened before the first request,
closed on shutdown after uvicorn has let the requests in flight finish.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Annotated, Any

import httpx
import uvicorn
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, SecretStr

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator


class NewUser(BaseModel):
    username: str
    email: str
    name: str
    password: SecretStr  # masked in reprs and logs


def user_json(user: rcu.User) -> dict[str, Any]:
    """What the app shows of a user (never tokens or services)."""
    return {"id": user.id, "username": user.username, "name": user.name,
            "active": user.active, "status": user.status}


def problem(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def upstream_failure(exc: rcu.RocketChatError) -> str:
    """What the app's clients learn of an upstream failure: its kind, no server detail."""
    if isinstance(exc, rcu.TransportError):
        return "Rocket.Chat unreachable"
    if isinstance(exc, rcu.AuthenticationError):  # the app's own token revoked or wrong
        return "Rocket.Chat refused the app's credentials"
    return "Rocket.Chat failed to answer"


async def sdk_error(request: Request, exc: rcu.RocketChatError) -> JSONResponse:
    """Map the SDK's typed errors to what the app's own clients should see."""
    if isinstance(exc, rcu.UserNotFoundError | rcu.NotFoundError):
        # UserNotFoundError is also a BadRequestError (the server says 400): test it first.
        return problem(404, exc.error)
    if isinstance(exc, rcu.PermissionDeniedError):
        return problem(403, "not allowed")
    if isinstance(exc, rcu.RateLimitError):
        wait = math.ceil(exc.retry_after) if exc.retry_after is not None else 60
        return problem(429, "rate limited, retry later", {"Retry-After": str(max(wait, 1))})
    if isinstance(exc, rcu.BadRequestError):
        if exc.error_type == "error-field-unavailable":  # username or e-mail already in use
            return problem(409, exc.error)
        return problem(400, exc.error)
    if isinstance(exc, rcu.TransportError | rcu.ServerError | rcu.ResponseDecodeError
                  | rcu.AuthenticationError):
        # The upstream failed, not the app's client: a bad gateway, never a 500.
        return problem(502, upstream_failure(exc))
    raise exc  # anything else is a bug of the app: a 500, logged by uvicorn


async def bad_body(request: Request, exc: RequestValidationError) -> JSONResponse:
    # FastAPI's default 422 echoes the input back, password included: name the fields only.
    wrong = sorted({str(f) for e in exc.errors() for f in e["loc"] if f in NewUser.model_fields})
    return problem(400, "JSON body with username, email, name and password expected"
                        + (f"; check {', '.join(wrong)}" if wrong else ""))


def rocketchat(request: Request) -> rcu.Session:
    rc: rcu.Session = request.state.rc  # put there by the lifespan
    return rc


RC = Annotated[rcu.Session, Depends(rocketchat)]


def create_app(url: str, user_id: str, auth_token: str,
               retry: rcu.RetryPolicy | None = None) -> FastAPI:
    """The app; its one Session opens at startup and closes at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, rcu.Session]]:
        async with rcu.Session(url, user_id=user_id, auth_token=auth_token, retry=retry) as rc:
            yield {"rc": rc}  # lifespan state: every request sees it as request.state.rc

    app = FastAPI(lifespan=lifespan, exception_handlers={rcu.RocketChatError: sdk_error,
                                                         RequestValidationError: bad_body})

    @app.get("/users/{username}")
    async def get_user(username: str, rc: RC) -> dict[str, Any]:
        return user_json(await rc.users.info(username=username))

    @app.post("/users", status_code=201)
    async def create_user(new: NewUser, rc: RC) -> dict[str, Any]:
        user = await rc.users.create(username=new.username, email=new.email, name=new.name,
                                     password=new.password.get_secret_value())
        return user_json(user)

    return app


@asynccontextmanager
async def serving(app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Run ``app`` under uvicorn in this event loop; yields its base URL; stops it on exit.

    Stopping is uvicorn's graceful shutdown (as on Ctrl-C / SIGTERM): it stops accepting, lets
    the requests in flight finish, then runs the lifespan's shutdown, which closes the Session.
    """
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:  # uvicorn has no "started" event to wait on
            if task.done():  # startup failed (the port is taken, the lifespan raised)
                await task
                raise RuntimeError("uvicorn did not start")
            await asyncio.sleep(0.01)
        yield f"http://{host}:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


async def demo(base: str) -> None:
    """Call the app like one of its clients would."""
    async with httpx.AsyncClient(base_url=base) as http:
        new = {"username": "ada.demo", "email": "ada.demo@example.org", "name": "Ada Demo",
               "password": "A-long-Passw0rd!"}
        for method, path, body in [("POST", "/users", new), ("GET", "/users/ada.demo", None),
                                   ("POST", "/users", new), ("GET", "/users/nobody.here", None)]:
            answer = await http.request(method, path, json=body)
            print(f"{method} {path} -> {answer.status_code} {answer.text}")


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--demo", action="store_true", help="call itself, then stop")
    args = parser.parse_args(argv)
    async with AsyncExitStack() as stack:
        if url := os.environ.get("ROCKETCHAT_URL"):
            user_id, token = os.environ["ROCKETCHAT_USER_ID"], os.environ["ROCKETCHAT_AUTH_TOKEN"]
        else:
            server = await stack.enter_async_context(Emulator(users=50, seed=1))
            url, user_id, token = server.url, server.admin.user_id, server.admin.auth_token
        app = create_app(url, user_id, token)
        if not args.demo:
            # uvicorn's own loop: serves until Ctrl-C / SIGTERM, then shuts down gracefully.
            await uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port)).serve()
            return
        base = await stack.enter_async_context(serving(app, args.host))
        print(f"serving on {base}")
        await demo(base)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
