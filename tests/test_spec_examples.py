"""Every named example answer of the official spec, fed to the pure decoder.

Success examples must decode into the returned type carrying the same values; error examples
must raise the right exception with status, error and errorType kept.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import msgspec
import pytest

from rocketchat_users import _endpoints as ep
from rocketchat_users import errors
from rocketchat_users._protocol import parse_response
from tests.conftest import load_spec

SPECS = ("user-management.yaml", "authentication.yaml")
IN_SCOPE_TAGS = {"Users", "Authentication", "Two-Factor Authentication"}
# Operations of those tags that are not users endpoints of this SDK.
OUT_OF_SCOPE = {"loginCode.redeem", "twoFactorChallenges.sendEmailCode",
                "twoFactorChallenges.verifyChallenge"}
# The spec files social-network logins under made-up paths ("login - with Google"): same route.
ROWS = {row.name: row for row in ep.ENDPOINTS}


def _examples() -> list[Any]:
    cases = []
    for spec_name in SPECS:
        spec = load_spec(spec_name)
        shared = spec["components"]["responses"]
        for path, operations in spec["paths"].items():
            name = path.rsplit("/", 1)[-1].split(" ")[0]
            for method, operation in operations.items():
                if not isinstance(operation, dict) or not IN_SCOPE_TAGS & set(operation["tags"]):
                    continue
                if name in OUT_OF_SCOPE:
                    continue
                row = ROWS["avatar" if name == "{subject}" else name]
                assert row.method == method.upper(), (row.name, method)
                for status, answer in operation["responses"].items():
                    if "$ref" in answer:
                        answer = shared[answer["$ref"].rsplit("/", 1)[-1]]
                    for content in answer.get("content", {}).values():
                        for title, example in (content.get("examples") or {}).items():
                            cases.append(pytest.param(
                                row, int(status), example["value"],
                                id=f"{method.upper()} {path.rsplit('/', 1)[-1]} {status} {title}",
                            ))
    return cases


EXAMPLES = _examples()


def test_examples_were_found() -> None:
    # 46 success and ~90 error examples at the pinned spec commit: a parser slip must not
    # silently shrink the parametrised test below to nothing.
    assert len(EXAMPLES) > 120


# ---- success examples ------------------------------------------------------------------------


def _payload(row: ep.Endpoint[Any], body: dict[str, Any]) -> Any:
    """The part of the example the SDK returns, in wire form."""
    if row is ep.USERS_SET_PREFERENCES:
        return body.get("preferences") or body["user"]["settings"]["preferences"]
    if row is ep.USERS_PRESENCE:  # fetched_at is the Date header the test sent
        return {"users": body["users"], "full": body["full"],
                "fetchedAt": "2026-11-28T12:00:00+00:00"}
    if row is ep.LOGIN:
        return body["data"]
    if row.key is None:
        return {k: v for k, v in body.items() if k != "success"}
    return body[row.key]


ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def _same(decoded: Any, wire: Any, where: str) -> None:
    """Every value the model kept equals the example's, and nothing the model declares is lost."""
    if isinstance(decoded, dict):
        assert isinstance(wire, dict), where
        for key, value in decoded.items():
            if value is None:
                assert wire.get(key) is None, f"{where}.{key} lost: {wire.get(key)!r}"
            else:
                assert key in wire, f"{where}.{key} invented"
                _same(value, wire[key], f"{where}.{key}")
    elif isinstance(decoded, list):
        assert isinstance(wire, list) and len(decoded) == len(wire), where
        for index, (item, original) in enumerate(zip(decoded, wire, strict=True)):
            _same(item, original, f"{where}[{index}]")
    elif isinstance(decoded, str) and ISO.match(decoded) and isinstance(wire, str):
        assert _when(decoded) == _when(wire), where
    else:
        assert decoded == wire, f"{where}: {decoded!r} != {wire!r}"


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _wire_form(value: Any) -> Any:
    # Masked reprs aside, encoding gives back wire names; None fields stay to prove no loss.
    if isinstance(value, msgspec.Struct):
        return {
            field.encode_name: _wire_form(getattr(value, field.name))
            for field in msgspec.structs.fields(value)
            if getattr(value, field.name) is not msgspec.UNSET
        }
    if isinstance(value, list):
        return [_wire_form(item) for item in value]
    if isinstance(value, dict):
        return {key: _wire_form(item) for key, item in value.items()}
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@pytest.mark.parametrize(("row", "status", "body"), [
    case for case in EXAMPLES if 200 <= case.values[1] < 300
])
def test_success_example_decodes(row: ep.Endpoint[Any], status: int, body: Any) -> None:
    raw = json.dumps(body).encode()
    result = parse_response(row, status, {"Date": "Sat, 28 Nov 2026 12:00:00 GMT"}, raw)
    if row.decoder is None:
        assert result is None
        return
    expected = _payload(row, body)
    if row is ep.LOGIN:
        assert result.userId == expected["userId"] and result.authToken == expected["authToken"]
        _same(_wire_form(result.me), expected["me"], "$.data.me")
        return
    _same(_wire_form(result), expected, "$")


# ---- error examples --------------------------------------------------------------------------

# Classified by hand from DESIGN's tree (errorType and body first, then status). Anything not
# listed: 401 -> AuthenticationError, 403 -> PermissionDeniedError, 400 -> BadRequestError.
EXPECTED = {
    ("users.create", "Permission Error"): errors.PermissionDeniedError,
    ("users.update", "Example 1"): errors.PermissionDeniedError,
    ("users.info", "User not found"): errors.UserNotFoundError,
    ("users.resetAvatar", "Example 2"): errors.PermissionDeniedError,
    ("users.createToken", "Invalid secret"): errors.PermissionDeniedError,
    ("users.createToken", "Missing permission"): errors.PermissionDeniedError,
    ("users.generatePersonalAccessToken", "Example 1"): errors.TwoFactorRequiredError,
    ("users.generatePersonalAccessToken", "Example 3"): errors.PermissionDeniedError,
    ("users.regeneratePersonalAccessToken", "Example 1"): errors.TwoFactorRequiredError,
    ("users.regeneratePersonalAccessToken", "Example 3"): errors.PermissionDeniedError,
    ("users.getPersonalAccessTokens", "Example 1"): errors.PermissionDeniedError,
    ("users.removePersonalAccessToken", "Example 1"): errors.TwoFactorRequiredError,
    ("users.resetE2EKey", "Example 1"): errors.TwoFactorRequiredError,
    ("users.resetE2EKey", "Example 2"): errors.PermissionDeniedError,
    ("users.resetE2EKey", "Example 3"): errors.UserNotFoundError,
    ("users.resetTOTP", "Example 1"): errors.TwoFactorRequiredError,
    ("users.resetTOTP", "Example 2"): errors.PermissionDeniedError,
    ("users.resetTOTP", "Example 3"): errors.UserNotFoundError,
    ("users.2fa.disableEmail", "TOTP Required"): errors.TwoFactorRequiredError,
}
DEFAULT = {400: errors.BadRequestError, 401: errors.AuthenticationError,
           403: errors.PermissionDeniedError}


@pytest.mark.parametrize(("row", "status", "body"), [
    case for case in EXAMPLES if case.values[1] >= 400
])
def test_error_example_raises(
    row: ep.Endpoint[Any], status: int, body: Any, request: pytest.FixtureRequest
) -> None:
    title = request.node.callspec.id.split(f" {status} ", 1)[1]
    expected = EXPECTED.get((row.name, title), DEFAULT[status])
    with pytest.raises(errors.APIError) as caught:
        parse_response(row, status, {}, json.dumps(body).encode())
    exc = caught.value
    assert type(exc) is expected, (type(exc), expected)
    assert exc.status == status
    assert exc.error == body.get("error", body.get("message"))
    assert exc.error_type == body.get("errorType")
    assert exc.details == body.get("details")
    assert exc.endpoint == row.label
    assert "\n" not in str(exc) and str(exc).startswith(f"{row.label} -> {status}")
    if expected is errors.TwoFactorRequiredError:
        assert exc.method == body["details"]["method"]  # type: ignore[attr-defined]
