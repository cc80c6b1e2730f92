"""Route table entries, request context and strict schema validation (§3.3, §3.4)."""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

from aiohttp import web

from ._wire import ApiError, failure, invalid_user_param, user_param_not_provided

if TYPE_CHECKING:
    from ._backend import Backend
    from ._store import User

TypeSpec = Union[str, tuple[str, ...], "Schema", "ArrayOf"]


@dataclass(frozen=True)
class ArrayOf:
    """An array whose items each match ``items`` (AJV ``items``; errors name ``/key/<i>``)."""

    items: TypeSpec


@dataclass(frozen=True)
class Schema:
    """A JSON-schema-like object description with ``additionalProperties: false``.

    Type names: ``str`` (``str1`` = minLength 1), ``bool``, ``num`` (``num0`` = minimum 0),
    ``int``, ``obj``, ``arr``, ``arr_str``, ``str_or_arr``, ``any``; a tuple is an enum of
    strings; a Schema nests; :class:`ArrayOf` is an array of one item type.
    """

    props: Mapping[str, TypeSpec]
    required: tuple[str, ...] = ()
    additional: bool = False
    # At most one of these keys may be present and, when ``exclusive_required``, exactly one.
    exclusive: tuple[str, ...] = ()
    exclusive_required: bool = False
    # At least one of these keys must be present (``anyOf`` of required).
    any_required: tuple[str, ...] = ()


Handler = Callable[["Ctx"], Awaitable[dict[str, Any] | web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    name: str
    methods: tuple[str, ...]
    handler: Handler
    auth: bool = True
    schema: Schema | None = None
    # "default" | "none" | a special rule name of §6.1
    rate: str = "default"
    permissions: tuple[str, ...] = ()  # any-of; route level → 403 (§3.5)
    # None | "normal" | "no-remember" (§4.1)
    two_factor: str | None = None
    allow_no_username: bool = False
    raw_body: bool = False  # the handler reads the body itself (multipart)


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
_NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


class _Invalid(Exception):
    pass


def _coerce(value: Any, spec: TypeSpec, coerce: bool, path: str) -> Any:
    """Check one value; with ``coerce`` (query strings) convert like AJV ``coerceTypes``."""
    if isinstance(spec, Schema):
        if not isinstance(value, dict):
            raise _Invalid(f"{path} must be object".strip())
        return _validate(value, spec, coerce, path)
    if isinstance(spec, ArrayOf):
        if not isinstance(value, list):
            raise _Invalid(f"{path} must be array".strip())
        return [_coerce(item, spec.items, coerce, f"{path}/{i}") for i, item in enumerate(value)]
    if isinstance(spec, tuple):
        if value not in spec:
            raise _Invalid(f"{path} must be equal to one of the allowed values".strip())
        return value
    if spec == "any":
        return value
    if spec in ("str", "str1"):
        if not isinstance(value, str):
            if coerce and isinstance(value, (int, float)) and not isinstance(value, bool):
                return str(value)
            raise _Invalid(f"{path} must be string".strip())
        if spec == "str1" and not value:
            raise _Invalid(f"{path} must NOT have fewer than 1 characters".strip())
        return value
    if spec == "bool":
        if coerce and value in ("true", "false"):
            return value == "true"
        if not isinstance(value, bool):
            raise _Invalid(f"{path} must be boolean".strip())
        return value
    if spec in ("num", "num0", "int"):
        if coerce and isinstance(value, str) and _NUMBER.match(value):
            number = float(value)
            value = int(number) if number.is_integer() else number
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                isinstance(value, float) and not math.isfinite(value)):
            # AJV's strict numbers: Infinity/NaN (e.g. a coerced "1e400") are not numbers.
            raise _Invalid(f"{path} must be {'integer' if spec == 'int' else 'number'}".strip())
        if spec == "int" and not float(value).is_integer():
            raise _Invalid(f"{path} must be integer".strip())
        if spec == "num0" and value < 0:
            raise _Invalid(f"{path} must be >= 0".strip())
        return value
    if spec == "obj":
        if not isinstance(value, dict):
            raise _Invalid(f"{path} must be object".strip())
        return value
    if spec in ("arr", "arr_str"):
        if not isinstance(value, list):
            raise _Invalid(f"{path} must be array".strip())
        if spec == "arr_str" and not all(isinstance(v, str) for v in value):
            raise _Invalid(f"{path} must be string".strip())
        return value
    if spec == "str_or_arr":
        if isinstance(value, str) or (isinstance(value, list)
                                      and all(isinstance(v, str) for v in value)):
            return value
        raise _Invalid(f"{path} must be string".strip())
    raise AssertionError(spec)


def _validate(data: dict[str, Any], schema: Schema, coerce: bool, path: str) -> dict[str, Any]:
    prefix = f"{path} " if path else ""
    present = [k for k in schema.exclusive if k in data]
    if len(present) > 1:
        raise _Invalid(f"{prefix}must NOT have additional properties")
    if schema.exclusive_required and not present:
        raise _Invalid(f"{prefix}must have required property '{schema.exclusive[0]}'")
    for key in schema.required:
        if key not in data:
            raise _Invalid(f"{prefix}must have required property '{key}'")
    if schema.any_required and not any(k in data for k in schema.any_required):
        raise _Invalid(f"{prefix}must have required property '{schema.any_required[0]}'")
    out: dict[str, Any] = {}
    for key, value in data.items():
        spec = schema.props.get(key)
        if spec is None:
            if not schema.additional:
                raise _Invalid(f"{prefix}must NOT have additional properties")
            out[key] = value
            continue
        out[key] = _coerce(value, spec, coerce, f"{path}/{key}")
    return out


def validate(data: dict[str, Any], schema: Schema, *, query: bool) -> dict[str, Any]:
    """Validate and coerce; raise the G8 validation error of §3.3 on failure.

    Query schemas answer errorType ``error-invalid-params`` without the suffix; body schemas
    (newest http-router) answer ``invalid-params`` with the ``[invalid-params]`` suffix.
    """
    try:
        return _validate(data, schema, query, "")
    except _Invalid as exc:
        message = str(exc)
        if query:
            raise failure(message, "error-invalid-params") from None
        raise failure(f"{message} [invalid-params]", "invalid-params") from None


def route_error(message: str) -> ApiError:
    """A plain ``Error`` thrown in a handler: 400 with the message and no errorType (§3.2)."""
    return failure(message)
