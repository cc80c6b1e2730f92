"""examples/export_sqlite.py against the emulator: one row per user, and a rerun updates rows
in place (and drops the rows of deleted users) instead of adding them again."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

import rocketchat_users as rcu
from examples import export_sqlite
from rocketchat_users.testing import Emulator

pytestmark = pytest.mark.usefixtures("examples_env")  # run against this test's emulator


@pytest.fixture
def rocketchat_emulator_options() -> dict[str, object]:
    # More users than one batch and one page (the server's cap is 100), so both repeat.
    return {"users": 1200, "seed": 3}


def rows(db_path: Path) -> dict[str, tuple[str, str, int]]:
    with closing(sqlite3.connect(db_path)) as db:
        return {id_: (username, name, active) for id_, username, name, active
                in db.execute("SELECT id, username, name, active FROM users")}


async def test_every_user_is_one_row_and_a_rerun_updates_in_place(
        rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, tmp_path: Path) -> None:
    db = tmp_path / "users.db"
    await export_sqlite.main([str(db)])
    total = (await rocketchat_session.users.list(count=1)).total
    first = rows(db)
    assert len(first) == total == 1200 + 2  # the seeded users, the admin and rocket.cat
    someone = next(uid for uid, (username, _, _) in first.items() if username != "admin")
    assert first[someone][1] != "Renamed Person"

    await rocketchat_session.users.update(user_id=someone, data={"name": "Renamed Person"})
    await export_sqlite.main([str(db)])

    second = rows(db)
    assert len(second) == total
    assert second[someone] == (first[someone][0], "Renamed Person", first[someone][2])
    assert {uid: r for uid, r in second.items() if uid != someone} == \
        {uid: r for uid, r in first.items() if uid != someone}


async def test_a_user_deleted_on_the_server_leaves_the_table(
        rocketchat_session: rcu.Session, tmp_path: Path) -> None:
    db = tmp_path / "users.db"
    await export_sqlite.main([str(db)])
    gone = next(uid for uid, (username, _, _) in rows(db).items()
                if username not in ("admin", "rocket.cat"))
    await rocketchat_session.users.delete(user_id=gone)
    await export_sqlite.main([str(db)])
    left = rows(db)
    assert gone not in left
    assert len(left) == (await rocketchat_session.users.list(count=1)).total


async def test_the_demo_never_touches_a_real_servers_users_db(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No ROCKETCHAT_URL: the embedded emulator, run where a real export lives.
    monkeypatch.delenv("ROCKETCHAT_URL")
    monkeypatch.chdir(tmp_path)
    real = tmp_path / "users.db"
    with closing(sqlite3.connect(real)) as db, db:
        db.execute(export_sqlite.SCHEMA)
        db.execute("INSERT INTO users (id, username, name, active, seen_at)"
                   " VALUES ('real-id', 'real.person', 'Real Person', 1, '2026-01-01')")

    await export_sqlite.main([])

    assert rows(real) == {"real-id": ("real.person", "Real Person", 1)}
    demo = rows(tmp_path / "emulator-users.db")
    assert len(demo) == 2500 + 2 and "real-id" not in demo
