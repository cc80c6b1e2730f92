"""The pure core: arguments -> request, and (status, headers, body) -> model or exception.

Nothing here touches the network, so every rule about the wire can be tested with recorded
answers and no socket.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import quote, unquote

import msgspec

from ._endpoints import Endpoint
from .errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    RocketChatError,
    ServerError,
    TwoFactorRequiredError,
    UserNotFoundError,
)
from .models import Avatar

T = TypeVar("T")

USER_AGENT = "rocketchat-users"
# What callers may put in a query mapping; None means "not sent".
QueryValue = str | int | float | bool | datetime | Mapping[str, Any] | list[str] | None

_TWO_FACTOR_CODES = frozenset({"totp-required", "totp-invalid", "totp-max-attempts"})
_PERMISSION_TYPES = frozenset(
    {
        "error-unauthorized",
        "error-action-not-allowed",
        "error-not-allowed",
        "not-authorized",
        "error-not-authorized",
    }
)
_USER_NOT_FOUND_TYPES = frozenset({"error-invalid-user", "error-user-not-found"})
_CLOSING_SUCCESS = re.compile(rb'"success"\s*:\s*true\s*}\s*')
_SECRET_PARAM = re.compile(r"(rc_token=)[^&#\s]*")
# Values of these keys are secrets wherever a body is quoted (an excerpt may cut one short).
_SECRET_FIELD = re.compile(
    r'("(?:authToken|token|password|pass|currentPassword|newPassword|secret|code|bcrypt|'
    r'hashedToken|loginToken)"\s*:\s*)"[^"]*"?'
)


@dataclass(frozen=True)
class FilePart:
    """One file of a multipart body."""

    name: str
    content: bytes
    filename: str
    content_type: str

    def __repr__(self) -> str:
        return f"FilePart({self.name!r}, {len(self.content)} bytes, {self.content_type!r})"


class Request(msgspec.Struct, frozen=True, gc=False):
    """Everything the wire needs to send one call. ``path`` is relative to the site root."""

    # A Struct, not a frozen dataclass: built once per call, and a frozen dataclass's __init__
    # sets each field through object.__setattr__ (~2 us a call; this is ~0.3 us).
    method: str
    path: str
    params: list[tuple[str, str]] = msgspec.field(default_factory=list)
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    body: bytes | None = None
    form: dict[str, str] = msgspec.field(default_factory=dict)
    files: list[FilePart] = msgspec.field(default_factory=list)
    follow_redirects: bool = True

    def __repr__(self) -> str:  # never the headers or the body: they carry secrets
        return f"Request({self.method} {redact(self.path)})"

    def __rich_repr__(self) -> list[tuple[str, object]]:  # msgspec's own would show them
        return [("method", self.method), ("path", redact(self.path))]


class ErrorBody(msgspec.Struct):
    """An error answer, as every server generation shapes it (server-behavior §2.2, §3)."""

    success: bool | None = None
    error: Any = None
    errorType: Any = None  # a string from any real server; anything else is ignored
    details: Any = None
    message: Any = None


_error_decoder = msgspec.json.Decoder(ErrorBody)
# msgspec raises UnicodeDecodeError (not a DecodeError) for invalid UTF-8 inside strings.
_DECODE_ERRORS = (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError)
_encoder = msgspec.json.Encoder()


def redact(text: str) -> str:
    """Hide ``rc_token`` in URLs and token/password values in quoted bodies."""
    return _SECRET_FIELD.sub(r'\1"***"', _SECRET_PARAM.sub(r"\1***", text))


def sha256_hex(secret: str) -> str:
    """The digest the server wants where it checks a password (2FA method ``password``, …)."""
    return hashlib.sha256(secret.encode()).hexdigest()


# ---- requests --------------------------------------------------------------------------------


def query_value(value: QueryValue) -> str:
    """One query value on the wire: booleans as true/false, dicts as compact JSON."""
    # The usual values first, by exact type: a str or an int would otherwise go through the
    # Mapping ABC's isinstance check (~0.2 us each, several a call).
    if type(value) is str:
        return value
    if type(value) is int:
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, Mapping)):
        return _encoder.encode(value).decode()
    if isinstance(value, datetime):
        return iso(value)
    return str(value)


def iso(value: datetime | date) -> str:
    """ISO-8601 in UTC with milliseconds and Z, as the server writes dates."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: pass an aware datetime (e.g. tz=UTC)")
    utc = value.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def encode_query(query: Mapping[str, QueryValue]) -> list[tuple[str, str]]:
    """Query pairs; a list repeats its key (the caller names it ``roles[]`` where needed).

    Values stay unescaped here: the HTTP layer (yarl) percent-encodes them, so ``+``, ``&``,
    ``#`` and unicode reach the server intact.
    """
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            pairs.extend((key, query_value(item)) for item in value)
        else:
            pairs.append((key, query_value(value)))
    return pairs


def encode_body(body: Mapping[str, Any]) -> bytes:
    """A JSON body: top-level ``None`` means "not sent"; Structs send only the fields given."""
    return _encoder.encode({key: value for key, value in body.items() if value is not None})


def build_request(
    endpoint: Endpoint[Any],
    *,
    query: Mapping[str, QueryValue] | None = None,
    body: Mapping[str, Any] | None = None,
    form: Mapping[str, str | None] | None = None,
    files: list[FilePart] | None = None,
    subject: str | None = None,
    auth: tuple[str, str] | None = None,
    two_factor: tuple[str, str | None] | None = None,
) -> Request:
    """The request for one row; ``auth`` = (user id, token), ``two_factor`` = (code, method)."""
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    path = endpoint.path
    if subject is not None:
        path = path.format(subject=quote(subject, safe=""))
    if auth is not None and endpoint.auth:
        headers["X-User-Id"], headers["X-Auth-Token"] = auth
    if two_factor is not None:
        code, method = two_factor
        # The server checks a password "code" against SHA-256(password) (server-behavior §4.2).
        headers["X-2fa-Code"] = sha256_hex(code) if method == "password" else code
        if method is not None:
            headers["X-2fa-Method"] = method
    try:
        payload = encode_body(body) if body is not None else None
        params = encode_query(query) if query else []
    except (msgspec.EncodeError, TypeError) as exc:
        # e.g. a custom field holding an object JSON cannot carry: the caller's mistake.
        raise TypeError(f"{endpoint.label}: an argument is not JSON-encodable: {exc}") from None
    if payload is not None:
        headers["Content-Type"] = "application/json"
    return Request(
        endpoint.method,
        path,
        params,
        headers,
        payload,
        {key: value for key, value in form.items() if value is not None} if form else {},
        list(files) if files else [],
        endpoint.kind != "redirect",
    )


# ---- answers ---------------------------------------------------------------------------------


def parse_response(
    endpoint: Endpoint[T], status: int, headers: Mapping[str, str], body: bytes
) -> T:
    """Turn one answer into what the public coroutine returns, or raise the right error."""
    if endpoint.kind != "json":
        return _image_or_redirect(endpoint, status, headers, body)  # type: ignore[return-value]
    if not 200 <= status < 300:
        raise classify(endpoint, status, headers, body)
    if _says_failure(body):
        raise classify(endpoint, status, headers, body)
    decoder = endpoint.decoder
    if decoder is None:
        return None  # type: ignore[return-value]
    try:
        decoded = decoder.decode(body)
    except _DECODE_ERRORS as exc:
        raise decode_error(endpoint, status, body, exc) from exc
    value = decoded if endpoint.key is None else getattr(decoded, endpoint.key)
    if endpoint.post is not None:
        value = endpoint.post(value, headers)
    return value  # type: ignore[no-any-return]


def _image_or_redirect(
    endpoint: Endpoint[Any], status: int, headers: Mapping[str, str], body: bytes
) -> Avatar | str:
    content_type = headers.get("Content-Type", "application/octet-stream").split(";")[0]
    if endpoint.kind == "redirect":
        # The server answers 307 to /avatar/<username>; the spec shows the image itself (§13).
        if 300 <= status < 400 and headers.get("Location"):
            return headers["Location"]
        if 200 <= status < 300 and content_type.startswith("image/"):
            return Avatar(content=body, content_type=content_type)
    if not 200 <= status < 300:
        raise classify(endpoint, status, headers, body)
    if endpoint.kind == "binary":
        return Avatar(content=body, content_type=content_type)
    raise decode_error(endpoint, status, body)  # a 2xx that is neither a redirect nor an image


def _says_failure(body: bytes) -> bool:
    """A 2xx whose top-level ``success`` is false (checked without decoding the whole body).

    The server merges ``"success": true`` last into an answer, so a search from the end finds
    it at once; any ``"success"`` followed by ``false`` is then confirmed by a real decode.
    """
    if body.endswith(b'"success":true}'):
        return False  # the usual compact answer: what the regex below finds, without it
    at = body.rfind(b'"success"')
    if _CLOSING_SUCCESS.fullmatch(body, at) is not None:
        # `"success": true}` and nothing after: the top-level key, and the last one (a
        # duplicate key decodes to its last value), so no earlier "success" can matter. This
        # spares a second scan of the whole body (~15 us on a 50 kB page).
        return False
    while at != -1:
        rest = body[at + 9 : at + 24].lstrip()
        if rest[:1] == b":" and rest[1:].lstrip()[:5] == b"false":
            return _top_level_failure(body)
        at = body.rfind(b'"success"', 0, at)
    return False


def _top_level_failure(body: bytes) -> bool:
    try:
        return _error_decoder.decode(body).success is False
    except _DECODE_ERRORS:
        return False


def decode_error(
    endpoint: Endpoint[Any], status: int, body: bytes, exc: Exception | None = None
) -> ResponseDecodeError:
    excerpt = redact(body[:200].decode("utf-8", "replace")).replace("\n", " ")
    reason = str(exc) if exc is not None else "not a JSON error body"
    path = ""
    match = re.search(r"at `(\$[^`]*)`", reason)
    if match:
        path = match.group(1)
    return ResponseDecodeError(
        f"{endpoint.label} -> {status}: answer does not decode ({reason}): {excerpt!r}",
        status=status,
        endpoint=endpoint.label,
        excerpt=excerpt,
        path=path,
    )


def classify(
    endpoint: Endpoint[Any],
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    now: float | None = None,
) -> RocketChatError:
    """The exception for a refusal: errorType and the body's shape first, then the status."""
    parsed: ErrorBody | None
    try:
        parsed = _error_decoder.decode(body) if body.strip() else None
    except _DECODE_ERRORS as exc:
        if status >= 500:
            parsed = None  # an HTML 502 page from a proxy is still a server error
        elif status in (404, 429):
            parsed = None
        else:
            return decode_error(endpoint, status, body, exc)
    error_type = parsed.errorType if parsed is not None else None
    if not isinstance(error_type, str):
        error_type = None
    raw_error = parsed.error if parsed is not None else None
    if isinstance(raw_error, str):
        error = raw_error
    elif parsed is not None and isinstance(parsed.message, str) and parsed.message:
        error = parsed.message
    elif raw_error is not None:
        error = _encoder.encode(raw_error).decode()
    else:
        error = _reason(status)
    details = parsed.details if parsed is not None else None
    kwargs: dict[str, Any] = {
        "status": status,
        "error": error,
        "error_type": error_type,
        "details": details,
        "endpoint": endpoint.label,
    }
    cls = _error_class(endpoint, status, error, error_type)
    if cls is RateLimitError:
        kwargs.update(rate_limit_facts(headers, now))
    return cls(**kwargs)


def _error_class(
    endpoint: Endpoint[Any], status: int, error: str, error_type: str | None
) -> type[APIError]:
    if status >= 500:
        return ServerError
    if status == 429:
        # Only the limiter answers 429, and it refused before anything else was checked:
        # whatever the body says, wait for the reset (not, say, ask for a 2FA code).
        return RateLimitError
    # At login the bare code is the `error` (401); elsewhere it is the errorType (400).
    if error_type in _TWO_FACTOR_CODES or (status == 401 and error in _TWO_FACTOR_CODES):
        return TwoFactorRequiredError
    if status == 429 or error_type == "error-too-many-requests":
        return RateLimitError
    if status == 403 or error_type in _PERMISSION_TYPES:
        return PermissionDeniedError
    if status == 401 and error == "unauthorized":
        return PermissionDeniedError
    if error_type in _USER_NOT_FOUND_TYPES:
        return UserNotFoundError
    if endpoint.not_found_text is not None and error == endpoint.not_found_text:
        return UserNotFoundError
    if status == 401:
        return AuthenticationError
    if status == 404:
        return NotFoundError
    return BadRequestError


def rate_limit_facts(headers: Mapping[str, str], now: float | None = None) -> dict[str, Any]:
    """X-RateLimit-* as numbers; Reset is epoch milliseconds (server-behavior §6.2)."""
    facts: dict[str, Any] = {}
    for name, key in (("X-RateLimit-Limit", "limit"), ("X-RateLimit-Remaining", "remaining")):
        value = (headers.get(name) or "").strip()
        if value.isascii() and value.isdigit():
            facts[key] = int(value)
    try:
        reset_ms = float(headers.get("X-RateLimit-Reset") or "nan")
        if not math.isfinite(reset_ms):
            return facts
        facts["reset_at"] = datetime.fromtimestamp(reset_ms / 1000, timezone.utc)
    except (ValueError, OverflowError, OSError):
        return facts  # not epoch milliseconds after all: back off instead
    current = time.time() if now is None else now
    facts["retry_after"] = max(0.0, reset_ms / 1000 - current)
    return facts


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def avatar_subject(location: str) -> str:
    """users.getAvatar's Location is ``<site>/avatar/<username>``: keep the last segment."""
    return unquote(location.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0])


S = TypeVar("S", bound=msgspec.Struct)


def as_struct(cls: type[S], data: S | Mapping[str, Any], argument: str) -> S:
    """A request Struct from the Struct itself or a dict keyed by wire or Python names.

    An unknown key is an error, not a silent drop: a typo must not lose the caller's change.
    """
    if isinstance(data, cls):
        return data
    if not isinstance(data, Mapping):
        raise TypeError(f"{argument} must be a {cls.__name__} or a dict, got {type(data).__name__}")
    wire = {f.name: f.encode_name for f in msgspec.structs.fields(cls)}
    names = set(wire.values())
    unknown = sorted(key for key in data if key not in wire and key not in names)
    if unknown:
        raise TypeError(f"{argument}: unknown field(s) {', '.join(map(repr, unknown))}")
    try:
        return msgspec.convert({wire.get(k, k): v for k, v in data.items()}, cls)
    except msgspec.ValidationError as exc:
        raise TypeError(f"{argument}: {exc}") from None


def one_of(**given: object) -> None:
    """Exactly one target must be given (``info``, ``get_avatar``, ``delete``, …)."""
    count = sum(value is not None for value in given.values())
    if count != 1:
        raise ValueError(f"pass exactly one of {' / '.join(given)} ({count} given)")
