"""Shared fixtures: the official spec's examples and a wire mock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator
from tests.wire import Wire

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
OPENAPI = SHARED / "openapi"


def load_spec(name: str) -> dict[str, Any]:
    path = OPENAPI / name
    if not path.is_file():
        # Loud on purpose: a missing spec must not turn its tests into silent passes.
        raise FileNotFoundError(f"{path} is missing: tests need ../shared/openapi beside the repo")
    with path.open() as f:
        return yaml.safe_load(f)  # type: ignore[no-any-return]


@pytest.fixture
def wire() -> Iterator[Wire]:
    with Wire() as mock:
        yield mock


# ---- people on an emulated server -------------------------------------------------------------

PASSWORD = "Str0ng-Passw0rd!x"  # meets the server's default policy (§11)
NOT_LOGGED_IN = "You must be logged in to do this."


async def stored(server: Emulator, admin: rcu.Session) -> list[dict[str, Any]]:
    """Every stored user document (services included), via the public hooks."""
    docs = []
    for user in (await admin.users.list(count=0)).users:
        doc = server.get_user(user.id)
        assert doc is not None
        docs.append(doc)
    return docs


def is_plain(doc: dict[str, Any]) -> bool:
    """Only the ``user`` role, active, and no e-mail 2FA (a password login is not challenged)."""
    email2fa = (doc.get("services") or {}).get("email2fa") or {}
    return (doc.get("roles") == ["user"] and doc.get("type") == "user"
            and bool(doc.get("active")) and not email2fa.get("enabled"))


async def plain_docs(server: Emulator, admin: rcu.Session) -> list[dict[str, Any]]:
    found = [doc for doc in await stored(server, admin) if is_plain(doc)]
    assert len(found) >= 2, "the seed should hold plain users without e-mail 2FA"
    return found


@pytest.fixture
async def plain_doc(rocketchat_emulator: Emulator,
                    rocketchat_session: rcu.Session) -> dict[str, Any]:
    """A seeded plain user's stored document."""
    return (await plain_docs(rocketchat_emulator, rocketchat_session))[0]


@pytest.fixture
async def other_doc(rocketchat_emulator: Emulator,
                    rocketchat_session: rcu.Session) -> dict[str, Any]:
    """Another seeded plain user's stored document."""
    return (await plain_docs(rocketchat_emulator, rocketchat_session))[1]


@pytest.fixture
async def plain(rocketchat_emulator: Emulator,
                plain_doc: dict[str, Any]) -> AsyncIterator[rcu.Session]:
    """A Session logged in with a password as a seeded plain user."""
    username = plain_doc["username"]
    async with rcu.Session(rocketchat_emulator.url) as rc:
        await rc.login(username, rocketchat_emulator.password_of(username))
        yield rc


@pytest.fixture
async def anonymous(rocketchat_emulator: Emulator) -> AsyncIterator[rcu.Session]:
    """A Session that never logged in."""
    async with rcu.Session(rocketchat_emulator.url) as rc:
        yield rc


def add_user(server: Emulator, username: str, *, verified: bool = False,
             **fields: Any) -> dict[str, Any]:
    """A plain user with PASSWORD; with an unverified address its login is not 2FA-challenged."""
    doc: dict[str, Any] = {
        "username": username,
        "name": username.title(),
        "emails": [{"address": f"{username}@example.com", "verified": verified}],
        "roles": ["user"],
        "password": PASSWORD,
    }
    doc.update(fields)
    return server.add_user(**doc)


@asynccontextmanager
async def logged_in(
    server: Emulator, username: str, password: str = PASSWORD
) -> AsyncIterator[rcu.Session]:
    async with rcu.Session(server.url) as rc:
        await rc.login(username, password)
        yield rc


def user_doc(server: Emulator, id_or_username: str) -> dict[str, Any]:
    doc = server.get_user(id_or_username)
    assert doc is not None, f"{id_or_username} is not on the server"
    return doc


@pytest.fixture
def examples_env(rocketchat_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point an example at the test's emulator, as one would at a real server."""
    admin = rocketchat_emulator.admin
    monkeypatch.setenv("ROCKETCHAT_URL", rocketchat_emulator.url)
    monkeypatch.setenv("ROCKETCHAT_USER_ID", admin.user_id)
    monkeypatch.setenv("ROCKETCHAT_AUTH_TOKEN", admin.auth_token)
