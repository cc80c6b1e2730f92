"""A validator for the JSON-schema subset the 8.8.1 users schemas use, applied like AJV 8.

The server compiles its request schemas with AJV 8 (``ajv/dist/2020``, ``allErrors`` off,
``strictNumbers`` on; rest-typings ``dist/v1/Ajv.js``): bodies with ``coerceTypes: true``,
most query schemas with ``coerceTypes: 'array'``. This module reproduces what a client can see
of that: which value is refused, which error message comes first, and how values are coerced
before the handler reads them. Keywords: ``type`` (one name or a list), ``nullable``, ``enum``,
``minLength``, ``minimum``, ``format`` (``basic_email``), ``properties``, ``required``,
``additionalProperties`` (boolean), ``items``, ``anyOf``. Anything else is a programming error.

AJV order, which decides the message when several things are wrong: the type (after coercion),
then ``enum`` and ``anyOf``, then ``minimum``; ``minLength`` then ``format``; ``items``;
``required`` (in its order), ``additionalProperties`` (in the data's key order), then
``properties`` (in the schema's order). Only the first error is reported, except that a failed
``anyOf`` reports each branch's first error and then its own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Literal

Coercion = Literal["array", True]  # AJV ``coerceTypes``: ajvQuery uses "array", ajv uses true
_KEYWORDS = frozenset({"type", "nullable", "enum", "minLength", "minimum", "format",
                       "properties", "required", "additionalProperties", "items", "anyOf",
                       "description"})
# rest-typings dist/v1/Ajv.js: ajv.addFormat('basic_email', /^[^@]+@[^@]+$/)
_FORMATS = {"basic_email": re.compile(r"[^@]+@[^@]+")}
# What JavaScript's Number(string) accepts after trimming (ECMAScript StringNumericLiteral).
_JS_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_JS_RADIX = re.compile(r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")
_JS_SPACE = " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008" \
            "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


class Invalid(Exception):
    """The AJV error messages, in the order ``validator.errors`` lists them."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n ".join(messages))
        self.messages = messages


def check(value: Any, schema: Mapping[str, Any], coerce: Coercion) -> Any:
    """Validate ``value``; return it with AJV's coercions applied, or raise :class:`Invalid`.

    ``schema`` is one :func:`supported` has accepted.
    """
    value = _check_type(value, schema, coerce)
    if "enum" in schema and not any(_same(value, allowed) for allowed in schema["enum"]):
        raise Invalid(["must be equal to one of the allowed values"])
    if "anyOf" in schema:
        value = _any_of(value, schema["anyOf"], coerce)
    if _is_number(value) and "minimum" in schema and value < schema["minimum"]:
        raise Invalid([f"must be >= {_js(schema['minimum'])}"])
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            # AJV counts code points (ucs2length), as Python's len() does.
            raise Invalid([f"must NOT have fewer than {schema['minLength']} characters"])
        if "format" in schema and not _FORMATS[schema["format"]].fullmatch(value):
            raise Invalid([f'must match format "{schema["format"]}"'])
    if isinstance(value, list) and "items" in schema:
        value = [check(item, schema["items"], coerce) for item in value]
    if isinstance(value, dict):
        value = _check_object(value, schema, coerce)
    return value


def supported(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """``schema`` itself, once every keyword in it is one :func:`check` implements."""
    unknown = set(schema) - _KEYWORDS
    if unknown or schema.get("format", "basic_email") not in _FORMATS:
        raise AssertionError(f"outside the supported subset: {sorted(unknown) or schema}")
    for sub in (*schema.get("properties", {}).values(), *schema.get("anyOf", ()),
                *([schema["items"]] if "items" in schema else [])):
        supported(sub)
    return schema


def _check_object(data: dict[str, Any], schema: Mapping[str, Any], coerce: Coercion
                  ) -> dict[str, Any]:
    for key in schema.get("required", ()):
        if key not in data:
            raise Invalid([f"must have required property '{key}'"])
    props: Mapping[str, Any] = schema.get("properties", {})
    if schema.get("additionalProperties", True) is False and any(k not in props for k in data):
        raise Invalid(["must NOT have additional properties"])
    out = dict(data)
    for key, sub in props.items():
        if key in out:
            out[key] = check(out[key], sub, coerce)
    return out


def _any_of(value: Any, branches: list[Mapping[str, Any]], coerce: Coercion) -> Any:
    messages: list[str] = []
    for branch in branches:
        try:
            return check(value, branch, coerce)
        except Invalid as exc:
            messages.extend(exc.messages)
    raise Invalid([*messages, "must match a schema in anyOf"])


# ---------------------------------------------------------------------------------- types
def _types(schema: Mapping[str, Any]) -> list[str]:
    declared = schema.get("type")
    types = [] if declared is None else [declared] if isinstance(declared, str) else [*declared]
    if schema.get("nullable") and types:
        types.append("null")
    return types


def _is_number(value: Any) -> bool:
    # strictNumbers: NaN and Infinity are not numbers (nor are booleans, as in JS).
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


def _has_type(value: Any, name: str) -> bool:
    if name == "string":
        return isinstance(value, str)
    if name == "number":
        return _is_number(value)
    if name == "integer":
        return _is_number(value) and float(value).is_integer()
    if name == "boolean":
        return isinstance(value, bool)
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "null":
        return value is None
    raise AssertionError(name)


def _check_type(value: Any, schema: Mapping[str, Any], coerce: Coercion) -> Any:
    types = _types(schema)
    if not types or any(_has_type(value, t) for t in types):
        return value
    if coerce == "array" and isinstance(value, list) and len(value) == 1:
        # coerceTypes 'array': a one-element array where a scalar is wanted is unwrapped.
        value = value[0]
        if any(_has_type(value, t) for t in types):
            return value
    for name in types:
        if name == "array" and coerce != "array":
            continue
        coerced = _coerce(value, name)
        if coerced is not _NO:
            return coerced
    declared = schema["type"]
    raise Invalid([f"must be {declared if isinstance(declared, str) else ','.join(declared)}"])


_NO = object()


def _coerce(value: Any, name: str) -> Any:
    """AJV's coercion of ``value`` to the type ``name`` (its coerceSpecificType), or _NO."""
    if name == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if _is_number(value):
            return _js(value)
        return "" if value is None else _NO
    if name in ("number", "integer"):
        if isinstance(value, bool):
            return int(value)
        if value is None:
            return 0
        if isinstance(value, str) and value:
            number = _js_number(value)
            # Number("1e400") is Infinity, which strictNumbers then refuses: not a number here.
            if number is not None and math.isfinite(number) and (
                    name == "number" or number.is_integer()):
                return int(number) if number.is_integer() else number
        return _NO
    if name == "boolean":
        if value == "false" or value is None or (_is_number(value) and value == 0):
            return False
        if value == "true" or (_is_number(value) and value == 1):
            return True
        return _NO
    if name == "null":
        if value == "" or value is False or (_is_number(value) and value == 0):
            return None
        return _NO
    if name == "array":
        return [value] if value is None or isinstance(value, (str, bool, int, float)) else _NO
    return _NO


def _js_number(text: str) -> float | None:
    """JavaScript's ``Number(text)``, or None where it gives NaN."""
    text = text.strip(_JS_SPACE)
    if not text:
        return 0.0
    if _JS_RADIX.fullmatch(text):
        return float(int(text, 0))
    if text.lstrip("+-") == "Infinity":
        return -math.inf if text.startswith("-") else math.inf
    return float(text) if _JS_DECIMAL.fullmatch(text) else None


def _js(number: float) -> str:
    """``String(number)`` as JavaScript writes it, for the usual magnitudes."""
    if float(number).is_integer() and abs(number) < 1e21:
        return str(int(number))
    return repr(float(number))


def _same(value: Any, allowed: Any) -> bool:
    """JSON equality as AJV's ``equal`` sees it (true is not 1, unlike in Python)."""
    if isinstance(value, bool) or isinstance(allowed, bool):
        return type(value) is type(allowed) and value == allowed
    return bool(value == allowed)
