"""Every request the SDK can send fits Rocket.Chat 8.8.1's schemas — the emulator's own data.

A recording server on 127.0.0.1 runs each request through the emulator's parser and validator
(``_backend.parse_query``/``parse_body``, ``_routing.validate`` over ``_schemas.SCHEMAS``) and
answers ``{"success": true}``. Each public method is called minimally and with every optional
argument; the SDK may then fail to decode that answer, which does not matter here: what it sent
is what is checked. So the SDK and the emulator cannot drift apart silently.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from aiohttp import web

import rocketchat_users as rcu
from rocketchat_users.testing._backend import parse_body, parse_query
from rocketchat_users.testing._routing import validate
from rocketchat_users.testing._schemas import SCHEMAS
from rocketchat_users.testing._wire import ApiError

NOW = datetime.now(timezone.utc)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
NO_SCHEMA = {"login", "logout", "me"}  # not typed users.* routes (§2)
PREFS = rcu.Preferences(
    also_send_thread_to_channel="always", use_emojis=False, highlights=["deploy"],
    dont_ask_again_list=[rcu.DontAskAgain(action="a", label="b")],
    features_preview=[rcu.FeaturePreview(name="n", value=True)], language="de",
    status_visibility_denied=["u1"], voip_ringer_volume=50, utc_offset=5.5, master_volume=80,
    omnichannel_transcript_pdf=True, desktop_notification_voice_calls=True,
)
TWO_FA = {"two_factor_code": "123456", "two_factor_method": "totp"}

# (method, keyword arguments): each method minimally, then with every optional argument.
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("users.info", {"user_id": "u1"}),
    ("users.info", {"username": "a", "include_user_rooms": True, "timeout": 5}),
    ("users.info", {"import_id": "i1"}),
    ("users.info", {"email": "a@example.com"}),
    ("users.list", {}),
    ("users.list", {"query": {"active": True}, "fields": {"name": 1}, "sort": {"name": -1},
                    "offset": 10, "count": 5, "email": "a@example.com", "timeout": 5}),
    ("users.list_by_status", {}),
    ("users.list_by_status", {"status": "active", "has_logged_in": False, "type": "user",
                              "roles": ["admin"], "search_term": "a",
                              "inactive_reason": ["idle_too_long"], "sort": {"username": 1},
                              "offset": 1, "count": 2, "timeout": 5}),
    ("users.autocomplete", {"selector": {"term": "a"}}),
    ("users.autocomplete", {"selector": {"term": "a"}, "timeout": 5}),
    ("users.check_username_availability", {"username": "a", "timeout": 5}),
    ("users.get_username_suggestion", {"timeout": 5}),
    ("users.list_teams", {"user_id": "u1", "timeout": 5}),
    ("users.request_data_download", {}),
    ("users.request_data_download", {"full_export": True, "timeout": 5}),
    ("users.get_status", {}),
    ("users.get_status", {"user_id": "u1", "timeout": 5}),
    ("users.get_status", {"username": "a"}),
    ("users.get_presence", {}),
    ("users.get_presence", {"user_id": "u1", "timeout": 5}),
    ("users.get_presence", {"username": "a"}),
    ("users.presence", {}),
    ("users.presence", {"from_": NOW - timedelta(minutes=1), "timeout": 5}),
    ("users.presence", {"from_": "2026-01-02T03:04:05.678Z"}),
    # Far past the parser's 500 values per key: chunked, each chunk checked on its own.
    ("users.presence", {"ids": [f"id{i:05d}" for i in range(1_234)]}),
    ("users.set_status", {"status": "away"}),
    ("users.set_status", {"message": "lunch"}),
    ("users.set_status", {"status": "busy", "message": "m", "expires_at": NOW + timedelta(1),
                          "user_id": "u1", "timeout": 5}),
    ("users.set_status", {"status": "online", "username": "a"}),
    ("users.create", {"email": "a@example.com", "name": "A", "password": "p", "username": "a"}),
    ("users.create", {"email": "a@example.com", "name": "A", "password": "p", "username": "a",
                      "active": True, "bio": "b", "nickname": "n", "status_text": "s",
                      "roles": ["user"], "join_default_channels": False,
                      "require_password_change": True, "set_random_password": False,
                      "send_welcome_email": True, "verified": True,
                      "custom_fields": {"team": "x"}, "timeout": 5}),
    ("users.register", {"username": "a", "email": "a@example.com", "password": "p",
                        "name": "A"}),
    ("users.register", {"username": "a", "email": "a@example.com", "password": "p",
                        "name": "A", "secret_url": "s", "timeout": 5}),
    ("users.update", {"user_id": "u1", "data": {"name": "x"}}),
    ("users.update", {"user_id": "u1", "data": rcu.UserUpdate(
        email="a@example.com", name="n", password="p", username="u", bio="b", nickname="n",
        status_text="s", status="away", active=True, roles=["user"],
        require_password_change=True, set_random_password=False, send_welcome_email=True,
        verified=True, custom_fields={"k": 1}, free_switch_extension="100"),
        "confirm_relinquish": True, **TWO_FA, "timeout": 5}),
    ("users.update_own_basic_info", {"data": {"name": "x"}}),
    ("users.update_own_basic_info", {"data": rcu.BasicInfoUpdate(
        email="a@example.com", name="n", username="u", nickname="n", bio="b", status_text="s",
        status_type="away", current_password="old", new_password="new"),
        "custom_fields": {"k": "v"}, **TWO_FA, "timeout": 5}),
    ("users.set_active_status", {"user_id": "u1", "active_status": False}),
    ("users.set_active_status", {"user_id": "u1", "active_status": True,
                                 "confirm_relinquish": True, "timeout": 5}),
    ("users.deactivate_idle", {"days_idle": 30}),
    ("users.deactivate_idle", {"days_idle": 30, "role": "guest", "timeout": 5}),
    ("users.delete", {"user_id": "u1"}),
    ("users.delete", {"username": "a", "confirm_relinquish": True, "timeout": 5}),
    ("users.delete_own_account", {"password": "p"}),
    ("users.delete_own_account", {"password": "p", "confirm_relinquish": True, "timeout": 5}),
    ("users.get_avatar", {"user_id": "u1"}),
    ("users.get_avatar", {"username": "a", "timeout": 5}),
    ("users.set_avatar", {"avatar_url": "https://example.com/a.png"}),
    ("users.set_avatar", {"avatar_url": "https://example.com/a.png", "user_id": "u1",
                          "timeout": 5}),
    ("users.set_avatar", {"image": PNG, "username": "a"}),
    ("users.reset_avatar", {"user_id": "u1"}),
    ("users.reset_avatar", {"username": "a", "timeout": 5}),
    ("users.get_avatar_suggestion", {"timeout": 5}),
    ("users.get_preferences", {"timeout": 5}),
    ("users.set_preferences", {"data": {"useEmojis": True}}),
    ("users.set_preferences", {"data": PREFS, "user_id": "u1", "timeout": 5}),
    ("users.create_token", {"user_id": "u1", "secret": "s", "timeout": 5}),
    ("users.generate_personal_access_token", {"token_name": "t"}),
    ("users.generate_personal_access_token", {"token_name": "t", "bypass_two_factor": True,
                                              **TWO_FA, "timeout": 5}),
    ("users.regenerate_personal_access_token", {"token_name": "t"}),
    ("users.regenerate_personal_access_token", {"token_name": "t", **TWO_FA, "timeout": 5}),
    ("users.remove_personal_access_token", {"token_name": "t"}),
    ("users.remove_personal_access_token", {"token_name": "t", **TWO_FA, "timeout": 5}),
    ("users.get_personal_access_tokens", {"timeout": 5}),
    ("users.logout", {}),
    ("users.logout", {"user_id": "u1", "timeout": 5}),
    ("users.logout_other_clients", {"timeout": 5}),
    ("users.remove_other_tokens", {"timeout": 5}),
    ("users.reset_e2e_key", {}),
    ("users.reset_e2e_key", {"user_id": "u1", **TWO_FA, "timeout": 5}),
    ("users.reset_e2e_key", {"username": "a"}),
    ("users.reset_totp", {}),
    ("users.reset_totp", {"user_id": "u1", **TWO_FA, "timeout": 5}),
    ("users.reset_totp", {"username": "a"}),
    ("users.enable_email_2fa", {"timeout": 5}),
    ("users.disable_email_2fa", {}),
    ("users.disable_email_2fa", {**TWO_FA, "timeout": 5}),
    ("users.send_email_2fa_code", {"email_or_username": "a", "timeout": 5}),
    ("users.forgot_password", {"email": "a@example.com", "timeout": 5}),
    ("users.send_welcome_email", {"email": "a@example.com", "timeout": 5}),
    ("users.send_confirmation_email", {"email": "a@example.com", "timeout": 5}),
    ("users.verify_email", {"token": "t", "timeout": 5}),
    ("users.send_invitation_email", {"emails": ["a@example.com"], "timeout": 5}),
    ("moderation.report_user", {"user_id": "u1", "description": "spam", "timeout": 5}),
    ("iter_list", {}),
    ("iter_list", {"query": {"active": True}, "fields": {"name": 1}, "sort": {"name": 1},
                   "page_size": 10, "concurrency": 2}),
    ("iter_list_by_status", {}),
    ("iter_list_by_status", {"status": "deactivated", "has_logged_in": True, "type": "bot",
                             "roles": ["bot"], "search_term": "x",
                             "inactive_reason": ["deactivated"], "sort": {"name": 1},
                             "page_size": 10, "concurrency": 2}),
    ("iter_pages", {}),
    ("iter_pages", {"query": {"active": True}, "fields": {"name": 1}, "sort": {"name": 1},
                    "page_size": 10, "concurrency": 2}),
    ("iter_pages_by_status", {}),
    ("iter_pages_by_status", {"status": "deactivated", "has_logged_in": True, "type": "bot",
                              "roles": ["bot"], "search_term": "x",
                              "inactive_reason": ["deactivated"], "sort": {"name": 1},
                              "page_size": 10, "concurrency": 2}),
    ("watch_presence", {}),
    ("watch_presence", {"interval": 5, "ids": [f"id{i}" for i in range(700)]}),
]


class Recorder:
    """What arrived: (route, problem or None, URL bytes); the answer is always a success."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any] | None, int]] = []

    async def handle(self, request: web.Request) -> web.Response:
        route = request.path.removeprefix("/api/v1/")
        problem: dict[str, Any] | None = None
        schema = SCHEMAS.get(route)
        if request.content_type.startswith("multipart/"):
            pass  # users.setAvatar uploads: the route reads the form itself (no schema)
        elif schema is None:
            if route not in NO_SCHEMA:
                problem = {"error": f"no 8.8.1 schema for {route}"}
        else:
            get = request.method == "GET"
            params = parse_query(request) if get else await parse_body(request)
            try:
                validate(params, schema, query=get)
            except ApiError as exc:
                problem = exc.body
        self.seen.append((route, problem, len(request.raw_path)))
        return web.json_response({"success": True})


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[Recorder, str]]:
    rec = Recorder()
    app = web.Application()
    app.router.add_route("*", "/api/v1/{name}", rec.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield rec, f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def _send(rc: rcu.Session, method: str, kwargs: dict[str, Any]) -> None:
    api, _, name = method.rpartition(".")
    target = getattr(getattr(rc, api or "users"), name)
    try:
        result = target(**kwargs)
        if inspect.isawaitable(result):
            await result
        else:
            async for _ in result:  # one page / one poll is enough: bounded
                break
    except rcu.RocketChatError:
        pass  # the answer was a bare success: decoding may refuse it


@pytest.mark.parametrize(("method", "kwargs"), CALLS,
                         ids=[f"{m}-{i}" for i, (m, _) in enumerate(CALLS)])
async def test_request_fits_8_8_1_schema(recorder: tuple[Recorder, str], method: str,
                                         kwargs: dict[str, Any]) -> None:
    rec, url = recorder
    retry = rcu.RetryPolicy(attempts=1)
    async with rcu.Session(url, user_id="u0", auth_token="t0", retry=retry) as rc:
        await _send(rc, method, kwargs)
    assert rec.seen, f"{method} sent nothing"
    for route, problem, url_bytes in rec.seen:
        assert problem is None, (route, problem)
        # Below nginx's default 8 KiB request-line buffer, far below Node's 16 KiB.
        assert url_bytes < 8192, (route, url_bytes)
    if "ids" in kwargs:
        assert len(rec.seen) > len(kwargs["ids"]) // 500  # chunked, never one big request


def _public(api: object) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(fn) for name, fn in inspect.getmembers(api)
            if not name.startswith("_") and callable(fn)}


async def test_every_method_and_argument_is_exercised() -> None:
    """The table above is complete: every public method, every keyword of each."""
    async with rcu.Session("http://127.0.0.1:9") as rc:
        methods = {f"users.{name}": sig for name, sig in _public(rc.users).items()}
        methods |= {f"moderation.{name}": sig for name, sig in _public(rc.moderation).items()}
    used: dict[str, set[str]] = {}
    for method, kwargs in CALLS:
        key = method if "." in method else f"users.{method}"
        used.setdefault(key, set()).update(kwargs)
    assert set(used) == set(methods)
    for method, sig in methods.items():
        assert used[method] == set(sig.parameters), method
