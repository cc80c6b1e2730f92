"""Route table entries, request context and the router's schema validation (§3.3, §3.4)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._ajv import Invalid, check
from ._schemas import QUERY_ARRAY_LIMIT, QUERY_PARAMETER_LIMIT, SCHEMAS, RequestSchema
from ._wire import ApiError, failure, invalid_user_param, user_param_not_provided

if TYPE_CHECKING:
    from ._backend import Backend
    from ._store import User

Handler = Callable[["Ctx"], Awaitable[dict[str, Any] | web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    name: str
    methods: tuple[str, ...]
    handler: Handler
    auth: bool = True
    # None: the route's 8.8.1 schema from _schemas.SCHEMAS (if it has one).
    schema: RequestSchema | None = None
    # "default" | "none" | a special rule name of §6.1
    rate: str = "default"
    permissions: tuple[str, ...] = ()  # any-of; route level → 403 (§3.5)
    # None | "normal" | "no-remember" (§4.1)
    two_factor: str | None = None
    allow_no_username: bool = False
    raw_body: bool = False  # the handler reads the body itself (multipart)

    def __post_init__(self) -> None:
        if self.schema is None:
            object.__setattr__(self, "schema", SCHEMAS.get(self.name))


@dataclass
class Ctx:
    request: web.Request
    backend: Backend
    route: Route
    params: dict[str, Any]
    user: User | None = None
    token: str | None = None
    token_entry: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def caller(self) -> User:
        assert self.user is not None
        return self.user

    def str_param(self, key: str) -> str | None:
        value = self.params.get(key)
        return value if isinstance(value, str) else None

    def target_keys(self) -> tuple[str | None, str | None, str | None]:
        def clean(key: str) -> str | None:
            value = self.params.get(key)
            return value.strip() or None if isinstance(value, str) else None

        return clean("userId"), clean("username"), clean("user")

    def user_from_params(self) -> User:
        """``getUserFromParams`` (§8.1): userId, then username, then user."""
        user_id, username, user = self.target_keys()
        store = self.backend.store
        if user_id is not None:
            found = store.by_id(user_id)
        elif username is not None:
            found = store.by_username(username)
        elif user is not None:
            found = store.by_username(user)
        else:
            raise user_param_not_provided()
        if found is None:
            raise invalid_user_param()
        return found

    def is_self_target(self) -> bool:
        """``isUserFromParams``: no target given, or the target is the caller."""
        user_id, username, user = self.target_keys()
        if user_id is None and username is None and user is None:
            return True
        caller = self.caller
        name = (caller.get("username") or "").lower()
        return (user_id == caller["_id"] or (username or "").lower() == name
                or (user or "").lower() == name) and bool(user_id or username or user)

    def can(self, permission: str) -> bool:
        return self.backend.store.has_permission(self.user, permission)


# --------------------------------------------------------------------------- validation
def validate(data: dict[str, Any], schema: RequestSchema, *, query: bool) -> dict[str, Any]:
    """The newest router's checks (http-router Router.ts @05360738), after auth (§3.4).

    A query string the parser refuses (more than 500 values for one key, or more than 1000
    parameters) answers 400 ``Invalid query parameters``; then the query schema, with
    errorType ``error-invalid-params``; then the body schema, with ``invalid-params``. The
    error text is AJV's messages joined by ``"\\n "``: no instance path, no suffix.
    """
    if query:
        values = [len(v) if isinstance(v, list) else 1 for v in data.values()]
        if sum(values) > QUERY_PARAMETER_LIMIT or max(values, default=0) > QUERY_ARRAY_LIMIT:
            raise ApiError(400, {"success": False, "error": "Invalid query parameters"})
    try:
        checked = check(data, schema.schema, schema.coerce)
    except Invalid as exc:
        error_type = "error-invalid-params" if schema.where == "query" else "invalid-params"
        raise ApiError(400, {"success": False, "errorType": error_type,
                             "error": str(exc)}) from None
    return checked  # type: ignore[no-any-return]


def route_error(message: str) -> ApiError:
    """A plain ``Error`` thrown in a handler: 400 with the message and no errorType (§3.2)."""
    return failure(message)
