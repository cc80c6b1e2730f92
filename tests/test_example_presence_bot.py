"""examples/presence_bot.py against the emulator: the bot greets exactly the users who came
online between its polls, not those online from the start nor those only changing status."""

from __future__ import annotations

import pytest

import rocketchat_users as rcu
from examples import presence_bot
from rocketchat_users.testing import Emulator


async def test_the_demo_greets_exactly_who_came_online(
        rocketchat_emulator: Emulator, rocketchat_session: rcu.Session,
        capsys: pytest.CaptureFixture[str]) -> None:
    came_online, greeted = await presence_bot.demo(rocketchat_emulator, rocketchat_session,
                                                   interval=0.05)
    assert len(came_online) >= 3
    assert sorted(greeted) == sorted(came_online)
    assert capsys.readouterr().out.count("welcome back") == len(came_online)


async def test_who_is_greeted(rocketchat_emulator: Emulator,
                              rocketchat_session: rcu.Session) -> None:
    people = [u async for u in rocketchat_session.users.iter_list()
              if u.type == "user" and u.active]
    x, y = [u for u in people if u.status == "offline"][:2]
    z = next(u for u in people if u.status == "online")
    steps = {1: [(x, "online"), (z, "away")],
             2: [(y, "busy"), (x, "offline"), (z, "online")],  # z never left: no greeting
             3: [(x, "away")]}                                  # x is back: greeted again

    def between_polls(poll: int) -> None:
        for user, status in steps.get(poll, []):
            rocketchat_emulator.set_connection_status(user.id, status)

    greeted = await presence_bot.greet_arrivals(rocketchat_session, interval=0.05, polls=4,
                                                between_polls=between_polls)
    assert greeted == [x.username, y.username, x.username]
