"""The pure core: answers the spec has no example of, turned into models or typed errors."""

from __future__ import annotations

import pickle
import random
from datetime import datetime, timezone
from typing import Any

import pytest

from rocketchat_users import _endpoints as ep
from rocketchat_users import errors
from rocketchat_users._protocol import (
    build_request,
    classify,
    encode_query,
    iso,
    parse_response,
    rate_limit_facts,
)
from rocketchat_users.models import Avatar


def test_html_502_from_a_proxy_is_a_server_error() -> None:
    html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    with pytest.raises(errors.ServerError) as caught:
        parse_response(ep.USERS_LIST, 502, {"Content-Type": "text/html"}, html)
    assert caught.value.status == 502
    assert str(caught.value) == "GET users.list -> 502: Bad Gateway"


def test_a_2xx_that_says_success_false_is_still_an_error() -> None:
    body = b'{"success": false, "error": "Invalid query [error-invalid-query]",' \
           b' "errorType": "error-invalid-query"}'
    with pytest.raises(errors.BadRequestError) as caught:
        parse_response(ep.USERS_LIST, 200, {}, body)
    assert caught.value.error_type == "error-invalid-query"


def test_success_false_inside_a_value_is_not_mistaken_for_failure() -> None:
    body = b'{"user": {"_id": "x", "bio": "\\"success\\":false"}, "success": true}'
    assert parse_response(ep.USERS_INFO, 200, {}, body).bio == '"success":false'


def test_a_body_of_the_wrong_shape_names_the_json_path() -> None:
    body = b'{"users": [{"_id": "a"}, {"_id": 7}], "count": 2, "offset": 0, "total": 2}'
    with pytest.raises(errors.ResponseDecodeError) as caught:
        parse_response(ep.USERS_LIST, 200, {}, body)
    assert caught.value.path == "$.users[1]._id"
    assert caught.value.status == 200 and caught.value.endpoint == "GET users.list"


def test_html_on_a_2xx_is_a_decode_error_with_a_short_redacted_excerpt() -> None:
    body = b"<html>login at /avatar/x?rc_token=SECRET123&rc_uid=u " + b"x" * 500 + b"</html>"
    with pytest.raises(errors.ResponseDecodeError) as caught:
        parse_response(ep.USERS_INFO, 200, {}, body)
    assert "SECRET123" not in str(caught.value) and "SECRET123" not in caught.value.excerpt
    assert len(caught.value.excerpt) <= 200


def test_logout_accepts_an_empty_200() -> None:
    # 7.x/8.x answer logout with no body at all (server-behavior §2.4).
    assert parse_response(ep.LOGOUT, 200, {}, b"") is None
    assert parse_response(ep.LOGOUT, 200, {}, b'{"status":"success","data":{}}') is None


def test_login_two_factor_challenge_is_401_with_the_bare_code() -> None:
    body = (b'{"success":false,"error":"totp-required","status":"error",'
            b'"message":"TOTP Required","details":{"method":"email","codeGenerated":true}}')
    with pytest.raises(errors.TwoFactorRequiredError) as caught:
        parse_response(ep.LOGIN, 401, {}, body)
    assert caught.value.method == "email" and caught.value.invalid is False
    invalid = body.replace(b"totp-required", b"totp-invalid")
    with pytest.raises(errors.TwoFactorRequiredError) as caught:
        parse_response(ep.LOGIN, 401, {}, invalid)
    assert caught.value.invalid is True


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, b'{"success":false,"error":"Unauthorized","status":"error","message":"Unauthorized"}',
         errors.AuthenticationError),
        (401, b'{"success":false,"error":"unauthorized"}', errors.PermissionDeniedError),
        (403, b'{"success":false,"error":"User does not have the permissions required for this'
              b' action [error-unauthorized]"}', errors.PermissionDeniedError),
        (400, b'{"success":false,"error":"Not allowed [error-not-allowed]",'
              b'"errorType":"error-not-allowed"}', errors.PermissionDeniedError),
        (400, b'{"success":false,"error":"x [error-invalid-user]",'
              b'"errorType":"error-invalid-user"}', errors.UserNotFoundError),
        (404, b"", errors.NotFoundError),
        (404, b"<html>nope</html>", errors.NotFoundError),
        (400, b'{"success":false}', errors.BadRequestError),
        (400, b'{"success":false,"error":{"name":"Error"}}', errors.BadRequestError),
        (503, b"", errors.ServerError),
    ],
)
def test_classification(status: int, body: bytes, expected: type[errors.APIError]) -> None:
    exc = classify(ep.USERS_INFO, status, {}, body)
    assert type(exc) is expected


def test_users_info_not_found_text_is_a_user_not_found_only_on_its_row() -> None:
    body = b'{"success":false,"error":"User not found."}'
    exc = classify(ep.USERS_INFO, 400, {}, body)
    assert isinstance(exc, errors.UserNotFoundError) and isinstance(exc, errors.NotFoundError)
    assert type(classify(ep.USERS_CREATE, 400, {}, body)) is errors.BadRequestError


def test_a_4xx_that_is_not_json_is_a_decode_error() -> None:
    exc = classify(ep.USERS_INFO, 400, {}, b"Bad Request")
    assert isinstance(exc, errors.ResponseDecodeError) and exc.status == 400


def test_rate_limit_reads_the_epoch_millisecond_reset() -> None:
    now = 1_800_000_000.0
    headers = {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0",
               "X-RateLimit-Reset": str(int((now + 42.5) * 1000))}
    body = (b'{"success":false,"error":"Error, too many requests. Please slow down. You must'
            b' wait 43 seconds before trying this endpoint again. [error-too-many-requests]"}')
    exc = classify(ep.USERS_LIST, 429, headers, body, now=now)
    assert isinstance(exc, errors.RateLimitError)
    assert exc.limit == 10 and exc.remaining == 0
    assert exc.retry_after == pytest.approx(42.5)
    assert exc.reset_at == datetime.fromtimestamp(now + 42.5, timezone.utc)
    assert rate_limit_facts({}, now) == {}


def test_error_text_is_one_line_and_survives_pickling() -> None:
    body = b'{"success":false,"error":"a\\n b [invalid-params]","errorType":"invalid-params"}'
    exc = classify(ep.USERS_CREATE, 400, {}, body)
    assert str(exc) == "POST users.create -> 400 invalid-params: a b [invalid-params]"
    assert isinstance(exc, errors.APIError)
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is type(exc) and str(again) == str(exc) and again.error == exc.error


def test_query_values_on_the_wire() -> None:
    pairs = encode_query({"a": True, "b": None, "c": {"x": "+&"}, "d": ["1", "2"], "e": 0})
    assert pairs == [("a", "true"), ("c", '{"x":"+&"}'), ("d", "1"), ("d", "2"), ("e", "0")]


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        iso(datetime(2026, 1, 1))
    assert iso(datetime(2026, 1, 1, 1, 2, 3, 456789, tzinfo=timezone.utc)) == (
        "2026-01-01T01:02:03.456Z"
    )


def test_requests_never_show_secrets_in_their_repr() -> None:
    request = build_request(ep.AVATAR, subject="a/b c", query={"rc_token": "SECRET"},
                            auth=("u", "SECRET"), two_factor=("123456", "totp"))
    assert request.path == "avatar/a%2Fb%20c"
    assert "SECRET" not in repr(request) and "123456" not in repr(request)


def test_get_avatar_reads_the_redirect_or_the_image_the_spec_shows() -> None:
    location = "https://chat.example.org/avatar/zo%C3%AB"
    assert parse_response(ep.USERS_GET_AVATAR, 307, {"Location": location}, b'"x"') == location
    svg = parse_response(ep.USERS_GET_AVATAR, 200, {"Content-Type": "image/svg+xml"}, b"<svg/>")
    assert svg == Avatar(content=b"<svg/>", content_type="image/svg+xml")
    with pytest.raises(errors.ResponseDecodeError):
        parse_response(ep.USERS_GET_AVATAR, 200, {"Content-Type": "application/json"}, b"{}")
    with pytest.raises(errors.UserNotFoundError):
        parse_response(ep.USERS_GET_AVATAR, 400, {}, b'{"success":false,"error":"x",'
                       b'"errorType":"error-invalid-user"}')


def test_a_value_json_cannot_carry_is_a_type_error_not_a_msgspec_one() -> None:
    with pytest.raises(TypeError, match=r"POST users\.create: an argument is not JSON-encodable"):
        build_request(ep.USERS_CREATE, body={"customFields": {"x": object()}})
    with pytest.raises(TypeError, match=r"GET users\.list"):
        build_request(ep.USERS_LIST, query={"query": {"x": object()}})


def test_presence_without_a_usable_date_header_falls_back_to_the_local_clock() -> None:
    body = b'{"users": [], "full": true, "success": true}'
    before = datetime.now(timezone.utc)
    for headers in ({}, {"Date": "not a date"}):
        batch = parse_response(ep.USERS_PRESENCE, 200, headers, body)
        assert batch.fetched_at >= before and batch.fetched_at.tzinfo is not None


def _mangled_answers() -> list[bytes]:
    """Truncations and corruptions of real answers, plus odd bodies, deterministic."""
    rng = random.Random(20261128)
    seeds = [b'{"user":{"_id":"u","emails":[{"address":"a@b","verified":true}]},"success":true}',
             b'{"users":[{"_id":"a"}],"count":1,"offset":0,"total":1,"success":true}',
             b'{"success":false,"error":"x [e]","errorType":"e","details":{"method":"m"}}',
             b'{"data":{"userId":"u","authToken":"t"},"status":"success","success":true}',
             b'{"users":[],"full":true,"success":true}']
    out = [b"", b"null", b"[]", b'"text"', b"{", b"\xff\xfe", b"<html>502</html>", b"1e999"]
    for seed in seeds:
        for _ in range(40):
            cut = rng.randrange(len(seed))
            out.append(seed[:cut])
            flipped = bytearray(seed)
            flipped[rng.randrange(len(seed))] = rng.randrange(256)
            out.append(bytes(flipped))
    return out


def test_no_answer_makes_anything_but_a_typed_error_escape() -> None:
    # DESIGN §1: msgspec exceptions never escape unwrapped, whatever the server sends.
    statuses = (200, 307, 400, 401, 403, 404, 429, 500, 502)
    headers = {"Location": "https://x/avatar/a", "X-RateLimit-Reset": "nan",
               "Content-Type": "application/json", "Date": "garbage"}
    answers = _mangled_answers()
    for row in ep.ENDPOINTS:
        for status in statuses:
            for body in answers:
                try:
                    parse_response(row, status, headers, body)
                except errors.RocketChatError:
                    pass


@pytest.mark.parametrize("body", [
    b'{"token":"SECRET-VALUE-1","tokenExpires":"bad","success":true}',
    b'{"data":{"userId":5,"authToken":"SECRET-VALUE-1"},"status":"success"}',
    b'{"data":{"userId":"u","authToken":"SECRET-VALUE-1' + b"x" * 300,
])
def test_decode_errors_never_quote_a_token(body: bytes) -> None:
    row: ep.Endpoint[Any] = (
        ep.USERS_LOGOUT_OTHER_CLIENTS if body.startswith(b'{"token"') else ep.LOGIN
    )
    with pytest.raises(errors.ResponseDecodeError) as caught:
        parse_response(row, 200, {}, body)
    assert "SECRET-VALUE" not in str(caught.value) + caught.value.excerpt


@pytest.mark.parametrize("headers", [
    {"X-RateLimit-Reset": str(1_800_000_000_000_000), "X-RateLimit-Limit": "²"},  # µs, not ms
    {"X-RateLimit-Reset": "inf", "X-RateLimit-Remaining": "-1"},
    {"X-RateLimit-Reset": "soon"},
])
def test_odd_rate_limit_headers_still_give_a_rate_limit_error(headers: dict[str, str]) -> None:
    exc = classify(ep.USERS_LIST, 429, headers, b'{"success":false,"error":"slow down"}')
    assert isinstance(exc, errors.RateLimitError)
    assert exc.limit is None and exc.remaining is None


def test_a_minus_zero_date_header_still_gives_an_aware_fetched_at() -> None:
    body = b'{"users": [], "full": true, "success": true}'
    batch = parse_response(ep.USERS_PRESENCE, 200, {"Date": "Sat, 28 Nov 2026 12:00:00 -0000"},
                           body)
    assert batch.fetched_at == datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
