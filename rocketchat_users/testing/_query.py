"""JSON ``sort`` / ``fields`` / ``query`` parameters and a small Mongo-like matcher.

Rules from server-behavior.md §5.2-§5.4 (``parseJsonQuery``, ``cleanQuery``, ``isValidQuery``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._wire import decode, meteor_error

_PARSE_DETAILS = {"helperMethod": "parseJsonQuery"}
_KEEP_OPERATORS = frozenset({"$or", "$and", "$regex", "$options"})
# 8.x users.list whitelist of operators (§5.4).
ALLOWED_OPERATORS = frozenset({"$or", "$and", "$regex", "$options"})


def _parse_json(raw: str) -> Any:
    try:
        return decode(raw)
    except Exception:
        return None


def _json_number(value: Any, allowed: tuple[int, ...]) -> int | None:
    """A JSON number equal to one of ``allowed`` (JS: ``1.0 === 1``), booleans excluded."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if value in allowed else None


def parse_sort(raw: str | None) -> dict[str, int] | None:
    """§5.2: a JSON object whose values are exactly the numbers 1 or -1 (``1.0`` is 1)."""
    if raw is None:
        return None
    value = _parse_json(raw)
    out: dict[str, int] = {}
    if isinstance(value, dict):
        for key, direction in value.items():
            number = _json_number(direction, (1, -1))
            if number is None:
                break
            out[key] = number
    if not isinstance(value, dict) or len(out) != len(value):
        raise meteor_error("error-invalid-sort", f'Invalid sort parameter provided: "{raw}"',
                           _PARSE_DETAILS)
    return out


def parse_fields(raw: str | None) -> dict[str, int] | None:
    """§5.2: a JSON object whose values are the numbers 0 or 1 (``1.0`` is 1)."""
    if raw is None:
        return None
    value = _parse_json(raw)
    out: dict[str, int] = {}
    if isinstance(value, dict):
        for key, flag in value.items():
            number = _json_number(flag, (0, 1))
            if number is None:
                break
            out[key] = number
    if not isinstance(value, dict) or len(out) != len(value):
        raise meteor_error("error-invalid-fields", f'Invalid fields parameter provided: "{raw}"',
                           _PARSE_DETAILS)
    return out


def parse_query(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    value = _parse_json(raw)
    if not isinstance(value, dict):
        raise meteor_error("error-invalid-query", f'Invalid query parameter provided: "{raw}"',
                           _PARSE_DETAILS)
    return value


def clean_query(query: dict[str, Any]) -> dict[str, Any]:
    """``cleanQuery``: drop ``$`` keys except $or/$and/$regex/$options, recursing into objects.

    Like the server it does not descend into arrays, so an operator inside a ``$or`` branch
    reaches the whitelist and is refused as ``Invalid operation`` (§5.4).
    """
    out: dict[str, Any] = {}
    for key, value in query.items():
        if key.startswith("$") and key not in _KEEP_OPERATORS:
            continue
        out[key] = clean_query(value) if isinstance(value, dict) else value
    return out


def strip_paths(query: dict[str, Any], forbidden: Callable[[str], bool]) -> dict[str, Any]:
    """§5.3: forbidden attributes vanish silently from a caller's query, at every depth.

    ``forbidden(path)`` decides per attribute path; ``$or``/``$and`` branches (lists of
    objects, nested to any depth) are stripped the same way as the top level.
    """
    out: dict[str, Any] = {}
    for key, value in query.items():
        if not key.startswith("$") and forbidden(key):
            continue
        if key in ("$or", "$and") and isinstance(value, list):
            value = [strip_paths(v, forbidden) if isinstance(v, dict) else v for v in value]
        out[key] = value
    return out


def validate_query(query: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """``isValidQuery``: attributes must fall inside ``allowed`` paths (``x.*`` = prefix)."""
    exact: set[str] = set()
    prefixes: list[str] = []
    for item in allowed:
        if item.endswith(".*"):
            prefixes.append(item[:-2])
        else:
            exact.add(item)

    def attr_ok(path: str) -> bool:
        if path in exact:
            return True
        return any(path == p or path.startswith(p + ".") for p in prefixes)

    def walk(node: Any, path: str | None) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, path)
            return
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            if key.startswith("$"):
                if key not in ALLOWED_OPERATORS:
                    raise meteor_error("error-invalid-query", f"Invalid operation: {key}")
                walk(value, path)
                continue
            full = f"{path}.{key}" if path else key
            if not attr_ok(full):
                raise meteor_error("error-invalid-query", f"Invalid attribute: {full}")
            if isinstance(value, dict):
                walk(value, full)

    walk(query, None)


# --------------------------------------------------------------------------- matching
def _values_at(doc: Any, path: list[str]) -> list[Any]:
    """All values reachable at a dotted path, descending through arrays like Mongo does."""
    if not path:
        return [doc]
    if isinstance(doc, list):
        out: list[Any] = []
        for item in doc:
            out.extend(_values_at(item, path))
        return out
    if not isinstance(doc, dict) or path[0] not in doc:
        return []
    return _values_at(doc[path[0]], path[1:])


_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}
_regex_cache: dict[tuple[str, str], re.Pattern[str] | None] = {}


def _regex(pattern: str, options: str) -> re.Pattern[str] | None:
    key = (pattern, options)
    if key not in _regex_cache:
        flags = 0
        for ch in options:
            flags |= _FLAGS.get(ch, 0)
        try:
            _regex_cache[key] = re.compile(pattern, flags)
        except re.error:
            _regex_cache[key] = None
        if len(_regex_cache) > 512:
            _regex_cache.clear()
    return _regex_cache[key]


def _match_value(values: list[Any], cond: Any) -> bool:
    if isinstance(cond, dict) and "$regex" in cond:
        rx = _regex(str(cond["$regex"]), str(cond.get("$options", "")))
        if rx is None:
            raise meteor_error("error-invalid-query", "Invalid regular expression")
        flat = _flatten(values)
        return any(isinstance(v, str) and rx.search(v) is not None for v in flat)
    if isinstance(cond, dict) and not cond:
        return any(v == cond for v in values)
    if cond is None:
        return not values or any(v is None for v in values)
    return any(v == cond for v in values) or any(cond in v for v in values if isinstance(v, list))


def _flatten(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, list):
            out.extend(v)
        else:
            out.append(v)
    return out


def matches(doc: Mapping[str, Any], query: Mapping[str, Any]) -> bool:
    for key, cond in query.items():
        if key == "$or":
            if not any(matches(doc, q) for q in cond if isinstance(q, dict)):
                return False
        elif key == "$and":
            if not all(matches(doc, q) for q in cond if isinstance(q, dict)):
                return False
        elif key.startswith("$"):
            continue
        elif not _match_value(_values_at(doc, key.split(".")), cond):
            return False
    return True


# --------------------------------------------------------------------------- projection
def project(doc: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """Inclusive projection of dotted paths; ``_id`` always included."""
    out: dict[str, Any] = {"_id": doc["_id"]}
    for path in fields:
        if "." not in path:
            if path in doc:
                out[path] = doc[path]
            continue
        head, rest = path.split(".", 1)
        sub = doc.get(head)
        if isinstance(sub, dict):
            picked = _pick(sub, rest.split("."))
            if picked is not _MISSING:
                target = out.setdefault(head, {})
                if isinstance(target, dict):
                    _merge(target, rest.split("."), picked)
    return out


_MISSING = object()


def _pick(doc: dict[str, Any], path: list[str]) -> Any:
    cur: Any = doc
    for part in path:
        if not isinstance(cur, dict) or part not in cur:
            return _MISSING
        cur = cur[part]
    return cur


def _merge(target: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value


# --------------------------------------------------------------------------- sorting
def _rank(value: Any) -> tuple[int, Any]:
    # Mongo's BSON order: missing/null < numbers < strings < objects < arrays < booleans.
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (5, value)
    if isinstance(value, (int, float)):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, list):
        return (4, str(value))
    return (3, str(value))


def _sort_value(doc: Mapping[str, Any], path: str) -> Any:
    values = _values_at(doc, path.split("."))
    if not values:
        return None
    return values[0]


def sort_users(docs: Iterable[Mapping[str, Any]], spec: Iterable[tuple[str, int]]
               ) -> list[Any]:
    """Stable multi-key sort; ``_id`` breaks ties so paging is deterministic."""
    items = list(docs)
    keys = list(spec)
    if not any(k == "_id" for k, _ in keys):
        keys.append(("_id", 1))
    for path, direction in reversed(keys):
        if path == "_id":
            # Always a string here: a plain key, which walks of 20,000 users under churn need
            # (every change re-sorts the list).
            items.sort(key=lambda d: d["_id"], reverse=direction < 0)
        elif path == "nameInsensitive":
            items.sort(key=lambda d: _rank((d.get("name") or "").lower()),
                       reverse=direction < 0)
        else:
            items.sort(key=lambda d, p=path: _rank(_sort_value(d, p)),  # type: ignore[misc]
                       reverse=direction < 0)
    return items


__all__ = [
    "clean_query", "matches", "parse_fields", "parse_query", "parse_sort",
    "project", "sort_users", "strip_paths", "validate_query",
]
