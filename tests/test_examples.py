"""The examples keep working: each runs to the end against the embedded emulator, and both web
apps (aiohttp.web, FastAPI under uvicorn) answer their clients with the status codes their
docstrings promise, over real sockets."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDictProxy

import rocketchat_users as rcu
from examples import web_aiohttp, web_fastapi
from rocketchat_users.testing import Emulator, Faults

EXAMPLES = sorted(p for p in (Path(__file__).resolve().parents[1] / "examples").glob("*.py")
                  if p.name != "__init__.py")
# Arguments that make a long-running example do its job once and stop.
ARGS = {"web_aiohttp.py": ["--demo"], "web_fastapi.py": ["--demo"]}
NO_RETRY = rcu.RetryPolicy(attempts=1)


def test_there_are_examples() -> None:
    assert EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(path: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(path), *ARGS.get(path.name, [])],
                          capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


@asynccontextmanager
async def serve_aiohttp(url: str, user_id: str, token: str) -> AsyncIterator[str]:
    runner = web.AppRunner(web_aiohttp.create_app(url, user_id, token, retry=NO_RETRY))
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def serve_fastapi(url: str, user_id: str, token: str) -> AbstractAsyncContextManager[str]:
    # uvicorn on a free loopback port in this event loop, lifespan and all.
    return web_fastapi.serving(web_fastapi.create_app(url, user_id, token, retry=NO_RETRY))


Serve = Callable[[str, str, str], AbstractAsyncContextManager[str]]


@pytest.fixture(params=["aiohttp", "fastapi"])
def serve(request: pytest.FixtureRequest) -> Serve:
    """Start one of the two web apps: each test below runs against both."""
    return serve_aiohttp if request.param == "aiohttp" else serve_fastapi


async def call(method: str, url: str, body: Any = None
               ) -> tuple[int, Any, CIMultiDictProxy[str]]:
    async with aiohttp.ClientSession() as http, http.request(method, url, json=body) as answer:
        return answer.status, await answer.json(), answer.headers


NEW = {"username": "ada.web", "email": "ada.web@example.org", "name": "Ada Web",
       "password": "A-long-Passw0rd!"}


async def test_web_app_happy_paths_and_conflicts(rocketchat_emulator: Emulator,
                                                 serve: Serve) -> None:
    admin = rocketchat_emulator.admin
    async with serve(rocketchat_emulator.url, admin.user_id, admin.auth_token) as base:
        status, created, _ = await call("POST", base + "/users", NEW)
        assert status == 201 and created["username"] == "ada.web"
        assert rocketchat_emulator.get_user("ada.web") is not None
        status, got, _ = await call("GET", base + "/users/ada.web")
        assert (status, got["id"]) == (200, created["id"])
        status, body, _ = await call("POST", base + "/users", NEW)
        assert status == 409 and "already in use" in body["error"]
        status, _, _ = await call("GET", base + "/users/nobody.here")
        assert status == 404
        status, _, _ = await call("POST", base + "/users", {"username": "x"})
        assert status == 400
        # A refused body is not echoed back: the password stays out of the answer.
        status, body, _ = await call("POST", base + "/users", {**NEW, "email": None})
        assert status == 400 and NEW["password"] not in str(body)


async def test_web_app_forbidden_for_a_plain_user(rocketchat_emulator: Emulator,
                                                  serve: Serve) -> None:
    carol = rocketchat_emulator.add_user(username="carol.plain", password="A-long-Passw0rd!")
    token = rocketchat_emulator.login_token(carol["_id"])
    async with serve(rocketchat_emulator.url, carol["_id"], token) as base:
        status, _, _ = await call("POST", base + "/users", NEW)
        assert status == 403
        assert rocketchat_emulator.get_user("ada.web") is None


async def test_web_app_rate_limited_says_when_to_retry(serve: Serve) -> None:
    async with Emulator(users=5, seed=2, rate_limit=(2, 60)) as server:
        dave = server.add_user(username="dave.plain", password="A-long-Passw0rd!")
        token = server.login_token(dave["_id"])
        async with serve(server.url, dave["_id"], token) as base:
            # The limit is 2 calls a minute per route; the app's own users.info is the third.
            first = [(await call("GET", base + "/users/dave.plain"))[0] for _ in range(2)]
            status, _, headers = await call("GET", base + "/users/dave.plain")
    assert first == [200, 200]
    assert status == 429 and 1 <= int(headers["Retry-After"]) <= 60


async def test_web_app_unreachable_server_is_a_bad_gateway(serve: Serve) -> None:
    with socket.socket() as probe:  # a port nobody listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with serve(f"http://127.0.0.1:{port}", "someone", "a-token") as base:
        status, body, _ = await call("GET", base + "/users/anyone")
    assert status == 502 and body == {"error": "Rocket.Chat unreachable"}


async def test_web_app_with_a_wrong_token_is_a_bad_gateway(rocketchat_emulator: Emulator,
                                                           serve: Serve) -> None:
    # The app's own credentials are refused: its client did nothing wrong, so not a 500 nor a 401.
    admin = rocketchat_emulator.admin
    async with serve(rocketchat_emulator.url, admin.user_id, "not-the-token") as base:
        status, body, _ = await call("GET", base + "/users/x")
    assert status == 502 and body == {"error": "Rocket.Chat refused the app's credentials"}
    assert "not-the-token" not in str(body)


async def test_web_app_upstream_html_502_is_a_bad_gateway(serve: Serve) -> None:
    async with Emulator(users=2, seed=4, faults=Faults(bad_gateway=1.0)) as server:
        admin = server.admin
        async with serve(server.url, admin.user_id, admin.auth_token) as base:
            status, body, _ = await call("GET", base + "/users/x")
    assert status == 502 and body == {"error": "Rocket.Chat failed to answer"}


async def test_web_app_undecodable_upstream_answer_is_a_bad_gateway(serve: Serve) -> None:
    async def garbage(request: web.Request) -> web.Response:  # a 200 that is not the API's JSON
        return web.Response(text="<html>maintenance</html>", content_type="text/html")

    upstream = web.Application()
    upstream.router.add_get("/{tail:.*}", garbage)
    runner = web.AppRunner(upstream)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        async with serve(url, "someone", "a-token") as base:
            status, body, _ = await call("GET", base + "/users/x")
    finally:
        await runner.cleanup()
    assert status == 502 and body == {"error": "Rocket.Chat failed to answer"}
