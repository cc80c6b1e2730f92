"""Wire helpers: JSON encoding, ISO dates and the server's error envelopes.

Every answer body the emulator produces goes through here, so that the envelope rules of
server-behavior.md §3.1/§3.2 live in one place.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
from aiohttp import web

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()

# §1: every API answer carries these besides its JSON body.
API_HEADERS: Mapping[str, str] = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}

_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"


def encode(obj: object) -> bytes:
    return _encoder.encode(obj)


def decode(data: bytes | str) -> Any:
    return _decoder.decode(data)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(dt: datetime) -> str:
    """§1 Dates: JSON.stringify form, UTC with exactly three fraction digits and ``Z``."""
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return iso(utcnow())


def iso_in(seconds: float) -> str:
    return iso(utcnow() + timedelta(seconds=seconds))


def parse_iso(value: object) -> datetime | None:
    """Lenient ISO-8601 parse (JS ``new Date(str)`` accepts ``Z``); naive means UTC.

    Returns an aware UTC datetime, or None for anything unparseable or out of range.
    """
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        # Normalise to UTC; an offset pushing the instant past year 9999 (or before year 1)
        # overflows Python's datetime, and such a date is treated as unparseable.
        return dt.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None


def hash_token(token: str) -> str:
    """§2.1: the server stores only base64(sha256(token))."""
    return base64.b64encode(hashlib.sha256(token.encode()).digest()).decode()


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def random_id(length: int = 17) -> str:
    """Meteor ``Random.id()``: 17 characters of an unambiguous alphabet."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def random_secret() -> str:
    """Meteor ``Random.secret()``: 43 url-safe characters (tokens, PATs)."""
    return secrets.token_urlsafe(32)[:43]


def json_response(body: object, status: int = 200, headers: Mapping[str, str] | None = None
                  ) -> web.Response:
    resp = web.Response(body=encode(body), status=status, content_type="application/json")
    resp.headers.update(API_HEADERS)
    if headers:
        resp.headers.update(headers)
    return resp


class ApiError(Exception):
    """An answer other than success; raised anywhere inside a handler and rendered as is."""

    def __init__(self, status: int, body: dict[str, Any],
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(body.get("error"))
        self.status = status
        self.body = body
        self.headers: Mapping[str, str] = headers or {}


def failure(error: str, error_type: str | None = None, details: object = None) -> ApiError:
    """§3.1 ``failure(msg, errorType)``: 400, keys omitted when undefined."""
    body: dict[str, Any] = {"success": False, "error": error}
    if error_type is not None:
        body["errorType"] = error_type
    if details is not None:
        body["details"] = details
    return ApiError(400, body)


def meteor_error(code: str, reason: str = "", details: object = None) -> ApiError:
    """§3.2: a thrown Meteor.Error becomes ``"<reason> [<code>]"`` with errorType = code."""
    message = f"{reason} [{code}]" if reason else f"[{code}]"
    return failure(message, code, details)


def forbidden() -> ApiError:
    """§3.1 ``forbidden()``: status 403 but the body says ``unauthorized``."""
    return ApiError(403, {"success": False, "error": "unauthorized"})


def permission_denied() -> ApiError:
    """§3.5 route-level ``permissionsRequired`` failure (G7/G8 text)."""
    return ApiError(403, {
        "success": False,
        "error": "User does not have the permissions required for this action [error-unauthorized]",
    })


NOT_LOGGED_IN = "You must be logged in to do this."


def not_logged_in() -> ApiError:
    """§2.2: G7/G8 send all four keys."""
    return ApiError(401, {"success": False, "error": NOT_LOGGED_IN, "status": "error",
                          "message": NOT_LOGGED_IN})


def user_param_not_provided() -> ApiError:
    return meteor_error(
        "error-user-param-not-provided",
        'The required "userId" or "username" param was not provided',
    )


def invalid_user_param() -> ApiError:
    return meteor_error(
        "error-invalid-user",
        'The required "userId" or "username" param provided does not match any users',
    )
