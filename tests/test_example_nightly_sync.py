"""examples/nightly_sync.py against the emulator: a dry run changes nothing, a real run does
what the file says and its report tells it, and a refused change is exit code 1 and reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import rocketchat_users as rcu
from examples import nightly_sync
from rocketchat_users.testing import Emulator
from tests.test_sync import room_owner

PASSWORD = "A-long-Passw0rd!"


pytestmark = pytest.mark.usefixtures("examples_env")  # run against this test's emulator


async def humans(rc: rcu.Session, server: Emulator) -> list[rcu.User]:
    """Seeded people (not the admin, not bots), active ones first by id."""
    users = [u async for u in rc.users.iter_list()
             if u.type == "user" and u.id != server.admin.user_id]
    return sorted(users, key=lambda u: (not u.active, u.id))


async def plain_people(rc: rcu.Session, server: Emulator) -> list[rcu.User]:
    """Active people who own no room: the server lets them be deactivated without relinquish."""
    return [u for u in await humans(rc, server) if u.active
            and not any(team.is_owner for team in await rc.users.list_teams(user_id=u.id))]


def email(server: Emulator, user_id: str) -> str:
    doc = server.get_user(user_id)
    assert doc is not None
    return str(doc["emails"][0]["address"])


async def snapshot(rc: rcu.Session) -> list[tuple[str, str | None, str | None, bool | None]]:
    return [(u.id, u.username, u.name, u.active) async for u in rc.users.iter_list()]


async def test_a_dry_run_prints_the_plan_and_changes_nothing(
        rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    first, second = (await plain_people(rocketchat_session, rocketchat_emulator))[:2]
    people = tmp_path / "people.csv"
    people.write_text("username,email,name,active\n"
                      f"{first.username},,Renamed Person,\n"
                      f"{second.username},,,false\n"
                      "new.person,new.person@example.org,New Person,true\n", encoding="utf-8")
    before = await snapshot(rocketchat_session)
    posts_before = sum(method == "POST" for method, _ in rocketchat_emulator.request_log)

    code = await nightly_sync.main([str(people), "--dry-run", "--deactivate-missing",
                                    "--report", str(tmp_path / "report.json")])

    assert code == 0
    assert await snapshot(rocketchat_session) == before
    assert sum(method == "POST" for method, _ in rocketchat_emulator.request_log) == posts_before
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["dry_run"] is True and report["done"] is None
    assert report["planned"]["create"] == 1 and report["planned"]["update"] == 1
    # second by the file; every other active person because of --deactivate-missing
    active = sum(bool(u.active) for u in await humans(rocketchat_session, rocketchat_emulator))
    assert report["planned"]["deactivate"] == active - 1
    out = capsys.readouterr().out
    assert "dry run" in out and "new.person" in out and "Renamed Person" not in out


async def test_a_run_does_what_the_file_says_and_reports_it(
        rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, tmp_path: Path) -> None:
    first, second = (await plain_people(rocketchat_session, rocketchat_emulator))[:2]
    people = tmp_path / "people.json"
    people.write_text(json.dumps([
        {"username": first.username, "name": "Renamed Person"},
        {"username": second.username, "active": False},
        {"username": "new.person", "email": "new.person@example.org", "name": "New Person",
         "password": PASSWORD, "roles": ["user"]},
    ]), encoding="utf-8")
    report_file = tmp_path / "report.json"

    code = await nightly_sync.main([str(people), "--report", str(report_file)])

    assert code == 0
    assert (rocketchat_emulator.get_user(first.id) or {})["name"] == "Renamed Person"
    assert (rocketchat_emulator.get_user(second.id) or {})["active"] is False
    new = rocketchat_emulator.get_user("new.person")
    assert new is not None and new["name"] == "New Person"
    async with rcu.Session(rocketchat_emulator.url) as newcomer:  # created with the file's password
        assert (await newcomer.login("new.person", PASSWORD)).username == "new.person"
    text = report_file.read_text(encoding="utf-8")
    report = json.loads(text)
    assert report["done"] == {"created": 1, "updated": 1, "reactivated": 0, "deactivated": 1,
                              "unchanged": 0, "failed": 0}
    assert report["failures"] == [] and report["error"] is None
    assert {"plan", "apply", "total"} <= set(report["seconds"])
    assert PASSWORD not in text

    # Nightly again: nothing left to do.
    code = await nightly_sync.main([str(people), "--report", str(report_file)])
    again = json.loads(report_file.read_text(encoding="utf-8"))
    assert code == 0 and again["done"]["unchanged"] == 3 and again["done"]["created"] == 0


async def test_deactivate_missing_with_relinquish_leaves_only_the_listed_people(
        rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, tmp_path: Path) -> None:
    listed = (await humans(rocketchat_session, rocketchat_emulator))[0]
    people = tmp_path / "people.csv"
    people.write_text(f"username\n{listed.username}\n", encoding="utf-8")

    code = await nightly_sync.main([str(people), "--deactivate-missing", "--relinquish",
                                    "--report", str(tmp_path / "report.json")])

    assert code == 0
    still = {u.username for u in await humans(rocketchat_session, rocketchat_emulator)
             if u.active}
    assert still == {listed.username}
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["done"]["deactivated"] == report["planned"]["deactivate"] > 0


async def test_refused_changes_are_exit_code_1_and_in_the_report(
        rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    owner, _ = await room_owner(rocketchat_session, rocketchat_emulator)
    other = next(u for u in await humans(rocketchat_session, rocketchat_emulator)
                 if u.id != owner.id)
    people = tmp_path / "people.json"
    rows: list[dict[str, Any]] = [
        {"username": owner.username, "active": False},  # the sole owner of a room
        {"username": "bad.email", "email": "not-an-email", "name": "Bad Email",
         "password": PASSWORD},
        {"username": other.username, "name": "Still Renamed"},  # the rest goes on
    ]
    people.write_text(json.dumps(rows), encoding="utf-8")
    report_file = tmp_path / "report.json"

    code = await nightly_sync.main([str(people), "--report", str(report_file)])

    assert code == 1
    assert (rocketchat_emulator.get_user(owner.id) or {})["active"] is True
    assert rocketchat_emulator.get_user("bad.email") is None
    assert (rocketchat_emulator.get_user(other.id) or {})["name"] == "Still Renamed"
    text = report_file.read_text(encoding="utf-8")
    failures = {f["username"]: f for f in json.loads(text)["failures"]}
    assert set(failures) == {owner.username, "bad.email"}
    assert failures[owner.username]["action"] == "deactivate"
    assert "user-last-owner" in failures[owner.username]["error"]
    assert failures["bad.email"]["action"] == "create"
    assert failures["bad.email"]["error_type"] == "error-invalid-email"
    assert "Invalid email" in failures["bad.email"]["error"]
    assert PASSWORD not in text and PASSWORD not in capsys.readouterr().out


async def test_a_bad_file_is_exit_code_2_with_the_reason(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("username,active\nsomeone,maybe\n", encoding="utf-8")
    code = await nightly_sync.main([str(people), "--report", str(tmp_path / "report.json")])
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert code == 2 and "active must be true or false" in report["error"]


async def test_the_demo_leaves_your_people_csv_alone_and_writes_a_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No ROCKETCHAT_URL: the embedded emulator and a sample file, run where a real file lives.
    monkeypatch.delenv("ROCKETCHAT_URL")
    monkeypatch.chdir(tmp_path)
    mine = "username,email\nreal.person,real.person@example.org\n"
    (tmp_path / "people.csv").write_text(mine, encoding="utf-8")

    code = await nightly_sync.main([])

    assert code == 0
    assert (tmp_path / "people.csv").read_text(encoding="utf-8") == mine
    assert "ada.lovelace" in (tmp_path / "sample-people.csv").read_text(encoding="utf-8")
    report = json.loads((tmp_path / "sync-report.json").read_text(encoding="utf-8"))
    assert report["source"] == "sample-people.csv" and report["error"] is None
    assert report["done"]["created"] == 2 and report["done"]["failed"] == 0
