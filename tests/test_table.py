"""The endpoint table, the public coroutines and DESIGN's name list stay in step."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

import rocketchat_users as rcu
from rocketchat_users import _endpoints as ep
from tests.conftest import SHARED


def design_rows() -> list[tuple[str, str, bool, str]]:
    """(HTTP method, REST name, takes 2FA arguments, Python call) per row of DESIGN's table."""
    text = (SHARED / "DESIGN.md").read_text()
    rows = []
    for line in text.splitlines():
        if "rc." not in line or not line.startswith("| "):
            continue
        if line.startswith("| † POST login"):  # one row for three methods
            rows += [("POST", "login", False, "rc.login"), ("POST", "logout", False, "rc.logout"),
                     ("GET", "me", False, "rc.me")]
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rest, python = cells
        method, name = re.sub(r"^†\s*", "", rest).split(" ")[:2]
        rows.append((method, name, "‡" in rest, python.split("(")[0]))
    return rows


ROWS = design_rows()


def test_design_lists_every_endpoint() -> None:
    assert len(ROWS) == 49  # 42 seed endpoints + 7 beyond


def _row_for(name: str) -> ep.Endpoint[Any]:
    if name.startswith("/avatar/"):
        return ep.AVATAR
    return next(row for row in ep.ENDPOINTS if row.name == name)


@pytest.mark.parametrize(("method", "name", "two_factor", "python"), ROWS,
                         ids=[row[1] for row in ROWS])
async def test_design_row_has_a_table_row_and_a_coroutine(
    method: str, name: str, two_factor: bool, python: str
) -> None:
    row = _row_for(name)
    assert row.method == method
    assert row.two_factor is two_factor
    async with rcu.Session("http://127.0.0.1:9") as rc:
        target: Any = rc
        for part in python.split(".")[1:]:
            target = getattr(target, part)
        assert inspect.iscoroutinefunction(target)
        parameters = inspect.signature(target).parameters
    assert "timeout" in parameters
    assert ("two_factor_code" in parameters) is two_factor
    # Keyword-only arguments (the subject of rc.avatar and login's credentials aside).
    positional = [p.name for p in parameters.values()
                  if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    assert positional in ([], ["subject"], ["user", "password"])


def test_every_table_row_is_in_design() -> None:
    named = {name for _, name, _, _ in ROWS}
    assert {row.name for row in ep.ENDPOINTS if row is not ep.AVATAR} <= named
    assert len(ep.ENDPOINTS) == len(ROWS)


def test_only_the_documented_endpoints_go_without_auth_headers() -> None:
    anonymous = {row.name for row in ep.ENDPOINTS if not row.auth}
    assert anonymous == {"users.register", "users.forgotPassword", "users.2fa.sendEmailCode",
                         "login", "avatar"}  # /avatar takes rc_uid/rc_token instead


API_MD = (Path(__file__).resolve().parents[1] / "API.md").read_text()


async def test_api_md_lists_every_endpoint_and_method() -> None:
    api = API_MD
    for method, name, _, python in ROWS:
        rest = "/avatar/{subject}" if name.startswith("/avatar/") else name
        assert f"| {method} {rest}" in api, rest
        assert f"`{python}(" in api, python
    async with rcu.Session("http://127.0.0.1:9") as rc:
        for area in ("users", "moderation"):
            for attr in dir(getattr(rc, area)):
                if not attr.startswith("_"):
                    assert f"`rc.{area}.{attr}(" in api, attr
