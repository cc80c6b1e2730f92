"""Property tests of answer decoding: whatever comes back, only RocketChatError escapes.

Two levels. The pure decoder (``parse_response``) is fed random statuses, headers and bodies
for every row of the table. Then the whole path (session, retries, pacing, aiohttp) is pointed
at a scripted raw socket server that answers with drawn bytes: well-formed answers, garbage,
truncated answers, lying Content-Lengths, broken chunked encoding, early closes. A call must
end (``wait_for`` well beyond the Session's own timeout) and raise nothing but the SDK's errors.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

import msgspec
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

import rocketchat_users as rcu
from rocketchat_users import _endpoints as ep
from rocketchat_users._protocol import parse_response
from tests.conftest import load_spec

ROWS: list[ep.Endpoint[Any]] = [v for v in vars(ep).values() if isinstance(v, ep.Endpoint)]
ROWS_BY_NAME = {row.name: row for row in ROWS}
# No example database: it would litter the worktree, and each run then explores afresh.
PURE = settings(max_examples=1500, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
WIRE = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

JSON = dict[str, Any]
KNOWN_ERROR_TYPES = [
    "error-invalid-user", "error-user-not-found", "totp-required", "totp-invalid",
    "totp-max-attempts", "error-too-many-requests", "error-unauthorized", "not-authorized",
    "error-action-not-allowed", "error-not-allowed", "invalid-params",
    "error-field-unavailable", "unauthorized",
]
KNOWN_ERRORS = ["unauthorized", "User not found.", "User not found", "totp-required",
                "You must be logged in to do this.", "Invalid user id provided."]


def _spec_payloads() -> dict[str, list[JSON]]:
    """The official spec's 2xx example bodies, per REST name (valid answers to start from)."""
    found: dict[str, list[JSON]] = {}
    for spec_name in ("user-management.yaml", "authentication.yaml"):
        spec = load_spec(spec_name)
        for path, operations in spec["paths"].items():
            name = path.rsplit("/", 1)[-1].split(" ")[0]
            name = "avatar" if name == "{subject}" else name
            for operation in operations.values():
                if not isinstance(operation, dict) or name not in ROWS_BY_NAME:
                    continue
                for status, answer in operation.get("responses", {}).items():
                    if not str(status).startswith("2"):
                        continue
                    for content in answer.get("content", {}).values():
                        for sample in (content.get("examples") or {}).values():
                            if isinstance(sample.get("value"), dict):
                                found.setdefault(name, []).append(sample["value"])
    return found


SPEC_PAYLOADS = _spec_payloads()


def test_table_and_examples_are_walked() -> None:
    # The properties below walk these lists: they must not silently shrink to nothing.
    assert set(ROWS) == set(ep.ENDPOINTS) and len(ROWS) >= 40
    assert sum(map(len, SPEC_PAYLOADS.values())) >= 30


# ---- strategies ------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)
statuses = st.sampled_from([200, 200, 201, 204, 400, 401, 403, 404, 429, 429, 500, 502, 503, 504]) \
    | st.integers(100, 599)


def _now_ms() -> int:
    return int(time.time() * 1000)


# A Reset is either literal text or ("rel", ms from now), rendered when the answer is made.
reset_values = st.one_of(
    st.integers(-3_600_000, 3_600_000).map(lambda ms: ("rel", ms)),
    st.integers(-3_600_000, 600).map(lambda ms: ("rel", ms)),  # past or almost now: no long wait
    st.from_regex(r"\A[0-9]{1,40}\Z"),
    st.sampled_from(["", "nan", "inf", "-inf", "-1", "1e308", "1e400", "0x10", " 12 ", "1_0",
                     "\u0661\u0662\u0663", "-0", "9" * 400]),
    st.floats().map(repr),
    st.text(max_size=12),
)
count_values = st.from_regex(r"\A[0-9]{1,25}\Z") | st.sampled_from(["", "-1", "\u0661", "\u00b2"]) \
    | st.text(max_size=8)
date_values = (
    st.floats(-6e10, 2.5e11, allow_nan=False).map(lambda t: formatdate(t, usegmt=True))
    | st.floats(0, 4e9).map(lambda t: formatdate(t)[:-5] + "-0000")
    | st.sampled_from(["Mon, 32 Dec 2020 10:00:00 GMT", "Tue, 1 Jan 99999 00:00:00 GMT",
                       "Wed, 1 Jan 2020 00:00:00 +9999", "Thu, 1 Jan 2020 25:61:61 GMT", "",
                       "1 Jan 2020", "Fri, 1 Jan 0 00:00:00 GMT"])
    | st.text(max_size=30)
)
content_types = st.sampled_from([
    "application/json", "application/json; charset=utf-8", "image/png", "image/svg+xml",
    "text/html", "", ";", "image/",
]) | st.text(max_size=20)
locations = st.sampled_from(["/avatar/x", "avatar/x", "/avatar/", "", "/", "?", "/avatar/a%zz",
                             "/avatar/%F0%9F%98%80?format=png"]) \
    | st.text(max_size=20).filter(lambda s: "//" not in s and "\\" not in s)


def _render(value: HeaderValue) -> str:
    return str(_now_ms() + value[1]) if isinstance(value, tuple) else value


# Drawn header plans: (name, value or ("rel", ms)) pairs, rendered per answer.
HeaderValue = str | tuple[str, int]
HeaderPlan = list[tuple[str, HeaderValue]]
header_plans: st.SearchStrategy[HeaderPlan] = st.fixed_dictionaries({}, optional={
    "Content-Type": content_types,
    "Date": date_values,
    "Location": locations,
    "X-RateLimit-Limit": count_values,
    "X-RateLimit-Remaining": count_values,
    "X-RateLimit-Reset": reset_values,
}).map(lambda plan: list(plan.items()))


def _headers(plan: HeaderPlan) -> CIMultiDictProxy[str]:
    # What aiohttp hands the decoder: a case-insensitive mapping.
    return CIMultiDictProxy(CIMultiDict((name, _render(value)) for name, value in plan))


def envelopes(row: ep.Endpoint[Any]) -> st.SearchStrategy[JSON]:
    """Objects shaped like the server's answers: success flag, error fields, the row's key."""
    key = row.key or "user"
    payload = json_values
    if row.name in SPEC_PAYLOADS:
        valid = st.sampled_from(SPEC_PAYLOADS[row.name])
        payload = payload | valid.map(lambda body: body.get(key, body))
    shaped = st.fixed_dictionaries({}, optional={
        "success": st.booleans() | json_values,
        "error": st.sampled_from(KNOWN_ERRORS) | json_values,
        "errorType": st.sampled_from(KNOWN_ERROR_TYPES) | json_values,
        "details": json_values | st.fixed_dictionaries({"method": st.sampled_from(
            ["totp", "email", "password", ""]) | json_values}),
        "message": st.text(max_size=12) | json_values,
        key: payload,
    })
    if row.name in SPEC_PAYLOADS:
        # A valid answer with one field swapped for a random value, or its success flipped.
        valid_bodies = st.sampled_from(SPEC_PAYLOADS[row.name])
        mutated = st.tuples(valid_bodies, st.text(max_size=8) | st.sampled_from(
            [key, "success", "error", "errorType"]), json_values).map(
            lambda t: {**t[0], t[1]: t[2]})
        shaped = shaped | valid_bodies | mutated
    return shaped


def _encode(value: Any) -> bytes:
    return json.dumps(value, allow_nan=False).encode()


def bodies(row: ep.Endpoint[Any]) -> st.SearchStrategy[bytes]:
    whole = st.one_of(
        st.binary(max_size=200),
        json_values.map(_encode),
        envelopes(row).map(_encode),
        envelopes(row).map(lambda env: _encode(env)[:-1] + b', "success": true}'
                           if env else b'{"success": true}'),
    )
    truncated = st.tuples(envelopes(row).map(_encode), st.integers(0, 10_000)).map(
        lambda t: t[0][: t[1] % max(len(t[0]), 1)])
    # Invalid UTF-8 or a stray byte spliced into an otherwise valid body.
    spliced = st.tuples(envelopes(row).map(_encode), st.integers(0, 10_000),
                        st.sampled_from([b"\xff", b"\xc3", b"\x00", b"\xed\xa0\x80", b'"'])).map(
        lambda t: t[0][: t[1] % max(len(t[0]), 1)] + t[2] + t[0][t[1] % max(len(t[0]), 1):])
    return st.one_of(whole, truncated, spliced)


def _says_failure(body: bytes) -> bool:
    """The body is valid JSON whose top-level ``success`` is false."""
    try:
        decoded = msgspec.json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return False
    return isinstance(decoded, dict) and decoded.get("success") is False


# ---- pure level ------------------------------------------------------------------------------


rows_and_bodies = st.sampled_from(ROWS).flatmap(lambda row: st.tuples(st.just(row), bodies(row)))


@PURE
@given(case=rows_and_bodies, status=statuses, plan=header_plans)
# Found by this test; kept so that every run checks them (a 2xx with success false whose
# errorType is not a string; a 429 whose errorType names another error).
@example(case=(ep.USERS_SEND_WELCOME_EMAIL, b'{"success": false, "errorType": 5}'),
         status=200, plan=[])
@example(case=(ep.USERS_AUTOCOMPLETE, b'{"success": false, "errorType": []}'),
         status=200, plan=[])
@example(case=(ep.USERS_INFO, b'{"success": false, "errorType": "totp-required"}'),
         status=429, plan=[])
def test_decoding_raises_only_sdk_errors(
    case: tuple[ep.Endpoint[Any], bytes], status: int, plan: HeaderPlan
) -> None:
    row, body = case
    headers = _headers(plan)
    try:
        parse_response(row, status, headers, body)
    except rcu.RocketChatError as exc:
        if row.kind == "json" and 200 <= status < 300 and _says_failure(body):
            assert isinstance(exc, rcu.APIError), f"a 2xx with success false: {exc!r}"
        if status == 429:
            assert isinstance(exc, rcu.RateLimitError), repr(exc)
            wait = exc.retry_after
            assert wait is None or (isinstance(wait, float) and math.isfinite(wait) and wait >= 0)
        return
    # It returned: that is only right for an answer that did not say no.
    assert 200 <= status < 400, f"{row.label} -> {status} returned a value"
    if row.kind == "json":
        assert 200 <= status < 300
        assert not _says_failure(body), f"{row.label}: a 2xx with success false returned"


# ---- wire level ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One scripted answer: raw bytes to write, then what to do with the connection."""

    head: bytes
    body: bytes
    then: str  # "keep": read the next request; "close": close at once; "linger": close soon
    headers: HeaderPlan

    def render(self) -> bytes:
        lines = b"".join(
            f"{name}: {_render(value)}\r\n".encode("utf-8", "surrogateescape")
            for name, value in self.headers
        )
        return self.head.replace(b"{headers}", lines) + self.body


# Mostly the statuses the server sends: a 1xx (aiohttp waits for the final answer on a
# connection kept open) costs the whole 2 s budget, so it comes rarely.
wire_statuses = st.sampled_from([200, 201, 204, 400, 401, 403, 404, 429, 500, 502, 503] * 4
                                + [100, 101, 199, 304, 307, 308]) | st.integers(200, 599)
_REASONS = st.sampled_from([b"OK", b"", b"Whatever", b"\xff\xfe", b"Not Found"])
# The three headers as the server sends them (all digits), so that pacing acts on them.
digits = st.from_regex(r"\A[0-9]{1,40}\Z")
rate_limit_trios = st.tuples(
    st.sampled_from(["0", "1", "5"]) | digits,
    st.sampled_from(["0", "0", "1"]) | digits,
    st.integers(-3_600_000, 3_600_000).map(lambda ms: ("rel", ms)) | digits,
).map(lambda t: list(zip(("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"),
                         t, strict=True)))
_wire_header_plans = st.one_of(
    header_plans,
    st.tuples(header_plans, rate_limit_trios).map(lambda t: [
        (name, value) for name, value in t[0] if not name.startswith("X-RateLimit")] + t[1]),
).map(lambda plan: [
    (name, value) for name, value in plan
    if isinstance(value, tuple) or ("\r" not in value and "\n" not in value)
])
WIRE_ROWS: list[ep.Endpoint[Any]] = [ep.USERS_INFO, ep.USERS_CREATE, ep.USERS_LIST,
                                     ep.USERS_PRESENCE]
_wire_rows = st.sampled_from(WIRE_ROWS)


@st.composite
def answers(draw: st.DrawFn) -> Answer:
    kind = draw(st.sampled_from(["valid", "valid", "valid", "garbage", "truncated", "lying",
                                 "chunked", "early", "hold-open"]))
    plan = draw(_wire_header_plans)
    status = draw(wire_statuses)
    reason = draw(_REASONS)
    body = draw(bodies(draw(_wire_rows)))
    status_line = b"HTTP/1.1 %d %s\r\n" % (status, reason)
    framed = status_line + b"{headers}Content-Length: %d\r\n\r\n" % len(body)
    then = draw(st.sampled_from(["keep", "close", "linger"]))
    if kind == "valid":
        return Answer(framed, body, then, plan)
    if kind == "garbage":
        return Answer(draw(st.binary(max_size=300)), b"", "close", [])
    if kind == "truncated":
        whole = Answer(framed, body, "close", plan).render()
        cut = draw(st.integers(0, max(len(whole) - 1, 0)))
        return Answer(whole[:cut], b"", "close", [])
    if kind == "lying":
        length = max(0, len(body) + draw(st.integers(-len(body), 200)))
        head = status_line + b"{headers}Content-Length: %d\r\n\r\n" % length
        return Answer(head, body, draw(st.sampled_from(["close", "linger"])), plan)
    if kind == "chunked":
        broken = draw(st.sampled_from([
            b"%x\r\n" % len(body) + body + b"\r\n",  # no last chunk
            b"%x\r\n" % (len(body) + 7) + body + b"\r\n0\r\n\r\n",  # a size that lies
            b"zz\r\n" + body + b"\r\n0\r\n\r\n",  # a size that is not hex
            b"%x\r\n" % len(body) + body + b"0\r\n\r\n",  # no CRLF after the data
            b"%x;ext=1\r\n" % len(body) + body + b"\r\n0\r\n\r\n",  # valid, with an extension
            b"ffffffffffffffffffff\r\n" + body,
        ]))
        head = status_line + b"{headers}Transfer-Encoding: chunked\r\n\r\n"
        return Answer(head, broken, draw(st.sampled_from(["close", "linger"])), plan)
    if kind == "early":
        return Answer(draw(st.sampled_from([b"", b"HTTP/1.1", b"HTTP/1.1 200 OK\r\n"])), b"",
                      "close", [])
    # Head and part of the body sent, then silence until the server closes (LINGER).
    length = len(body) + 10
    return Answer(status_line + b"{headers}Content-Length: %d\r\n\r\n" % length, body,
                  "linger", plan)


class ScriptedServer:
    """Answers the n-th request with ``script[n % len(script)]``, whatever was asked."""

    LINGER = 0.05  # seconds a "linger" connection stays open after its answer

    def __init__(self, script: list[Answer]) -> None:
        self.script = script
        self.served = 0
        self.writers: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            writer.close()
        await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            while await self._read_request(reader):
                answer = self.script[self.served % len(self.script)]
                self.served += 1
                writer.write(answer.render())
                await writer.drain()
                if answer.then == "close":
                    break
                if answer.then == "linger":
                    await asyncio.sleep(self.LINGER)
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client gave up on us: that is its right
        finally:
            self.writers.discard(writer)
            writer.close()
            try:
                await writer.wait_closed()
            except ConnectionError:
                pass

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader) -> bool:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False  # the client closed the connection
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                await reader.readexactly(int(value))
        return True


Call = Callable[[rcu.Session], Awaitable[object]]
CALLS: list[tuple[str, Call]] = [
    ("users.info", lambda rc: rc.users.info(username="x")),
    ("users.create", lambda rc: rc.users.create(
        email="x@example.org", name="X", password="Str0ng-Passw0rd!x", username="x")),
    ("users.list", lambda rc: rc.users.list()),
    ("users.presence", lambda rc: rc.users.presence()),
]


async def _exercise(script: list[Answer], calls: list[tuple[str, Call]]) -> None:
    async with ScriptedServer(script) as url:
        async with rcu.Session(url, user_id="u1", auth_token="t0ken-secret",
                               retry=rcu.RetryPolicy(attempts=2, backoff=0.0), timeout=2) as rc:
            for name, call in calls:
                try:
                    rc.rate_limits.items()  # what the answers said, as the caller reads it
                    # 5 s: well past the Session's 2 s budget, so only a real hang trips it.
                    await asyncio.wait_for(call(rc), 5)
                except rcu.RocketChatError:
                    pass
                except asyncio.TimeoutError:  # not TimeoutError on 3.10
                    raise AssertionError(f"{name} hung past its 2 s timeout") from None


@WIRE
@given(script=st.lists(answers(), min_size=1, max_size=3),
       calls=st.lists(st.sampled_from(CALLS), min_size=1, max_size=3))
# Found by this test: a 429 whose Reset (epoch ms) is beyond datetime's range, then the retry.
@example(script=[Answer(b"HTTP/1.1 429 Too Many Requests\r\n{headers}Content-Length: 2\r\n\r\n",
                        b"{}", "keep", [("X-RateLimit-Limit", "5"), ("X-RateLimit-Remaining", "0"),
                                        ("X-RateLimit-Reset", "99999999999999999")])],
         calls=[CALLS[0]])
def test_wire_answers_raise_only_sdk_errors_and_never_hang(
    script: list[Answer], calls: list[tuple[str, Call]]
) -> None:
    # A sync test with its own loop per example: @given cannot drive pytest-asyncio's loop.
    asyncio.run(_exercise(script, calls))
