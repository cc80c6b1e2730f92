"""Everything the SDK raises on purpose.

```
RocketChatError                    base of everything the SDK raises on purpose
├── TransportError                 no HTTP answer (refused, reset, DNS, TLS); .sent
│   └── RequestTimeoutError
├── ResponseDecodeError            a body that does not decode: .status .endpoint .excerpt .path
└── APIError                       the server said no: .status .error .error_type .details .endpoint
    ├── BadRequestError            other 400s (invalid-params, error-field-unavailable, …)
    │   └── UserNotFoundError      also a NotFoundError
    ├── TwoFactorRequiredError     totp-required / -invalid / -max-attempts: .method .invalid
    ├── AuthenticationError        401 otherwise (not logged in, bad credentials)
    ├── PermissionDeniedError      403, and the 401/400 forms of "not allowed"
    ├── NotFoundError              404
    ├── RateLimitError             429: .retry_after .limit .remaining .reset_at
    └── ServerError                any 5xx
└── WalkError                      a walk could not keep its guarantee: .offset
```

Messages are one line and never carry a secret: the server's text is kept, request
bodies and auth headers are not.
"""

from __future__ import annotations

from datetime import datetime

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeoutError",
    "ResponseDecodeError",
    "RocketChatError",
    "ServerError",
    "TransportError",
    "TwoFactorRequiredError",
    "UserNotFoundError",
    "WalkError",
]

# JSON-shaped value the server put in `details` (an object, a list of rule objects, …).
Details = dict[str, object] | list[object] | str | int | float | bool | None


class RocketChatError(Exception):
    """Base of everything the SDK raises on purpose."""


class TransportError(RocketChatError):
    """No HTTP answer. ``sent`` tells whether the request may have reached the server."""

    def __init__(self, message: str, *, endpoint: str = "", sent: bool = False) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.sent = sent


class RequestTimeoutError(TransportError):
    """The call's ``timeout`` ran out before an answer came."""


class ResponseDecodeError(RocketChatError):
    """A body that does not decode (HTML, bad JSON, a shape the SDK does not expect)."""

    def __init__(
        self, message: str, *, status: int, endpoint: str, excerpt: str = "", path: str = ""
    ) -> None:
        super().__init__(message)
        self.status = status
        self.endpoint = endpoint
        self.excerpt = excerpt
        self.path = path


class APIError(RocketChatError):
    """The server answered and said no."""

    def __init__(
        self,
        *,
        status: int,
        error: str,
        error_type: str | None = None,
        details: Details = None,
        endpoint: str = "",
    ) -> None:
        self.status = status
        self.error = error
        self.error_type = error_type
        self.details = details
        self.endpoint = endpoint
        super().__init__(self._line())

    def _line(self) -> str:
        code = f" {self.error_type}" if self.error_type else ""
        text = " ".join(self.error.split())  # one line, whatever the server sent
        return f"{self.endpoint} -> {self.status}{code}: {text}"

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only __init__: teach pickle (multiprocessing, logging handlers) to rebuild us.
        return (_rebuild, (type(self), self.__dict__))


def _rebuild(cls: type[APIError], state: dict[str, object]) -> APIError:
    exc = cls.__new__(cls)
    exc.__dict__.update(state)
    Exception.__init__(exc, exc._line())
    return exc


class BadRequestError(APIError):
    """A 400 that is not one of the more specific kinds."""


class NotFoundError(APIError):
    """404, or a 400 that the server uses to say the user does not exist."""


class UserNotFoundError(BadRequestError, NotFoundError):
    """error-invalid-user, error-user-not-found, or users.info's "User not found."."""


class TwoFactorRequiredError(APIError):
    """The server wants a second factor (``invalid``: the one sent was wrong)."""

    @property
    def method(self) -> str | None:
        """The method the server chose: ``totp``, ``email`` or ``password``."""
        details = self.details
        method = details.get("method") if isinstance(details, dict) else None
        return method if isinstance(method, str) else None

    @property
    def invalid(self) -> bool:
        """True when a code was sent and refused (totp-invalid, totp-max-attempts)."""
        return (self.error_type or self.error) in ("totp-invalid", "totp-max-attempts")


class AuthenticationError(APIError):
    """401: not logged in, or bad credentials."""


class PermissionDeniedError(APIError):
    """The caller lacks a permission or a setting forbids the action."""


class RateLimitError(APIError):
    """429. ``retry_after`` is in seconds, computed from ``X-RateLimit-Reset``."""

    def __init__(
        self,
        *,
        status: int,
        error: str,
        error_type: str | None = None,
        details: Details = None,
        endpoint: str = "",
        limit: int | None = None,
        remaining: int | None = None,
        reset_at: datetime | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.limit = limit
        self.remaining = remaining
        self.reset_at = reset_at
        self.retry_after = retry_after
        super().__init__(
            status=status, error=error, error_type=error_type, details=details, endpoint=endpoint
        )


class ServerError(APIError):
    """Any 5xx, whatever its body."""



class WalkError(RocketChatError):
    """A user walk that cannot stay exact: the server deletes users faster than the walk can
    verify its pages, or stopped honouring ``sort`` after users were yielded. ``offset``: the
    page where it gave up."""

    def __init__(self, message: str, *, offset: int) -> None:
        super().__init__(message)
        self.offset = offset
