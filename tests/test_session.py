"""Session lifecycle, connection reuse, and call()'s retry / 2FA / re-login rules.

A tiny aiohttp.web server on 127.0.0.1 plays the server, so each test can make the exact
answer sequence it is about and count what arrived.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import rocketchat_users as rcu

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
OK = {"success": True}
USER = {"_id": "u1", "username": "alice"}


class Fake:
    """Routes by REST name; remembers every request it saw."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.seen: list[web.Request] = []
        self.peers: set[Any] = set()
        self.url = ""

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(request)
        self.peers.add(request.transport.get_extra_info("peername") if request.transport else None)
        return await self.routes[request.match_info["name"]](request)

    def hits(self, name: str) -> int:
        return sum(1 for r in self.seen if r.match_info["name"] == name)


@pytest.fixture
async def fake() -> AsyncIterator[Fake]:
    state = Fake()
    app = web.Application()
    app.router.add_route("*", "/api/v1/{name}", state.dispatch)
    app.router.add_get("/avatar/{subject}", avatar)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    state.url = str(server.make_url("")).rstrip("/")
    yield state
    await server.close()


async def avatar(request: web.Request) -> web.StreamResponse:
    subject = request.match_info["subject"]
    if subject == "loop":  # redirects to itself until aiohttp gives up
        raise web.HTTPFound(f"/avatar/loop?{request.query_string}")
    if subject == "slow":
        await asyncio.sleep(0.4)
    return web.Response(body=b"<svg/>", content_type="image/svg+xml")


def reply(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response(payload, status=status, headers=headers)
    return handler


def sequence(*handlers: Handler) -> Handler:
    pending = list(handlers)

    async def handler(request: web.Request) -> web.StreamResponse:
        current = pending.pop(0) if len(pending) > 1 else pending[0]
        return await current(request)
    return handler


# ---- lifecycle --------------------------------------------------------------------------------


async def test_fifty_sequential_calls_share_one_connection(fake: Fake) -> None:
    fake.routes["users.info"] = reply({"user": USER, **OK})
    async with rcu.Session(fake.url, user_id="u1", auth_token="t") as rc:
        for _ in range(50):
            assert (await rc.users.info(user_id="u1")).username == "alice"
    assert len(fake.seen) == 50
    assert len(fake.peers) == 1


async def test_concurrent_calls_stay_within_max_connections(fake: Fake) -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.05)
        return web.json_response({"user": USER, **OK})
    fake.routes["users.info"] = slow
    async with rcu.Session(fake.url, user_id="u1", auth_token="t", max_connections=3) as rc:
        await asyncio.gather(*(rc.users.info(user_id="u1") for _ in range(12)))
    assert len(fake.seen) == 12 and len(fake.peers) <= 3


async def test_a_callers_client_session_is_used_and_left_open(fake: Fake) -> None:
    fake.routes["me"] = reply({**USER, **OK})
    async with aiohttp.ClientSession() as http:
        async with rcu.Session(fake.url, user_id="u1", auth_token="t", client_session=http) as rc:
            await rc.me()
        assert not http.closed
        async with http.get(f"{fake.url}/api/v1/me") as resp:
            assert resp.status == 200
    assert fake.hits("me") == 2


async def test_use_after_close_is_refused_and_close_is_idempotent(fake: Fake) -> None:
    rc = rcu.Session(fake.url, user_id="u1", auth_token="t")
    await rc.close()
    await rc.close()
    with pytest.raises(RuntimeError, match="closed"):
        await rc.me()
    assert fake.seen == []


def test_constructor_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="base_url"):
        rcu.Session("chat.example.org")
    with pytest.raises(ValueError, match="together"):
        rcu.Session("https://chat.example.org", user_id="u1")
    with pytest.raises(ValueError, match="attempts"):
        rcu.RetryPolicy(attempts=0)


async def test_secrets_stay_out_of_repr_and_logs(
    fake: Fake, caplog: pytest.LogCaptureFixture
) -> None:
    fake.routes["users.info"] = reply({"user": USER, **OK})
    fake.routes["users.getStatus"] = reply({"success": False, "error": "unauthorized"}, 401)
    caplog.set_level(logging.DEBUG, logger="rocketchat_users")
    async with rcu.Session(fake.url, user_id="u1", auth_token="TOKEN-123") as rc:
        assert "TOKEN-123" not in repr(rc)
        await rc.users.info(user_id="u1")
        with pytest.raises(rcu.PermissionDeniedError) as caught:
            await rc.users.get_status()
        avatar = await rc.avatar("alice")
    assert avatar.content == b"<svg/>"
    assert "rc_token=***" in caplog.text  # the avatar URL carries the token: redacted
    assert "users.info" in caplog.text
    assert "TOKEN-123" not in caplog.text + str(caught.value) + repr(caught.value)


# ---- timeouts and transport -------------------------------------------------------------------


async def test_a_call_that_outlives_its_timeout_raises_request_timeout(fake: Fake) -> None:
    async def hang(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(5)
        return web.json_response(OK)
    fake.routes["users.setStatus"] = hang
    async with rcu.Session(fake.url, user_id="u1", auth_token="t") as rc:
        started = time.monotonic()
        with pytest.raises(rcu.RequestTimeoutError) as caught:
            await rc.users.set_status(status="away", timeout=0.3)
        assert time.monotonic() - started < 2
    assert caught.value.sent is True  # the POST went out: its outcome is unknown
    assert fake.hits("users.setStatus") == 1


async def test_connection_refused_is_a_transport_error_that_was_not_sent() -> None:
    # Nothing listens on port 9 of loopback: the connect is refused before anything is written.
    policy = rcu.RetryPolicy(attempts=2, backoff=0.01)
    async with rcu.Session("http://127.0.0.1:9", user_id="u", auth_token="t", retry=policy) as rc:
        with pytest.raises(rcu.TransportError) as caught:
            await rc.users.create(email="a@b.c", name="A", password="p", username="a")
    assert caught.value.sent is False
    assert isinstance(caught.value.__cause__, aiohttp.ClientConnectorError)
    assert "POST users.create" in str(caught.value)


async def test_a_post_whose_connection_drops_after_sending_is_never_resent(fake: Fake) -> None:
    async def drop(request: web.Request) -> web.StreamResponse:
        await request.read()
        assert request.transport is not None
        request.transport.close()
        return web.Response()
    fake.routes["users.create"] = drop
    async with rcu.Session(fake.url, user_id="u1", auth_token="t") as rc:
        with pytest.raises(rcu.TransportError) as caught:
            await rc.users.create(email="a@b.c", name="A", password="p", username="a")
    assert caught.value.sent is True
    assert fake.hits("users.create") == 1


async def test_a_get_whose_connection_drops_is_retried(fake: Fake) -> None:
    async def drop(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()
        return web.Response()
    fake.routes["users.info"] = sequence(drop, reply({"user": USER, **OK}))
    policy = rcu.RetryPolicy(attempts=2, backoff=0.01)
    async with rcu.Session(fake.url, user_id="u1", auth_token="t", retry=policy) as rc:
        assert (await rc.users.info(user_id="u1")).id == "u1"
    assert fake.hits("users.info") == 2


# ---- retry rules ------------------------------------------------------------------------------


async def test_gets_are_retried_on_503_but_posts_are_not(fake: Fake) -> None:
    unavailable = reply({"success": False, "error": "down"}, status=503)
    fake.routes["users.info"] = sequence(unavailable, reply({"user": USER, **OK}))
    fake.routes["users.create"] = sequence(unavailable, reply({"user": USER, **OK}))
    policy = rcu.RetryPolicy(attempts=3, backoff=0.01)
    async with rcu.Session(fake.url, user_id="u1", auth_token="t", retry=policy) as rc:
        assert (await rc.users.info(user_id="u1")).id == "u1"
        with pytest.raises(rcu.ServerError):
            await rc.users.create(email="a@b.c", name="A", password="p", username="a")
    assert fake.hits("users.info") == 2 and fake.hits("users.create") == 1


async def test_a_429_waits_for_the_reset_then_goes_again_even_for_posts(fake: Fake) -> None:
    async def limited(request: web.Request) -> web.StreamResponse:
        reset = int((time.time() + 0.3) * 1000)
        return web.json_response(
            {"success": False, "error": "Error, too many requests. [error-too-many-requests]"},
            status=429,
            headers={"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0",
                     "X-RateLimit-Reset": str(reset)},
        )
    fake.routes["users.setStatus"] = sequence(limited, reply(OK))
    async with rcu.Session(fake.url, user_id="u1", auth_token="t") as rc:
        started = time.monotonic()
        await rc.users.set_status(status="away")
        waited = time.monotonic() - started
    assert fake.hits("users.setStatus") == 2
    assert 0.2 < waited < 3


async def test_attempts_1_never_retries(fake: Fake) -> None:
    fake.routes["users.info"] = reply({"success": False, "error": "x"}, status=502)
    async with rcu.Session(fake.url, user_id="u1", auth_token="t",
                           retry=rcu.RetryPolicy(attempts=1)) as rc:
        with pytest.raises(rcu.ServerError):
            await rc.users.info(user_id="u1")
    assert fake.hits("users.info") == 1


async def test_a_rate_limit_wait_longer_than_the_timeout_gives_the_429_at_once(
    fake: Fake,
) -> None:
    reset = str(int((time.time() + 60) * 1000))
    fake.routes["users.list"] = reply({"success": False, "error": "slow down"}, status=429,
                                      headers={"X-RateLimit-Reset": reset})
    async with rcu.Session(fake.url, user_id="u1", auth_token="t") as rc:
        with pytest.raises(rcu.RateLimitError) as caught:
            await rc.users.list(timeout=2)
    assert caught.value.retry_after is not None and caught.value.retry_after > 50


# ---- two-factor and re-login ------------------------------------------------------------------

TOTP_REQUIRED = {"success": False, "error": "TOTP Required [totp-required]",
                 "errorType": "totp-required",
                 "details": {"method": "password", "codeGenerated": False, "availableMethods": []}}


async def test_the_two_factor_callback_answers_the_challenge(fake: Fake) -> None:
    async def guarded(request: web.Request) -> web.StreamResponse:
        if request.headers.get("X-2fa-Code") is None:
            return web.json_response(TOTP_REQUIRED, status=400)
        return web.json_response({"token": "pat", **OK})
    fake.routes["users.generatePersonalAccessToken"] = guarded
    asked: list[str] = []

    async def two_factor(method: str) -> str:
        asked.append(method)
        return "my password"

    async with rcu.Session(fake.url, user_id="u1", auth_token="t", two_factor=two_factor) as rc:
        assert await rc.users.generate_personal_access_token(token_name="ci") == "pat"
    assert asked == ["password"]
    last = fake.seen[-1]
    # method "password": the SHA-256 hex digest goes on the wire, never the password
    assert last.headers["X-2fa-Code"] == hashlib.sha256(b"my password").hexdigest()
    assert last.headers["X-2fa-Method"] == "password"


async def test_without_a_callback_the_challenge_is_raised(fake: Fake) -> None:
    fake.routes["users.resetTOTP"] = reply(TOTP_REQUIRED, status=400)
    async with rcu.Session(fake.url, user_id="u1", auth_token="t") as rc:
        with pytest.raises(rcu.TwoFactorRequiredError) as caught:
            await rc.users.reset_totp()
    assert caught.value.method == "password"
    assert fake.hits("users.resetTOTP") == 1


async def test_an_expired_token_logs_in_once_for_all_waiting_tasks(fake: Fake) -> None:
    logins = 0
    tokens = iter(["first", "second", "third"])

    async def login(request: web.Request) -> web.StreamResponse:
        nonlocal logins
        logins += 1
        token = next(tokens)
        return web.json_response({"status": "success", "success": True,
                                  "data": {"userId": "u1", "authToken": token, "me": USER}})

    current = {"token": ""}

    async def info(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.02)
        if request.headers.get("X-Auth-Token") != current["token"]:
            return web.json_response({"success": False, "status": "error",
                                      "error": "You must be logged in to do this.",
                                      "message": "You must be logged in to do this."},
                                     status=401)
        return web.json_response({"user": USER, **OK})

    fake.routes["login"] = login
    fake.routes["users.info"] = info
    async with rcu.Session(fake.url) as rc:
        await rc.login("alice", "pw")
        current["token"] = "second"  # the server expired "first"
        results = await asyncio.gather(*(rc.users.info(user_id="u1") for _ in range(5)))
    assert [u.id for u in results] == ["u1"] * 5
    assert logins == 2


async def test_a_token_given_by_the_caller_is_not_replaced(fake: Fake) -> None:
    fake.routes["me"] = reply({"success": False, "error": "You must be logged in to do this."},
                              status=401)
    async with rcu.Session(fake.url, user_id="u1", auth_token="pat") as rc:
        with pytest.raises(rcu.AuthenticationError):
            await rc.me()
    assert fake.hits("me") == 1


# ---- review fixes ------------------------------------------------------------------------------


async def test_a_failed_relogin_is_tried_once_and_not_again(fake: Fake) -> None:
    logins = 0

    async def login(request: web.Request) -> web.StreamResponse:
        nonlocal logins
        logins += 1
        if logins == 1:
            return web.json_response({"status": "success", "success": True,
                                      "data": {"userId": "u1", "authToken": "first", "me": USER}})
        return web.json_response({"success": False, "status": "error", "error": "Unauthorized",
                                  "message": "Unauthorized"}, status=401)

    fake.routes["login"] = login
    fake.routes["users.getStatus"] = reply(
        {"success": False, "error": "You must be logged in to do this."}, status=401)
    async with rcu.Session(fake.url) as rc:
        await rc.login("bob", "old password")  # then an admin changes bob's password
        outcomes = await asyncio.gather(*(rc.users.get_status() for _ in range(10)),
                                        return_exceptions=True)
        assert all(isinstance(o, rcu.AuthenticationError) for o in outcomes)
        with pytest.raises(rcu.AuthenticationError):
            await rc.users.get_status()
    # One failed re-login for all ten tasks, none for the call after: the server blocks a user
    # after 10 failed logins (server-behavior §2.3).
    assert logins == 2


async def silent(request: web.Request) -> web.StreamResponse:
    await asyncio.sleep(10)
    return web.json_response({"user": USER, **OK})


async def silent_midway(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "application/json"})
    await resp.prepare(request)
    await resp.write(b'{"success": true, "user": ')
    await asyncio.sleep(10)
    return resp


@pytest.mark.parametrize("first", [silent, silent_midway], ids=["no answer", "stalls midway"])
async def test_a_silent_get_is_retried_within_its_budget(fake: Fake, first: Handler) -> None:
    fake.routes["users.info"] = sequence(first, reply({"user": USER, **OK}))
    async with rcu.Session(fake.url, user_id="u1", auth_token="t") as rc:
        started = time.monotonic()
        assert (await rc.users.info(user_id="u1", timeout=3)).id == "u1"
        assert time.monotonic() - started < 2.5
    assert fake.hits("users.info") == 2


async def test_a_silent_get_is_retried_on_a_callers_client_session(fake: Fake) -> None:
    fake.routes["users.info"] = sequence(silent, reply({"user": USER, **OK}))
    async with aiohttp.ClientSession() as http:
        async with rcu.Session(fake.url, user_id="u1", auth_token="t", client_session=http) as rc:
            started = time.monotonic()
            assert (await rc.users.info(user_id="u1", timeout=3)).id == "u1"
            assert time.monotonic() - started < 2.5
    assert fake.hits("users.info") == 2


async def test_a_get_waiting_for_a_pooled_connection_keeps_its_share(fake: Fake) -> None:
    # One connection, two GETs: the second waits 0.8 s for it, then its answer takes 0.5 s.
    # Its first try's share (a third of 3 s) counts from when it has the connection, so the
    # wait does not make it give up and send the request again.
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.8 if request.query["userId"] == "first" else 0.5)
        return web.json_response({"user": USER, **OK})
    fake.routes["users.info"] = slow
    async with rcu.Session(fake.url, user_id="u1", auth_token="t", max_connections=1) as rc:
        first = asyncio.ensure_future(rc.users.info(user_id="first", timeout=3))
        await asyncio.sleep(0.05)
        second = await rc.users.info(user_id="second", timeout=3)
        assert second.id == "u1" and (await first).id == "u1"
    assert [r.query["userId"] for r in fake.seen] == ["first", "second"]


async def test_a_short_timeout_ends_on_time_beside_longer_calls(fake: Fake) -> None:
    async def hang(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(5)
        return web.json_response({"user": USER, **OK})
    fake.routes["users.info"] = hang
    fake.routes["users.getStatus"] = reply({"_id": "u1", "status": "online", **OK})
    once = rcu.RetryPolicy(attempts=1)  # the whole budget for the one try
    async with rcu.Session(fake.url, user_id="u1", auth_token="t", retry=once) as rc:
        # A finished call's deadline (the earliest) and a long call in flight come first: the
        # short call's deadline must still end it at its own time.
        await rc.users.get_status(timeout=0.2)
        long = asyncio.ensure_future(rc.users.info(user_id="long", timeout=30))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        with pytest.raises(rcu.RequestTimeoutError):
            await rc.users.info(user_id="short", timeout=0.4)
        assert 0.35 < time.monotonic() - started < 1.5
        assert not long.done()
        # Cancelled from outside, a call is cancelled: not turned into a timeout.
        long.cancel()
        with pytest.raises(asyncio.CancelledError):
            await long


async def test_many_calls_leave_no_deadlines_behind(fake: Fake) -> None:
    fake.routes["users.getStatus"] = reply({"_id": "u1", "status": "online", **OK})
    fake.routes["users.setStatus"] = reply(OK)
    async with rcu.Session(fake.url, user_id="u1", auth_token="t") as rc:
        heap = rc._deadlines._heap
        for _ in range(400):
            await rc.users.get_status()
        # The finished calls' deadlines (30 s away) are dropped, not kept until they pass,
        # and those still kept hold no task (whose result may be a whole page of users).
        assert len(heap) < 100
        assert all(alarm.task is None for _, _, alarm in heap)
        for i in range(400):
            # A budget that shrinks call by call (one deadline for a whole job): each deadline
            # is the earliest so far (before the GETs' shares of ~10 s; POSTs have none).
            await rc.users.set_status(status="online", timeout=8 - i * 0.01)
        assert len(heap) < 100


async def test_a_steady_but_long_answer_is_not_cut_by_the_share(fake: Fake) -> None:
    # An answer that flows without pause but takes longer than a try's share (1 s of 3) to
    # arrive, like a big users.list on a slow link: only silence ends a try.
    async def streaming(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        await resp.prepare(request)
        await resp.write(b'{"success": true, "user": {"_id": "u1", "username": "alice"}')
        for _ in range(16):
            await asyncio.sleep(0.1)
            await resp.write(b" " * 64)
        await resp.write(b"}")
        await resp.write_eof()
        return resp
    fake.routes["users.info"] = streaming
    async with rcu.Session(fake.url, user_id="u1", auth_token="t") as rc:
        started = time.monotonic()
        assert (await rc.users.info(user_id="u1", timeout=3)).id == "u1"
        assert time.monotonic() - started < 2.5
    assert fake.hits("users.info") == 1


async def test_a_share_with_no_time_left_is_a_request_timeout(fake: Fake) -> None:
    async def hang(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(5)
        return web.json_response({"user": USER, **OK})
    fake.routes["users.info"] = hang
    retry = rcu.RetryPolicy(attempts=2, backoff=10)  # the backoff cannot fit in the budget
    async with rcu.Session(fake.url, user_id="u1", auth_token="t", retry=retry) as rc:
        with pytest.raises(rcu.RequestTimeoutError):
            await rc.users.info(user_id="u1", timeout=1)


async def test_an_outside_cancel_in_the_step_a_share_rings_stays_a_cancel(fake: Fake) -> None:
    # The loop is blocked (a CPU-heavy callback) across both the caller's cancel (0.9 s) and
    # the first try's share (~1 s): both run in the one loop step after it.
    async def hang(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(2.5)
        return web.json_response({"user": USER, **OK})
    fake.routes["users.info"] = hang
    loop = asyncio.get_running_loop()
    async with rcu.Session(fake.url, user_id="u1", auth_token="t") as rc:
        task = asyncio.ensure_future(rc.users.info(user_id="u1", timeout=3))
        loop.call_later(0.9, task.cancel)
        loop.call_later(0.5, time.sleep, 0.8)  # blocks the loop from 0.5 s to 1.3 s
        started = time.monotonic()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - started < 1.6


async def test_a_share_and_the_deadline_ringing_together_is_a_request_timeout(fake: Fake) -> None:
    async def hang(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(3)
        return web.json_response({"user": USER, **OK})
    fake.routes["users.info"] = hang
    loop = asyncio.get_running_loop()
    async with rcu.Session(fake.url, user_id="u1", auth_token="t",
                           retry=rcu.RetryPolicy(attempts=2)) as rc:
        task = asyncio.ensure_future(rc.users.info(user_id="u1", timeout=1))
        loop.call_later(0.3, time.sleep, 0.9)  # blocks the loop across the share and deadline
        with pytest.raises(rcu.RequestTimeoutError):
            await task


async def test_a_relogin_past_the_deadline_is_the_calls_own_timeout(fake: Fake) -> None:
    logins = 0

    async def login(request: web.Request) -> web.StreamResponse:
        nonlocal logins
        logins += 1
        if logins > 1:
            await asyncio.sleep(2)  # the re-login hangs
        return web.json_response({"status": "success", "success": True,
                                  "data": {"userId": "u1", "authToken": f"t{logins}",
                                           "me": USER}})
    fake.routes["login"] = login
    fake.routes["users.info"] = reply(
        {"success": False, "error": "You must be logged in to do this."}, status=401)
    async with rcu.Session(fake.url) as rc:
        await rc.login("alice", "pw")
        started = time.monotonic()
        with pytest.raises(rcu.RequestTimeoutError) as caught:
            await rc.users.info(user_id="u1", timeout=0.5)
        assert 0.4 < time.monotonic() - started < 1.0
        assert caught.value.endpoint == "GET users.info"
        # Nothing is left behind: the re-login lock is free and the next call works.
        fake.routes["users.info"] = reply({"user": USER, **OK})
        assert (await rc.users.info(user_id="u1", timeout=1)).id == "u1"


async def test_a_slow_two_factor_callback_ends_at_the_deadline(fake: Fake) -> None:
    totp = {"success": False, "error": "TOTP Required [totp-required]",
            "errorType": "totp-required",
            "details": {"method": "totp", "codeGenerated": False, "availableMethods": []}}
    fake.routes["users.resetTOTP"] = reply(totp, status=400)

    async def two_factor(method: str) -> str:
        await asyncio.sleep(3)
        return "123456"

    async with rcu.Session(fake.url, user_id="u1", auth_token="t", two_factor=two_factor) as rc:
        started = time.monotonic()
        with pytest.raises(rcu.RequestTimeoutError):
            await rc.users.reset_totp(timeout=0.5)
        assert time.monotonic() - started < 1.0


async def test_an_outside_cancel_of_a_call_waiting_for_the_pool_is_a_cancel(fake: Fake) -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.6)
        return web.json_response({"user": USER, **OK})
    fake.routes["users.info"] = slow
    async with rcu.Session(fake.url, user_id="u1", auth_token="t", max_connections=1) as rc:
        first = asyncio.ensure_future(rc.users.info(user_id="a", timeout=3))
        await asyncio.sleep(0.05)
        second = asyncio.ensure_future(rc.users.info(user_id="b", timeout=3))
        await asyncio.sleep(0.1)
        second.cancel()
        with pytest.raises(asyncio.CancelledError):
            await second
        assert (await first).id == "u1"
        assert rc._deadlines._live == 0


async def test_a_timer_that_fires_a_little_early_still_rings_its_alarm() -> None:
    # uvloop rounds timer delays to whole milliseconds: its timer may fire ~0.5 ms early.
    from rocketchat_users._deadlines import Deadlines

    deadlines = Deadlines()
    loop = asyncio.get_running_loop()
    alarm = deadlines.start(loop.time() + 0.0004)
    deadlines._ring()  # as its timer firing 0.4 ms before the alarm's time
    assert alarm.rang  # not left for a timer re-armed again and again until it is due
    with pytest.raises(asyncio.CancelledError):
        await asyncio.sleep(5)
    assert deadlines.stop(alarm)


async def test_a_backoff_past_the_deadline_gives_the_transport_error() -> None:
    slow = rcu.RetryPolicy(attempts=3, backoff=10)
    async with rcu.Session("http://127.0.0.1:9", user_id="u", auth_token="t", retry=slow) as rc:
        started = time.monotonic()
        with pytest.raises(rcu.TransportError) as caught:
            await rc.users.info(user_id="u1", timeout=1)
        assert time.monotonic() - started < 0.5
    assert type(caught.value) is rcu.TransportError and caught.value.sent is False


async def test_a_wrong_explicit_code_does_not_ask_the_callback(fake: Fake) -> None:
    fake.routes["users.resetTOTP"] = reply(
        {"success": False, "error": "TOTP Invalid [totp-invalid]", "errorType": "totp-invalid",
         "details": {"method": "totp"}}, status=400)
    asked: list[str] = []

    async def two_factor(method: str) -> str:
        asked.append(method)
        return "123456"

    async with rcu.Session(fake.url, user_id="u1", auth_token="t", two_factor=two_factor) as rc:
        with pytest.raises(rcu.TwoFactorRequiredError) as caught:
            await rc.users.reset_totp(two_factor_code="000000", two_factor_method="totp")
    assert caught.value.invalid and asked == [] and fake.hits("users.resetTOTP") == 1


async def test_get_avatar_spends_one_budget_on_both_requests(fake: Fake) -> None:
    async def redirect(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.4)
        return web.json_response(f"{fake.url}/avatar/slow", status=307,
                                 headers={"Location": f"{fake.url}/avatar/slow"})
    fake.routes["users.getAvatar"] = redirect
    async with rcu.Session(fake.url, user_id="u1", auth_token="t",
                           retry=rcu.RetryPolicy(attempts=1)) as rc:
        started = time.monotonic()
        with pytest.raises(rcu.RequestTimeoutError):
            await rc.users.get_avatar(username="slow", timeout=0.6)
        assert time.monotonic() - started < 0.9


async def test_rc_token_is_not_in_the_chained_aiohttp_error(fake: Fake) -> None:
    import traceback

    async with rcu.Session(fake.url, user_id="u1", auth_token="t",
                           retry=rcu.RetryPolicy(attempts=1)) as rc:
        with pytest.raises(rcu.TransportError) as caught:
            await rc.avatar("loop", rc_token="RCTOKENSECRET")
    # What a traceback prints of each exception in the chain (its source lines aside).
    chained: list[BaseException] = []
    exc: BaseException | None = caught.value
    while exc is not None:
        chained.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    text = "".join("".join(traceback.format_exception_only(e)) for e in chained)
    assert "RCTOKENSECRET" not in text and "rc_token=***" in text


@pytest.mark.parametrize(("call", "error", "argument"), [
    (lambda rc: rc.users.list(count="5"), TypeError, "count"),
    (lambda rc: rc.users.deactivate_idle(days_idle="3"), TypeError, "days_idle"),
    (lambda rc: rc.users.presence(from_=__import__("datetime").datetime(2026, 1, 1)),
     ValueError, "from_"),
    (lambda rc: rc.moderation.report_user(user_id="u", description=None), TypeError,
     "description"),
    (lambda rc: rc.users.info(user_id="u", timeout=0), ValueError, "timeout"),
    (lambda rc: rc.users.info(user_id="u", timeout="5"), TypeError, "timeout"),
])
async def test_argument_mistakes_name_the_argument(
    fake: Fake, call: Any, error: type[Exception], argument: str
) -> None:
    async with rcu.Session(fake.url, user_id="u1", auth_token="t") as rc:
        with pytest.raises(error, match=argument):
            await call(rc)
    assert fake.seen == []
    with pytest.raises(TypeError, match="timeout"):
        rcu.Session(fake.url, timeout="5")  # type: ignore[arg-type]
