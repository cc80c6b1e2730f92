"""Each 8.8.1 schema row, over real sockets: an unknown key, a wrong type and a missing required
field are refused before the handler, with the router's error body (Router.ts @05360738)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from rocketchat_users.testing import Emulator
from rocketchat_users.testing._routing import validate
from rocketchat_users.testing._schemas import SCHEMAS, RequestSchema
from tests.emulator.conftest import Api, Reply

ROWS = sorted(SCHEMAS)


def _sample(schema: Mapping[str, Any]) -> Any:
    """A value the schema accepts."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "string":
        return "a@b.example" if schema.get("format") else "x" * max(1, schema.get("minLength", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    required = list(schema.get("required", ()))
    if "anyOf" in schema and "required" in schema["anyOf"][0]:
        required += schema["anyOf"][0]["required"]
    if "anyOf" in schema and "properties" in schema["anyOf"][0]:
        return _sample(schema["anyOf"][0])
    return {key: _sample(schema["properties"][key]) for key in required}


def _wrong(schema: Mapping[str, Any], where: str) -> tuple[Any, str] | None:
    """A value no coercion turns into what the schema wants, and AJV's message for it."""
    kind = schema.get("type")
    if "enum" in schema:
        return "not-in-the-enum", "must be equal to one of the allowed values"
    if kind == "number":
        return "abc", "must be number"
    if kind == "boolean":
        return "maybe", "must be boolean"
    if kind == "string":
        # A query value is always text; two values for one key are an array, not a string.
        return (["a", "b"] if where == "query" else {"x": 1}), "must be string"
    if kind in ("array", "object") and where == "body":
        return ("x" if kind == "array" else ["x"]), f"must be {kind}"
    return None


def _properties(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    if "anyOf" in schema and "properties" in schema["anyOf"][0]:
        return schema["anyOf"][0]["properties"]  # type: ignore[no-any-return]
    return schema.get("properties", {})  # type: ignore[no-any-return]


async def _send(api: Api, name: str, row: RequestSchema, data: dict[str, Any]) -> Reply:
    if row.where == "body":
        return await api.post(name, data)
    pairs = []
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, "true" if item is True else str(item)))
    return await api.get(name, pairs)


def _expect(reply: Reply, row: RequestSchema, message: str) -> None:
    error_type = "error-invalid-params" if row.where == "query" else "invalid-params"
    assert reply.status == 400, reply.body
    assert reply.body == {"success": False, "errorType": error_type, "error": message}


def _info_unknown_key_message() -> str:
    # Every branch of users.info's anyOf fails: the userId one on the extra key, the others on
    # their own required key.
    others = ("username", "importId", "email", "freeSwitchExtension")
    return "\n ".join(["must NOT have additional properties",
                       *(f"must have required property '{k}'" for k in others),
                       "must match a schema in anyOf"])


def _closed(name: str) -> bool:
    schema = SCHEMAS[name].schema
    return schema.get("additionalProperties", True) is False or "anyOf" in schema


def test_only_users_logout_is_open() -> None:
    # The one open schema of 8.8.1: an unknown key passes it (checked without a socket: the
    # route would log the admin out).
    assert [name for name in ROWS if not _closed(name)] == ["users.logout"]
    row = SCHEMAS["users.logout"]
    assert validate({"zzUnknown": "1"}, row, query=False) == {"zzUnknown": "1"}


@pytest.mark.parametrize("name", [name for name in ROWS if _closed(name)])
async def test_row_refuses_unknown_key(admin: Api, name: str) -> None:
    row = SCHEMAS[name]
    schema = row.schema
    reply = await _send(admin, name, row, {**_sample(schema), "zzUnknown": "1"})
    if name == "users.info":
        _expect(reply, row, _info_unknown_key_message())
    else:
        _expect(reply, row, "must NOT have additional properties")


def _mistypable(name: str) -> tuple[str, Any, str] | None:
    row = SCHEMAS[name]
    for key, sub in _properties(row.schema).items():
        found = _wrong(sub, row.where)
        if found is not None:
            return key, *found
    return None


def test_rows_without_a_mistypable_key_have_no_keys() -> None:
    assert all(not _properties(SCHEMAS[name].schema)
               for name in ROWS if _mistypable(name) is None)


@pytest.mark.parametrize("name", [name for name in ROWS if _mistypable(name) is not None])
async def test_row_refuses_wrong_type(admin: Api, name: str) -> None:
    row = SCHEMAS[name]
    found = _mistypable(name)
    assert found is not None
    key, value, message = found
    reply = await _send(admin, name, row, {**_sample(row.schema), key: value})
    if name == "users.info":
        message = "\n ".join([message, *(f"must have required property '{k}'" for k in (
            "username", "importId", "email", "freeSwitchExtension")),
            "must match a schema in anyOf"])
    _expect(reply, row, message)


@pytest.mark.parametrize("name", [name for name in ROWS if SCHEMAS[name].schema.get(
    "required") or "anyOf" in SCHEMAS[name].schema])
async def test_row_refuses_missing_required(admin: Api, name: str) -> None:
    row = SCHEMAS[name]
    schema = row.schema
    if "anyOf" in schema:
        # Nothing given: each branch names its first required key, then the anyOf fails.
        required = list(schema.get("required", ()))
        data = {k: _sample(schema["properties"][k]) for k in required}
        message = "\n ".join([*(f"must have required property '{b['required'][0]}'"
                                for b in schema["anyOf"]), "must match a schema in anyOf"])
    else:
        data = _sample(schema)
        first = schema["required"][0]
        del data[first]
        message = f"must have required property '{first}'"
    _expect(await _send(admin, name, row, data), row, message)


async def test_every_users_route_has_a_schema_row(server: Emulator) -> None:
    served = {resource.canonical.removeprefix("/api/v1/")
              for resource in server.app.router.resources()
              if resource.canonical.startswith("/api/v1/")}
    # login / logout / me are not typed users.* routes: 8.8.1 has no schema for them.
    assert served - set(SCHEMAS) == {"login", "logout", "me"}
    assert set(SCHEMAS) <= served


async def test_query_parser_limits(admin: Api) -> None:
    """qs {arrayLimit: 500, throwOnLimitExceeded: true}, parameterLimit 1000, after auth."""
    ids = [("ids", f"id{i}") for i in range(500)]
    assert (await admin.get("users.presence", ids)).status == 200
    reply = await admin.get("users.presence", [*ids, ("ids", "one-more")])
    assert reply.status == 400 and reply.body == {"success": False,
                                                  "error": "Invalid query parameters"}
    junk = [(f"k{i}", "1") for i in range(1000)]
    _expect(await admin.get("users.list", junk), SCHEMAS["users.list"],
            "must NOT have additional properties")
    reply = await admin.get("users.list", [*junk, ("k1000", "1")])
    assert reply.body == {"success": False, "error": "Invalid query parameters"}
    anon = admin.anonymous()
    assert (await anon.get("users.presence", [*ids, ("ids", "x")])).status == 401


async def test_schema_errors_come_after_auth(anon: Api) -> None:
    reply = await anon.post("users.create", {"nonsense": True})
    assert reply.status == 401
