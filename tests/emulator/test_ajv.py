"""The emulator's AJV subset: coercion and first-error order as AJV 8 applies them (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from rocketchat_users.testing._ajv import Invalid, check, supported
from rocketchat_users.testing._schemas import PREFERENCES, SCHEMAS
from rocketchat_users.testing._settings import DEFAULT_PREFERENCES

NUM = {"type": "number"}
STR = {"type": "string"}


@pytest.mark.parametrize(("value", "expected"), [
    ("5", 5), ("1.5", 1.5), (" 7 ", 7), ("0x1f", 31), ("0b11", 3), ("1e3", 1000),
    (True, 1), (None, 0), (" ", 0),  # Number(" ") is 0 and " " is truthy: AJV coerces it
])
def test_number_coercion_is_javascripts(value: Any, expected: float) -> None:
    assert check(value, NUM, True) == expected


@pytest.mark.parametrize("value", ["", "abc", "1_000", "1e400", "Infinity", "0x", [], {}])
def test_not_numbers(value: Any) -> None:
    with pytest.raises(Invalid) as caught:
        check(value, NUM, True)
    assert caught.value.messages == ["must be number"]


def test_string_and_boolean_coercion() -> None:
    assert check(5, STR, True) == "5"
    assert check(True, STR, True) == "true"
    assert check(None, STR, True) == ""  # a non-nullable string: null becomes ""
    assert check(None, {"type": "string", "nullable": True}, True) is None
    assert check("false", {"type": "boolean"}, True) is False
    assert check(1, {"type": "boolean"}, True) is True
    with pytest.raises(Invalid):
        check("yes", {"type": "boolean"}, True)


def test_array_coercion_only_for_ajv_query() -> None:
    arr = {"type": "array", "items": STR}
    assert check("x", arr, "array") == ["x"]
    with pytest.raises(Invalid, match="must be array"):
        check("x", arr, True)
    # coerceTypes 'array' also unwraps a one-element array where a scalar is wanted.
    assert check(["5"], NUM, "array") == 5
    with pytest.raises(Invalid, match="must be number"):
        check(["5", "6"], NUM, "array")


def test_first_error_order_required_then_additional_then_properties() -> None:
    schema = {"type": "object", "properties": {"a": NUM, "b": STR}, "required": ["b"],
              "additionalProperties": False}
    with pytest.raises(Invalid) as caught:
        check({"a": "x", "zz": 1}, schema, True)
    assert caught.value.messages == ["must have required property 'b'"]
    with pytest.raises(Invalid) as caught:
        check({"a": "x", "zz": 1, "b": "ok"}, schema, True)
    assert caught.value.messages == ["must NOT have additional properties"]
    with pytest.raises(Invalid) as caught:
        check({"b": {}, "a": "x"}, schema, True)
    assert caught.value.messages == ["must be number"]  # schema order: a before b


def test_enum_format_min_length_and_nullable_enum() -> None:
    enum = {"type": "string", "enum": ["default", "always", "never"], "nullable": True}
    with pytest.raises(Invalid, match="allowed values"):
        check("sometimes", enum, True)
    with pytest.raises(Invalid, match="allowed values"):
        check(None, enum, True)  # null passes the type, not the enum
    email = {"type": "string", "format": "basic_email"}
    assert check("a@b", email, True) == "a@b"
    for bad in ("ab", "a@b@c", "a@", "@b"):
        with pytest.raises(Invalid, match='must match format "basic_email"'):
            check(bad, email, True)
    with pytest.raises(Invalid, match="fewer than 1 characters"):
        check("", {"type": "string", "minLength": 1}, True)


def test_any_of_reports_each_branch_then_itself() -> None:
    schema = {"anyOf": [{"required": ["userId"]}, {"required": ["username"]}]}
    assert check({"username": "a"}, schema, True) == {"username": "a"}
    with pytest.raises(Invalid) as caught:
        check({}, schema, True)
    assert str(caught.value) == ("must have required property 'userId'\n must have required "
                                 "property 'username'\n must match a schema in anyOf")


def test_unsupported_keywords_are_a_programming_error() -> None:
    with pytest.raises(AssertionError, match="pattern"):
        supported({"type": "object", "properties": {"a": {"type": "string", "pattern": "x"}}})
    with pytest.raises(AssertionError, match="uuid"):
        supported({"anyOf": [{"type": "string", "format": "uuid"}]})
    assert supported(SCHEMAS["users.info"].schema) is SCHEMAS["users.info"].schema


def test_default_preferences_are_keys_8_8_1_accepts() -> None:
    # me/login hand these out merged with the user's own: a client may send any of them back.
    assert set(DEFAULT_PREFERENCES) <= set(PREFERENCES)
    body = {"data": DEFAULT_PREFERENCES}
    assert check(body, SCHEMAS["users.setPreferences"].schema, True) == body
