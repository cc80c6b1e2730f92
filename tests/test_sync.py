"""Declarative sync against the emulator: plan, apply, reruns, secrets and the ``sync`` command
(DESIGN.md §1 "Declarative sync")."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.pretty import pretty_repr

import rocketchat_users as rcu
from rocketchat_users import sync
from rocketchat_users.testing import Emulator
from tests.conftest import add_user, logged_in, user_doc
from tests.test_cli import run

UPDATE = ("POST", "/api/v1/users.update")
CREATE = ("POST", "/api/v1/users.create")
KINDS = ("creates", "updates", "reactivations", "deactivations", "unchanged")


@pytest.fixture
def rocketchat_emulator_options() -> dict[str, Any]:
    return {"users": 40, "seed": 2}


def names(changes: list[sync.Change]) -> list[str]:
    return [change.username or "?" for change in changes]


def posts(server: Emulator, since: int = 0) -> list[tuple[str, str]]:
    return [entry for entry in server.request_log[since:] if entry[0] == "POST"]


def meets_policy(password: str) -> bool:
    return bool(len(password) >= 14 and re.search("[A-Z]", password)
                and re.search("[a-z]", password) and re.search("[0-9]", password)
                and re.search("[^A-Za-z0-9]", password) and not re.search(r"(.)\1\1", password))


async def crafted(server: Emulator, rc: rcu.Session) -> list[dict[str, Any]]:
    """One user of each kind on the server, and the directory that wants them changed.

    Every seeded human is listed as is, so with deactivate_missing only "leaver" is missing;
    the caller (admin) and the bots (rocket.cat and seeded ones) are left out on purpose.
    """
    add_user(server, "keep", nickname="kk")
    add_user(server, "edit", name="Old Name", roles=["user"], bio="same",
             emails=[{"address": "Edit@Example.com", "verified": True}],
             customFields={"dept": "eng", "site": "lyon"})
    add_user(server, "sleeper", active=False, inactiveReason="deactivated")
    add_user(server, "quitter")
    add_user(server, "leaver")
    add_user(server, "gone", active=False, inactiveReason="deactivated")
    crafted_names = {"keep", "edit", "sleeper", "quitter", "leaver", "gone"}
    seeded = [{"username": u.username} async for u in rc.users.iter_list()
              if u.type == "user" and u.id != rc.user_id and u.username not in crafted_names]
    assert len(seeded) > 30
    return [
        {"username": "keep", "nickname": "kk"},
        # Same e-mail in another case and the same roles in another order: not changes.
        {"username": "edit", "name": "New Name", "email": "edit@example.COM", "bio": "same",
         "roles": ["user", "livechat-agent"], "customFields": {"dept": "ops", "site": "lyon"}},
        {"username": "sleeper", "nickname": "back"},
        {"username": "quitter", "active": False},
        {"username": "fresh", "email": "fresh@example.com", "name": "Fresh Person",
         "roles": ["user"]},
        *seeded,
    ]


# ------------------------------------------------------------------------------------- plan


async def test_plan_puts_each_user_in_one_kind_with_only_the_changed_fields(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    desired = await crafted(rocketchat_emulator, rocketchat_session)
    before = len(rocketchat_emulator.request_log)
    plan = await sync.plan(rocketchat_session, desired, deactivate_missing=True)

    assert names(plan.creates) == ["fresh"] and plan.creates[0].user_id is None
    [edit] = plan.updates
    assert edit.username == "edit" and edit.user_id == user_doc(rocketchat_emulator, "edit")["_id"]
    assert edit.data == rcu.UserUpdate(name="New Name", roles=["user", "livechat-agent"],
                                       custom_fields={"dept": "ops"})
    # Reactivation only, its one update carrying the other change too.
    [sleeper] = plan.reactivations
    assert sleeper.username == "sleeper"
    assert sleeper.data == rcu.UserUpdate(nickname="back", active=True)
    deactivations = {c.username: c.data for c in plan.deactivations}
    assert deactivations == {"quitter": rcu.UserUpdate(active=False),
                             "leaver": rcu.UserUpdate(active=False)}
    leaver = next(c for c in plan.deactivations if c.username == "leaver")
    assert leaver.record is None and leaver.index is None
    unchanged = set(names(plan.unchanged))
    # Missing but already inactive, the caller, and bots are unchanged, never deactivated.
    assert {"keep", "gone", "admin", "rocket.cat"} <= unchanged
    bots = {u.username async for u in rocketchat_session.users.iter_list() if u.type == "bot"}
    assert len(bots) >= 2 and bots <= unchanged
    # Every server user lands in exactly one list when missing users are managed.
    server_ids = {u.id async for u in rocketchat_session.users.iter_list()}
    planned = [c.user_id for kind in KINDS for c in getattr(plan, kind) if c.user_id]
    assert sorted(planned) == sorted(server_ids)
    # Planning only reads.
    assert posts(rocketchat_emulator, before) == []


async def test_without_deactivate_missing_only_the_desired_users_are_planned(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    desired = await crafted(rocketchat_emulator, rocketchat_session)
    plan = await sync.plan(rocketchat_session, desired)
    assert names(plan.deactivations) == ["quitter"]  # asked for; "leaver" is not in scope
    assert "leaver" not in names(plan.unchanged) and "gone" not in names(plan.unchanged)
    assert sum(len(getattr(plan, kind)) for kind in KINDS) == len(desired)


async def test_person_structs_and_wire_names_plan_alike(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    add_user(rocketchat_emulator, "typed", customFields={"team": "a"})
    as_mapping = [{"username": "typed", "statusText": "out", "custom_fields": {"team": "b"}}]
    as_struct = [sync.Person(username="typed", status_text="out", custom_fields={"team": "b"})]
    first = await sync.plan(rocketchat_session, as_mapping)
    second = await sync.plan(rocketchat_session, as_struct)
    assert [c.data for c in first.updates] == [c.data for c in second.updates] == [
        rcu.UserUpdate(status_text="out", custom_fields={"team": "b"})]
    assert first.updates[0].record == second.updates[0].record


async def test_key_email_matches_case_insensitively(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    add_user(rocketchat_emulator, "mixed", emails=[{"address": "Mixed.Case@Example.com",
                                                    "verified": False}])
    desired = [{"email": "mixed.case@EXAMPLE.com", "username": "mixed.renamed", "name": "Mixed"}]
    plan = await sync.plan(rocketchat_session, desired, key="email")
    assert plan.creates == []
    [change] = plan.updates
    assert change.user_id == user_doc(rocketchat_emulator, "mixed")["_id"]
    assert change.data == rcu.UserUpdate(username="mixed.renamed")  # the e-mail is unchanged

    report = await sync.apply(rocketchat_session, plan)
    assert report.ok and names(report.updated) == ["mixed"]
    doc = user_doc(rocketchat_emulator, "mixed.renamed")
    assert doc["emails"][0]["address"] == "Mixed.Case@Example.com"
    again = await sync.plan(rocketchat_session, desired, key="email")
    assert names(again.unchanged) == ["mixed.renamed"] and not again.updates


@pytest.mark.parametrize(("desired", "key", "error", "where"), [
    ([{"email": "a@example.com"}], "username", ValueError, r"desired\[0\]\.username: missing"),
    ([{"username": "a"}, {"username": "b"}, {"username": "A"}], "username", ValueError,
     r"desired\[2\]\.username: 'A' repeats desired\[0\]"),
    ([{"username": "a", "email": "a@x.org"}, {"email": "A@X.ORG"}], "email", ValueError,
     r"desired\[1\]\.email"),
    ([{"username": "a", "roles": "admin"}], "username", TypeError,
     r"desired\[0\]\.roles: expected a list of str, got str"),
    ([{"username": "a", "active": "yes"}], "username", TypeError, r"desired\[0\]\.active"),
    ([{"username": "a", "customFields": ["x"]}], "username", TypeError,
     r"desired\[0\]\.customFields"),
    ([{"username": "a"}, {"username": "b", "emial": "b@x.org"}], "username", ValueError,
     r"desired\[1\]\.emial: unknown field"),
    ([{"username": "a"}, "b"], "username", TypeError, r"desired\[1\]: expected a mapping"),
    ([sync.Person(username=7)], "username", TypeError,  # type: ignore[arg-type]
     r"desired\[0\]\.username: expected str, got int"),
    ([{"username": "a"}], "id", ValueError, r"key must be 'username' or 'email'"),
])
async def test_bad_records_are_refused_before_any_request(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session,
    desired: list[Any], key: Any, error: type[Exception], where: str,
) -> None:
    before = len(rocketchat_emulator.request_log)
    with pytest.raises(error, match=where):
        await sync.plan(rocketchat_session, desired, key=key)
    assert len(rocketchat_emulator.request_log) == before


async def test_incomplete_new_records_and_deactivating_the_caller_are_refused_before_writing(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    before = len(rocketchat_emulator.request_log)
    with pytest.raises(ValueError, match=r"desired\[1\]\.email: needed to create"):
        await sync.plan(rocketchat_session, [{"username": "admin"},
                                             {"username": "nobody.yet", "name": "No Body"}])
    with pytest.raises(ValueError, match=r"desired\[0\]\.active: False would deactivate"):
        await sync.plan(rocketchat_session, [{"username": "admin", "active": False}])
    assert posts(rocketchat_emulator, before) == []
    assert user_doc(rocketchat_emulator, "admin")["active"] is True


# ------------------------------------------------------------------------------------ apply


async def test_apply_makes_the_server_match_with_one_update_per_changed_user(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    server = rocketchat_emulator
    desired = await crafted(server, rocketchat_session)
    plan = await sync.plan(rocketchat_session, desired, deactivate_missing=True)
    before = len(server.request_log)
    report = await sync.apply(rocketchat_session, plan, concurrency=3)

    assert report.ok and report.failed == []
    assert names(report.created) == ["fresh"]
    assert report.created[0].user_id == user_doc(server, "fresh")["_id"]
    assert names(report.updated) == ["edit"] and names(report.reactivated) == ["sleeper"]
    assert sorted(names(report.deactivated)) == ["leaver", "quitter"]
    assert report.unchanged == plan.unchanged
    sent = posts(server, before)
    assert sent.count(UPDATE) == 4 and sent.count(CREATE) == 1 and len(sent) == 5

    edit = user_doc(server, "edit")
    assert (edit["name"], edit["bio"], set(edit["roles"])) == (
        "New Name", "same", {"user", "livechat-agent"})
    assert edit["customFields"] == {"dept": "ops", "site": "lyon"}
    assert edit["emails"][0]["address"] == "Edit@Example.com"  # not rewritten: same address
    sleeper = user_doc(server, "sleeper")
    assert sleeper["active"] is True and sleeper["nickname"] == "back"
    assert user_doc(server, "quitter")["active"] is False
    assert user_doc(server, "leaver")["active"] is False
    assert user_doc(server, "gone")["active"] is False
    assert user_doc(server, "admin")["active"] is True
    assert user_doc(server, "rocket.cat")["active"] is True
    fresh = user_doc(server, "fresh")
    assert (fresh["name"], fresh["emails"][0]["address"], fresh["roles"]) == (
        "Fresh Person", "fresh@example.com", ["user"])
    assert fresh["requirePasswordChange"] is True and fresh["active"] is True

    # Idempotent: planned again, nothing is left to do, and applying sends nothing.
    again = await sync.plan(rocketchat_session, desired, deactivate_missing=True)
    assert [len(getattr(again, kind)) for kind in KINDS[:4]] == [0, 0, 0, 0]
    mark = len(server.request_log)
    rerun = await sync.apply(rocketchat_session, again)
    assert rerun.ok and not rerun.created and not rerun.updated
    assert posts(server, mark) == []


async def test_a_rerun_after_failures_does_only_what_is_left_and_never_creates_twice(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    server = rocketchat_emulator
    add_user(server, "steady")
    desired: list[dict[str, Any]] = [
        {"username": "first", "email": "first@example.com", "name": "First"},
        {"username": "bad.mail", "email": "not-an-email", "name": "Bad Mail"},
        {"username": "weak", "email": "weak@example.com", "name": "Weak", "password": "short"},
        {"username": "steady", "name": "Steady Now"},
    ]
    plan = await sync.plan(rocketchat_session, desired)
    report = await sync.apply(rocketchat_session, plan)
    assert names(report.created) == ["first"] and names(report.updated) == ["steady"]
    failures = {change.username: exc for change, exc in report.failed}
    assert set(failures) == {"bad.mail", "weak"}
    assert isinstance(failures["bad.mail"], rcu.BadRequestError)
    assert failures["bad.mail"].error_type == "error-invalid-email"
    assert isinstance(failures["weak"], rcu.BadRequestError)
    assert failures["weak"].error_type == "error-password-policy-not-met"
    assert server.get_user("bad.mail") is None and server.get_user("weak") is None

    # Sending the stale plan again (as after a crash before the report was kept): the
    # server refuses the second "first" instead of creating it twice.
    stale = await sync.apply(rocketchat_session, plan)
    again = {change.username: exc for change, exc in stale.failed}
    assert isinstance(again["first"], rcu.BadRequestError)
    assert again["first"].error_type == "error-field-unavailable"
    listed = [u async for u in rocketchat_session.users.iter_list(query={"username": "first"})]
    assert len(listed) == 1

    # Fixed records, planned afresh: only the two that failed are left to create.
    desired[1]["email"] = "bad.mail@example.com"
    desired[2]["password"] = "A-much-B3tter-passphrase"
    replan = await sync.plan(rocketchat_session, desired)
    assert names(replan.creates) == ["bad.mail", "weak"]
    assert not replan.updates and set(names(replan.unchanged)) == {"first", "steady"}
    mark = len(server.request_log)
    fixed = await sync.apply(rocketchat_session, replan)
    assert fixed.ok and names(fixed.created) == ["bad.mail", "weak"]
    assert posts(server, mark) == [CREATE, CREATE]
    assert user_doc(server, "weak").get("requirePasswordChange") is not True  # its own password
    async with logged_in(server, "weak", "A-much-B3tter-passphrase") as rc:
        assert (await rc.me()).username == "weak"


async def test_a_failed_deactivation_does_not_stop_the_rest(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    add_user(rocketchat_emulator, "first.off")
    add_user(rocketchat_emulator, "second.off")
    plan = await sync.plan(rocketchat_session, [{"username": "first.off", "active": False},
                                                {"username": "second.off", "active": False}])
    # The first user vanishes between plan and apply.
    doomed = plan.deactivations[0]
    assert doomed.user_id is not None
    await rocketchat_session.users.delete(user_id=doomed.user_id)
    report = await sync.apply(rocketchat_session, plan, concurrency=1)
    assert names(report.deactivated) == ["second.off"]
    [(change, exc)] = report.failed
    assert change is doomed and isinstance(exc, rcu.APIError)
    assert user_doc(rocketchat_emulator, "second.off")["active"] is False


# ---------------------------------------------------------------------------------- secrets


async def test_generated_passwords_meet_the_policy_and_never_show(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    generated: list[str] = []
    original: Callable[[], str] = sync.strong_password

    def recording() -> str:
        generated.append(original())
        return generated[-1]

    monkeypatch.setattr(sync, "strong_password", recording)
    caplog.set_level(logging.DEBUG)
    explicit = "Expl1cit-Secret-Value"
    desired = [{"username": f"gen.{i}", "email": f"gen.{i}@example.com", "name": f"Gen {i}"}
               for i in range(3)]
    desired.append({"username": "own", "email": "own@example.com", "name": "Own",
                    "password": explicit})
    plan = await sync.plan(rocketchat_session, desired)
    assert generated == []  # nothing secret is made before apply
    report = await sync.apply(rocketchat_session, plan)
    assert report.ok and len(generated) == 3 and len(set(generated)) == 3
    assert all(meets_policy(password) for password in generated)

    shown = "\n".join([repr(plan), str(plan), repr(report), str(report), pretty_repr(plan),
                       pretty_repr(report), caplog.text])
    for secret in [*generated, explicit]:
        assert secret not in shown
    assert "***" in repr(plan.creates[-1].record)  # the explicit password, masked
    assert "created" in caplog.text  # the summary was logged, and it was checked above
    for i in range(3):
        assert user_doc(rocketchat_emulator, f"gen.{i}")["requirePasswordChange"] is True
    assert user_doc(rocketchat_emulator, "own").get("requirePasswordChange") is not True
    # The generated password is the one the server got.
    async with logged_in(rocketchat_emulator, "gen.0", generated[0]) as rc:
        assert (await rc.me()).username == "gen.0"


def test_strong_password_meets_the_policy_every_time() -> None:
    passwords = [sync.strong_password() for _ in range(500)]
    assert all(meets_policy(password) for password in passwords)
    assert len(set(passwords)) == len(passwords)


# -------------------------------------------------------------------------------------- CLI


async def test_sync_command_dry_run_changes_nothing_then_a_run_applies(tmp_path: Path) -> None:
    async with Emulator(users=10, seed=2) as server:
        env = {"ROCKETCHAT_URL": server.url, "ROCKETCHAT_USER_ID": server.admin.user_id,
               "ROCKETCHAT_AUTH_TOKEN": server.admin.auth_token}
        add_user(server, "carol", name="Carol")
        add_user(server, "dave", active=False, inactiveReason="deactivated")
        people = tmp_path / "people.csv"
        people.write_text(
            "username,email,name,roles,active,nickname\n"
            "carol,,Carol King,user;livechat-agent,true,\n"
            "dave,,,,TRUE,\n"
            "erin,erin@example.com,Erin New,user,true,ee\n", encoding="utf-8")
        before = len(server.request_log)
        code, out, err = await run("sync", str(people), "--dry-run", env=env)
        assert code == 0, err
        assert "dry run" in out and "erin" in out and "carol" in out and "dave" in out
        assert re.search(r"create\s*│\s*1\s*│\s*erin", out), out
        code, out, err = await run("sync", str(people), "--dry-run", "--deactivate-missing",
                                   env=env)
        assert code == 0, err
        # The seeded humans, but not the caller nor the bots.
        assert re.search(r"deactivate\s*│\s*9\s*│", out), out
        unchanged = re.search(r"unchanged\s*│\s*\d+\s*│(.*)", out)
        assert unchanged and "admin" in unchanged[1] and "rocket.cat" in unchanged[1], out
        assert posts(server, before) == []
        assert server.get_user("erin") is None and user_doc(server, "carol")["name"] == "Carol"

        code, out, err = await run("sync", str(people), env=env)
        assert code == 0, err
        assert re.search(r"created\s*│\s*1", out) and re.search(r"failed\s*│\s*0", out), out
        carol = user_doc(server, "carol")
        assert carol["name"] == "Carol King" and set(carol["roles"]) == {"user", "livechat-agent"}
        assert user_doc(server, "dave")["active"] is True
        erin = user_doc(server, "erin")
        assert erin["nickname"] == "ee" and erin["requirePasswordChange"] is True


async def test_sync_command_reports_failures_and_exits_1(tmp_path: Path) -> None:
    async with Emulator(users=5, seed=2) as server:
        env = {"ROCKETCHAT_URL": server.url, "ROCKETCHAT_USER_ID": server.admin.user_id,
               "ROCKETCHAT_AUTH_TOKEN": server.admin.auth_token}
        add_user(server, "frank")
        secret = "Sh0rt!"
        people = tmp_path / "people.jsonl"
        people.write_text("\n".join(json.dumps(record) for record in [
            {"email": "frank@example.com", "name": "Frank Renamed"},
            {"email": "grace@example.com", "username": "grace", "name": "Grace",
             "password": secret},
        ]) + "\n", encoding="utf-8")
        code, out, err = await run("sync", str(people), "--key", "email", env=env)
        assert code == 1, err
        assert ("failed to create grace: POST users.create -> 400 "
                "error-password-policy-not-met") in err
        assert secret not in out + err and "Traceback" not in err
        assert user_doc(server, "frank")["name"] == "Frank Renamed"

        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps([{"username": "x", "roles": "admin"}]), encoding="utf-8")
        code, out, err = await run("sync", str(bad), env=env)
        assert code == 1 and "desired[0].roles: expected a list of str" in err
        assert "Traceback" not in err


async def room_owner(rc: rcu.Session, server: Emulator) -> tuple[rcu.User, str]:
    """A seeded user who is the sole owner of a team room, and that team's name."""
    async for user in rc.users.iter_list():
        if user.id == server.admin.user_id:
            continue
        owned = [team.name for team in await rc.users.list_teams(user_id=user.id)
                 if team.is_owner]
        if owned and owned[0]:
            return user, owned[0]
    raise AssertionError("the seed has team owners")


async def owners_of(rc: rcu.Session, team_name: str) -> set[str]:
    found = set()
    async for user in rc.users.iter_list():
        if any(team.name == team_name and team.is_owner
               for team in await rc.users.list_teams(user_id=user.id)):
            found.add(user.id)
    return found


async def test_a_sole_room_owner_is_reported_without_relinquish_and_deactivated_with_it(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    owner, team = await room_owner(rocketchat_session, rocketchat_emulator)
    desired = [{"username": owner.username, "active": False}]

    refused = await sync.apply(rocketchat_session, await sync.plan(rocketchat_session, desired))
    assert refused.deactivated == [] and len(refused.failed) == 1
    change, exc = refused.failed[0]
    assert change.user_id == owner.id
    assert isinstance(exc, rcu.BadRequestError) and exc.error_type == "user-last-owner"
    assert user_doc(rocketchat_emulator, str(owner.username))["active"] is True
    assert await owners_of(rocketchat_session, team) == {owner.id}

    done = await sync.apply(rocketchat_session, await sync.plan(rocketchat_session, desired),
                            relinquish=True)
    assert done.failed == [] and [c.user_id for c in done.deactivated] == [owner.id]
    assert user_doc(rocketchat_emulator, str(owner.username))["active"] is False
    # The server handed the room to another member (§8.6): it still has exactly one owner.
    heirs = await owners_of(rocketchat_session, team)
    assert len(heirs) == 1 and owner.id not in heirs
    again = await sync.plan(rocketchat_session, desired)
    assert again.deactivations == [] and [c.user_id for c in again.unchanged] == [owner.id]


async def test_sync_command_says_how_to_deactivate_a_sole_owner(tmp_path: Path) -> None:
    async with Emulator(users=20, seed=2) as server, rcu.Session(
            server.url, user_id=server.admin.user_id, auth_token=server.admin.auth_token) as rc:
        owner, _ = await room_owner(rc, server)
        env = {"ROCKETCHAT_URL": server.url, "ROCKETCHAT_USER_ID": server.admin.user_id,
               "ROCKETCHAT_AUTH_TOKEN": server.admin.auth_token}
        people = tmp_path / "people.json"
        people.write_text(json.dumps([{"username": owner.username, "active": False}]),
                          encoding="utf-8")
        code, _, err = await run("sync", str(people), env=env)
        assert code == 1, err
        assert "user-last-owner" in err and "--relinquish" in err
        assert user_doc(server, str(owner.username))["active"] is True
        code, _, err = await run("sync", str(people), "--relinquish", env=env)
        assert code == 0, err
        assert user_doc(server, str(owner.username))["active"] is False


async def test_a_sync_rerun_during_churn_converges() -> None:
    """Users created and deleted while syncing: no round ever "creates" a user who exists (the
    plan reads through the exact walk), and once the churn stops one more run leaves nothing."""
    async with Emulator(users=300, seed=5, churn=(2, 2)) as server, rcu.Session(
            server.url, user_id=server.admin.user_id, auth_token=server.admin.auth_token) as rc:
        assert server.churn is not None
        server.churn.paused = True
        humans = [user async for user in rc.users.iter_list()
                  if user.type == "user" and user.id != server.admin.user_id and user.active]
        desired: list[dict[str, object]] = [
            {"username": u.username, "email": user_doc(server, u.id)["emails"][0]["address"],
             "name": u.name, "nickname": "synced"} for u in humans[:200]]
        desired += [{"username": f"new{i}", "email": f"new{i}@example.org", "name": f"New {i}"}
                    for i in range(30)]
        server.churn.paused = False
        for _ in range(3):
            plan = await sync.plan(rc, desired, deactivate_missing=True)
            report = await sync.apply(rc, plan)
            for change, exc in report.failed:
                # Only a user churn deleted between plan and apply may fail (his update).
                assert isinstance(exc, rcu.UserNotFoundError), (change.username, exc)
                assert change.user_id in server.churn.deleted
        assert server.churn.created and server.churn.deleted
        server.churn.paused = True
        final = await sync.apply(rc, await sync.plan(rc, desired, deactivate_missing=True))
        assert final.failed == []
        settled = await sync.plan(rc, desired, deactivate_missing=True)
        assert [getattr(settled, kind) for kind in KINDS[:4]] == [[], [], [], []]
        for record in desired:
            doc = user_doc(server, str(record["username"]))
            assert doc["active"] is True
            assert doc.get("nickname") == record.get("nickname", doc.get("nickname"))
        wanted = {str(record["username"]) for record in desired}
        for user in [u async for u in rc.users.iter_list()]:
            if user.type == "user" and user.id != server.admin.user_id:
                assert bool(user.active) == (user.username in wanted), user.username
