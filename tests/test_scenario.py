"""A user's day, end to end over real sockets against the emulator."""

from __future__ import annotations

from datetime import timedelta

import pytest

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator

PASSWORD = "Morning-Coffee-2026!"
NEW_PASSWORD = "Evening-Tea-Time-77?"


async def test_a_users_day() -> None:
    async with Emulator(users=30, seed=7) as server:
        admin = server.admin
        async with rcu.Session(server.url, user_id=admin.user_id,
                               auth_token=admin.auth_token) as ops, rcu.Session(server.url) as me:
            # Morning: sign up and log in.
            registered = await me.users.register(username="maya.k", email="maya@example.org",
                                                 password=PASSWORD, name="Maya Kowalczyk")
            assert registered.username == "maya.k" and registered.active is True
            profile = await me.login("maya.k", PASSWORD)
            assert profile.id == registered.id and me.user_id == registered.id

            # Tidy the profile; change the password (2FA by the current password's digest).
            updated = await me.users.update_own_basic_info(
                data={"name": "Maya K.", "bio": "Ops on call"})
            assert updated.name == "Maya K."
            await me.users.update_own_basic_info(
                data=rcu.BasicInfoUpdate(new_password=NEW_PASSWORD, current_password=PASSWORD))

            # Set a status; the admin's presence watch sees the change.
            snapshot = await ops.users.presence()
            await me.users.set_status(status="busy", message="deep work")
            delta = await ops.users.presence(from_=snapshot.fetched_at - timedelta(seconds=1))
            assert delta.full is False
            changed = {user.username: user.status for user in delta.users}
            assert changed.get("maya.k") == "busy"
            assert (await ops.users.get_status(username="maya.k")).status == "busy"

            # A token for a script; the script acts as Maya with it.
            token = await me.users.generate_personal_access_token(token_name="cron")
            async with rcu.Session(server.url, user_id=me.user_id, auth_token=token) as script:
                assert (await script.me()).username == "maya.k"
                assert [t.name for t in await script.users.get_personal_access_tokens()] == [
                    "cron"]

            # Evening: log out; the Session forgets who it was, the new password works.
            await me.logout()
            assert me.user_id is None
            with pytest.raises(rcu.AuthenticationError):
                await me.me()
            again = await me.login("maya.k", NEW_PASSWORD)
            assert again.name == "Maya K."

            # Night: the admin deactivates users idle for 30 days; Maya logged in today.
            deactivated = await ops.users.deactivate_idle(days_idle=30, role="user")
            assert deactivated > 0
            assert (await ops.users.info(username="maya.k")).active is True
            idle = await ops.users.list_by_status(status="deactivated",
                                                  inactive_reason=["idle_too_long"], count=0)
            assert idle.total == deactivated
            assert "maya.k" not in {user.username for user in idle.users}
