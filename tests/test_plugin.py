"""The pytest plugin users get by installing the package."""

from __future__ import annotations

from typing import Any

import pytest

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator


@pytest.fixture
def rocketchat_emulator_options() -> dict[str, Any]:
    return {"users": 7, "seed": 3, "settings": {"API_Upper_Count_Limit": 5}}


async def test_fixtures_give_a_live_emulator_and_a_bound_admin_session(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    me = await rocketchat_session.me()
    assert me.id == rocketchat_emulator.admin.user_id
    assert "admin" in (me.roles or [])
    page = await rocketchat_session.users.list(count=100)
    # the overridden options reached the emulator: 7 seeded + admin + rocket.cat, capped at 5
    assert page.total == 9 and page.count == 5


async def test_the_readme_example(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    user = await rocketchat_session.users.create(
        email="new@example.org", name="New Person", username="new.person",
        password="A-long-Passw0rd!")
    stored = rocketchat_emulator.get_user("new.person")
    assert stored is not None and stored["_id"] == user.id
    assert rocketchat_emulator.outbox == []  # no welcome mail unless asked
