"""Reading users through the SDK against the emulator: info, me, list, listByStatus, usernames,
teams, data download, avatar suggestions.

Every test drives the public API over a real loopback socket and asserts what a user of a real
server would notice (docs/server-behavior.md §2.2, §5, §8.4, §8.8, §8.9; DESIGN.md §1).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

import pytest

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator
from tests.conftest import NOT_LOGGED_IN, plain_docs
from tests.conftest import stored as all_docs

SEEDED = 60
TOTAL = SEEDED + 2  # the seeded users, the admin and rocket.cat


@pytest.fixture
def rocketchat_emulator_options() -> dict[str, Any]:
    return {"users": SEEDED, "seed": 1}


# ---- helpers -------------------------------------------------------------------------------------


@pytest.fixture
async def plain_user(rocketchat_session: rcu.Session, plain_doc: dict[str, Any]) -> rcu.User:
    return await rocketchat_session.users.info(user_id=plain_doc["_id"])


def assert_aware(value: datetime | None) -> datetime:
    assert isinstance(value, datetime)
    assert value.tzinfo is not None and value.utcoffset() is not None
    return value


# ---- users.info ----------------------------------------------------------------------------------


async def test_info_by_id_username_and_email_finds_the_same_user(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, plain_user: rcu.User
) -> None:
    rc = rocketchat_session
    doc = rocketchat_emulator.get_user(plain_user.id)
    assert doc is not None
    by_id = await rc.users.info(user_id=plain_user.id)
    assert isinstance(by_id, rcu.User)
    assert by_id.id == plain_user.id
    assert by_id.username == doc["username"] and by_id.name == doc["name"]
    assert by_id.type == "user" and by_id.active is True
    # An admin holds view-full-other-user-info: e-mails, roles and dates come along (§8.4).
    assert by_id.roles == ["user"]
    assert by_id.emails is not None and all(isinstance(e, rcu.Email) for e in by_id.emails)
    assert [e.address for e in by_id.emails] == [e["address"] for e in doc["emails"]]
    assert by_id.can_view_all_info is True
    assert assert_aware(by_id.created_at) < datetime.now(timezone.utc)
    by_name = await rc.users.info(username=doc["username"])
    assert by_name.id == plain_user.id
    # §8.4: users.info resolves the username case-sensitively (findOneByIdOrUsername).
    with pytest.raises(rcu.UserNotFoundError):
        await rc.users.info(username=doc["username"].upper())
    by_email = await rc.users.info(email=doc["emails"][0]["address"])
    assert by_email.id == plain_user.id and by_email.username == doc["username"]


async def test_info_user_id_and_username_both_search_id_or_username(
    rocketchat_session: rcu.Session, plain_user: rcu.User
) -> None:
    # §8.4 "Lookup": userId and username are both resolved by findOneByIdOrUsername.
    rc = rocketchat_session
    assert plain_user.username is not None
    assert (await rc.users.info(username=plain_user.id)).id == plain_user.id
    assert (await rc.users.info(user_id=plain_user.username)).id == plain_user.id


async def test_info_by_import_id(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    added = rocketchat_emulator.add_user(username="imported.person", name="Imported Person",
                                         importIds=["csv-0042"])
    user = await rocketchat_session.users.info(import_id="csv-0042")
    assert user.id == added["_id"] and user.username == "imported.person"
    with pytest.raises(rcu.UserNotFoundError):
        await rocketchat_session.users.info(import_id="csv-9999")


async def test_info_include_user_rooms_for_self_and_admin_only(
    rocketchat_session: rcu.Session, plain: rcu.Session, plain_user: rcu.User
) -> None:
    mine = await plain.users.info(user_id=plain_user.id, include_user_rooms=True)
    assert mine.rooms is not None
    assert all(isinstance(room, rcu.UserRoom) for room in mine.rooms)
    general = [room for room in mine.rooms if room.rid == "GENERAL"]
    assert len(general) == 1 and general[0].name == "general" and general[0].type == "c"
    # §8.4: subscriptions sorted by type, then name.
    assert [(r.type or "", r.name or "") for r in mine.rooms] == sorted(
        (r.type or "", r.name or "") for r in mine.rooms)
    assert (await plain.users.info(user_id=plain_user.id)).rooms is None
    # Another user's rooms need view-other-user-channels: a plain user gets none, an admin does.
    admin_id = rocketchat_session.user_id
    assert admin_id is not None
    assert (await plain.users.info(user_id=admin_id, include_user_rooms=True)).rooms is None
    seen_by_admin = await rocketchat_session.users.info(username=plain_user.username,
                                                        include_user_rooms=True)
    assert seen_by_admin.rooms is not None
    assert {room.rid for room in seen_by_admin.rooms} == {room.rid for room in mine.rooms}


async def test_info_field_visibility_plain_user_versus_admin(
    rocketchat_session: rcu.Session, plain: rcu.Session, plain_user: rcu.User
) -> None:
    other = await plain.users.info(username="admin")
    assert other.username == "admin" and other.name == "Administrator"
    assert other.status == "online" and other.active is True
    # §8.4: a plain user does not see someone else's e-mails, roles, dates or connection.
    assert other.emails is None and other.roles is None
    assert other.created_at is None and other.last_login is None
    assert other.status_connection is None
    assert other.can_view_all_info is False
    mine = await plain.users.info(user_id=plain_user.id)
    assert mine.emails and mine.roles == ["user"] and mine.can_view_all_info is True
    full = await rocketchat_session.users.info(username="admin")
    assert full.emails is not None
    assert [e.address for e in full.emails] == ["admin@example.com"]
    assert full.roles is not None and "admin" in full.roles
    assert full.can_view_all_info is True


async def test_info_unknown_user_is_user_not_found(rocketchat_session: rcu.Session) -> None:
    targets: list[dict[str, Any]] = [{"user_id": "NoSuchUserId12345"},
                                     {"username": "no.such.user"},
                                     {"email": "nobody@nowhere.example"}]
    for kwargs in targets:
        with pytest.raises(rcu.UserNotFoundError) as caught:
            await rocketchat_session.users.info(**kwargs)
        exc = caught.value
        assert isinstance(exc, rcu.NotFoundError) and isinstance(exc, rcu.BadRequestError)
        assert exc.status == 400
        assert exc.error == "User not found."
        assert exc.error_type is None
        assert exc.endpoint == "GET users.info"


async def test_info_needs_exactly_one_target_before_sending(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    before = len(rocketchat_emulator.request_log)
    with pytest.raises(ValueError):
        await rocketchat_session.users.info()
    with pytest.raises(ValueError):
        await rocketchat_session.users.info(user_id="x", username="y")
    assert len(rocketchat_emulator.request_log) == before


# ---- me ------------------------------------------------------------------------------------------


async def test_me_admin_and_plain_user(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, plain: rcu.Session,
    plain_user: rcu.User,
) -> None:
    me = await rocketchat_session.me()
    assert isinstance(me, rcu.User)
    assert me.id == rocketchat_emulator.admin.user_id and me.username == "admin"
    assert me.roles is not None and "admin" in me.roles
    assert me.email == "admin@example.com"
    assert me.avatar_url == f"{rocketchat_emulator.url}/avatar/admin"
    # §2.5: the merged preferences, server defaults included.
    assert me.settings is not None and me.settings.preferences is not None
    assert isinstance(me.settings.preferences, rcu.Preferences)
    mine = await plain.me()
    assert mine.id == plain_user.id and mine.username == plain_user.username
    assert mine.roles == ["user"]
    # §2.3: `email` is the first verified address, omitted when there is none.
    doc = rocketchat_emulator.get_user(plain_user.id)
    assert doc is not None
    verified = [e["address"] for e in doc["emails"] if e["verified"]]
    assert mine.email == (verified[0] if verified else None)


# ---- users.list ----------------------------------------------------------------------------------


async def test_list_default_page_and_totals(rocketchat_session: rcu.Session) -> None:
    page = await rocketchat_session.users.list()
    assert isinstance(page, rcu.UsersPage)
    # §5.1: API_Default_Count is 50; `count` is the page length, `total` all matches.
    assert page.count == 50 and len(page.users) == 50
    assert page.offset == 0 and page.total == TOTAL
    assert all(isinstance(u.username, str) for u in page.users)
    usernames = [u.username or "" for u in page.users]
    assert usernames == sorted(usernames)  # default sort {"username": 1}
    assert all(isinstance(u, rcu.User) and u.id for u in page.users)


async def test_list_count_is_capped_at_the_upper_limit(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    rocketchat_emulator.settings["API_Upper_Count_Limit"] = 20
    page = await rocketchat_session.users.list(count=45)
    assert page.count == 20 and len(page.users) == 20 and page.total == TOTAL
    rocketchat_emulator.settings["API_Upper_Count_Limit"] = 100
    page = await rocketchat_session.users.list(count=500)
    assert page.count == TOTAL and page.total == TOTAL  # clamped, no error
    rocketchat_emulator.settings["API_Default_Count"] = 7
    assert (await rocketchat_session.users.list()).count == 7


async def test_list_offset_past_the_end_and_count_zero(rocketchat_session: rcu.Session) -> None:
    rc = rocketchat_session
    empty = await rc.users.list(offset=TOTAL + 10, count=10)
    assert empty.users == [] and empty.count == 0
    assert empty.offset == TOTAL + 10 and empty.total == TOTAL
    tail = await rc.users.list(offset=TOTAL - 2, count=10)
    assert tail.count == 2 and tail.offset == TOTAL - 2
    everyone = await rc.users.list(count=0)  # API_Allow_Infinite_Count: everything
    assert everyone.count == TOTAL == len(everyone.users) == everyone.total
    assert len({u.id for u in everyone.users}) == TOTAL
    # Pages walked by offset give the same users, in the same order, each once.
    walked: list[str] = []
    for offset in range(0, TOTAL, 25):
        walked.extend(u.id for u in (await rc.users.list(offset=offset, count=25)).users)
    assert walked == [u.id for u in everyone.users]


async def test_list_sort_by_id_and_username(rocketchat_session: rcu.Session) -> None:
    rc = rocketchat_session
    by_id = await rc.users.list(sort={"_id": 1}, count=0)
    ids = [u.id for u in by_id.users]
    assert ids == sorted(ids) and len(ids) == TOTAL
    by_id_desc = await rc.users.list(sort={"_id": -1}, count=0)
    assert [u.id for u in by_id_desc.users] == ids[::-1]
    desc = await rc.users.list(sort={"username": -1}, count=10)
    names = [u.username or "" for u in desc.users]
    assert names == sorted(names, reverse=True) and names[0] > names[-1]


async def test_list_query_regex_and_or(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    rc = rocketchat_session
    everyone = (await rc.users.list(count=0)).users
    expected = {u.id for u in everyone if (u.username or "").startswith("y")}
    assert expected, "the seed should hold usernames starting with y"
    page = await rc.users.list(query={"username": {"$regex": "^y"}}, count=0)
    assert {u.id for u in page.users} == expected and page.total == len(expected)
    either = await rc.users.list(
        query={"$or": [{"username": "admin"}, {"username": "rocket.cat"}]}, count=0
    )
    assert sorted(u.username or "" for u in either.users) == ["admin", "rocket.cat"]
    assert either.total == 2
    bots = await rc.users.list(query={"type": "bot"}, count=0)
    assert bots.total >= 1 and all(u.type == "bot" for u in bots.users)
    assert "rocket.cat" in {u.username for u in bots.users}


async def test_list_regex_value_with_plus_ampersand_and_unicode_arrives_intact(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    added = rocketchat_emulator.add_user(username="plus.amp", name="A+B & Çédille ☕ #1")
    # Escaped '+' must reach the server as a plus (not a space), '&' must not split the query.
    page = await rocketchat_session.users.list(
        query={"name": {"$regex": r"^A\+B & Çédille ☕ #1$"}}, count=0
    )
    assert [u.id for u in page.users] == [added["_id"]]
    assert page.users[0].name == "A+B & Çédille ☕ #1"


async def test_list_fields_add_allowed_fields(rocketchat_session: rcu.Session) -> None:
    rc = rocketchat_session
    plain_page = await rc.users.list(count=5)
    # The default projection has no createdAt / utcOffset (§5.4).
    assert all(u.created_at is None and u.utc_offset is None for u in plain_page.users)
    page = await rc.users.list(fields={"createdAt": 1, "utcOffset": 1}, count=5)
    assert page.count == 5
    assert all(u.created_at is not None for u in page.users)
    assert all(isinstance(u.utc_offset, float) for u in page.users)
    # Defaults stay: `fields` only adds (§5.4), exclusions are ignored.
    assert all(u.username and u.status for u in page.users)
    kept = await rc.users.list(fields={"username": 0, "name": 0}, count=5)
    assert all(u.username and u.name for u in kept.users)


async def test_list_custom_fields_follow_their_visibility(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, plain: rcu.Session
) -> None:
    stored = await all_docs(rocketchat_emulator, rocketchat_session)
    with_customs = {d["_id"]: d["customFields"] for d in stored if d.get("customFields")}
    assert with_customs, "the seed should hold users with custom fields"
    # The admin may add customFields; a plain user may not see private ones (§5.3).
    full = await rocketchat_session.users.list(fields={"customFields": 1}, count=0)
    assert {u.id: u.custom_fields for u in full.users if u.custom_fields} == with_customs
    hidden = await plain.users.list(fields={"customFields": 1}, count=0)
    assert all(u.custom_fields is None for u in hidden.users)
    rocketchat_emulator.settings["Accounts_CustomFieldsToShowInUserInfo"] = "department"
    public = await plain.users.list(fields={"customFields.department": 1}, count=0)
    assert {u.id: u.custom_fields for u in public.users if u.custom_fields} == {
        uid: {"department": c["department"]} for uid, c in with_customs.items()
    }
    # users.info shows public custom fields of others to a plain user (§8.4).
    uid, customs = next(iter(with_customs.items()))
    seen = await plain.users.info(user_id=uid)
    assert seen.custom_fields == {"department": customs["department"]}


async def test_list_sort_by_name_ignores_case_and_infinite_count_can_be_off(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    rc = rocketchat_session
    rocketchat_emulator.add_user(username="lower.case", name="aaron lowercase")
    by_name = await rc.users.list(sort={"name": 1}, count=0)
    names = [(u.name or "").lower() for u in by_name.users]
    assert names == sorted(names)
    # §5.1: with API_Allow_Infinite_Count off, count=0 means the default count.
    rocketchat_emulator.settings["API_Allow_Infinite_Count"] = False
    page = await rc.users.list(count=0)
    assert page.count == 50 and page.total == TOTAL + 1


async def test_list_forbidden_fields_are_silently_stripped_for_plain_users(
    rocketchat_session: rcu.Session, plain: rcu.Session
) -> None:
    page = await plain.users.list(fields={"emails": 1, "roles": 1, "createdAt": 1,
                                          "lastLogin": 1}, count=0)
    assert page.total == TOTAL
    assert all(u.emails is None and u.roles is None and u.created_at is None
               and u.last_login is None for u in page.users)
    assert all(u.username and u.active is not None for u in page.users)
    # A query on a forbidden field vanishes too: the filter is gone, not an error (§5.3).
    stripped = await plain.users.list(query={"emails.address": {"$regex": "^nomatch$"}}, count=0)
    assert stripped.total == TOTAL
    # The admin sees e-mails and roles in the default projection.
    admin_page = await rocketchat_session.users.list(count=0)
    assert any(u.emails for u in admin_page.users)
    assert any(u.last_login for u in admin_page.users)
    assert all(u.roles for u in admin_page.users)


async def test_list_invalid_sort_and_query_are_bad_requests(
    rocketchat_session: rcu.Session,
) -> None:
    rc = rocketchat_session
    with pytest.raises(rcu.BadRequestError) as caught:
        await rc.users.list(sort={"username": 2})
    assert caught.value.status == 400 and caught.value.error_type == "error-invalid-sort"
    assert caught.value.error.startswith("Invalid sort parameter provided: ")
    assert not isinstance(caught.value, rcu.UserNotFoundError)
    with pytest.raises(rcu.BadRequestError) as caught:
        await rc.users.list(query={"bio": "x"})
    assert caught.value.status == 400 and caught.value.error_type == "error-invalid-query"
    assert caught.value.error == "Invalid attribute: bio [error-invalid-query]"
    with pytest.raises(rcu.BadRequestError) as caught:
        await rc.users.list(query={"$or": [{"username": {"$ne": "admin"}}]})
    assert caught.value.error_type == "error-invalid-query"
    assert caught.value.error == "Invalid operation: $ne [error-invalid-query]"
    with pytest.raises(rcu.BadRequestError) as caught:
        await rc.users.list(fields={"name": 2})
    assert caught.value.error_type == "error-invalid-fields"
    with pytest.raises(ValueError):
        await rc.users.list(count=-1)
    # Other operators are dropped silently before use (§5.2 cleanQuery).
    cleaned = await rc.users.list(query={"$where": "1", "username": "admin"}, count=0)
    assert [u.username for u in cleaned.users] == ["admin"]


async def test_list_email_filter(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, plain_user: rcu.User
) -> None:
    doc = rocketchat_emulator.get_user(plain_user.id)
    assert doc is not None
    page = await rocketchat_session.users.list(email=doc["emails"][0]["address"])
    assert [u.id for u in page.users] == [plain_user.id] and page.total == 1


# ---- users.listByStatus --------------------------------------------------------------------------


async def test_list_by_status_active_and_deactivated(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    rc = rocketchat_session
    gone = rocketchat_emulator.add_user(username="gone.user", name="Gone User", active=False,
                                        inactiveReason="deactivated")
    idle = rocketchat_emulator.add_user(username="idle.user", name="Idle User", active=False,
                                        inactiveReason="idle_too_long")
    stored = await all_docs(rocketchat_emulator, rc)
    active = await rc.users.list_by_status(status="active", count=0)
    assert isinstance(active, rcu.UsersPage)
    assert active.users and all(u.active is True for u in active.users)
    assert active.total == sum(1 for d in stored if d.get("active"))
    inactive = await rc.users.list_by_status(status="deactivated", count=0)
    assert all(u.active is False for u in inactive.users)
    ids = {u.id for u in inactive.users}
    assert {gone["_id"], idle["_id"]} <= ids
    assert active.total + inactive.total == len(stored)
    by_reason = await rc.users.list_by_status(status="deactivated",
                                              inactive_reason=["idle_too_long"], count=0)
    reason_ids = {u.id for u in by_reason.users}
    assert idle["_id"] in reason_ids and gone["_id"] not in reason_ids
    assert reason_ids == {d["_id"] for d in stored if d.get("inactiveReason") == "idle_too_long"}


async def test_list_by_status_roles_type_search_and_logged_in(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    rc = rocketchat_session
    stored = await all_docs(rocketchat_emulator, rc)
    admins = await rc.users.list_by_status(roles=["admin"], count=0)
    assert {u.id for u in admins.users} == {d["_id"] for d in stored if "admin" in d["roles"]}
    assert "admin" in {u.username for u in admins.users}
    assert (await rc.users.list_by_status(roles=["all"], count=0)).total == TOTAL  # ignored
    several = await rc.users.list_by_status(roles=["bot", "guest"], count=0)
    assert {u.id for u in several.users} == {
        d["_id"] for d in stored if {"bot", "guest"} & set(d["roles"])
    }
    bots = await rc.users.list_by_status(type="bot", count=0)
    assert bots.users and all(u.type == "bot" for u in bots.users)
    assert "rocket.cat" in {u.username for u in bots.users}
    found = await rc.users.list_by_status(search_term="ZEYNEP", count=0)
    assert found.users
    assert all("zeynep" in ((u.username or "") + (u.name or "")).lower() for u in found.users)
    never = await rc.users.list_by_status(has_logged_in=False, count=0)
    assert never.users and all(u.last_login is None for u in never.users)
    assert never.total == sum(1 for d in stored if not d.get("lastLogin"))
    logged = await rc.users.list_by_status(has_logged_in=True, count=5)
    assert logged.count == 5 and all(u.last_login is not None for u in logged.users)


async def test_list_by_status_paging_and_errors(
    rocketchat_session: rcu.Session, plain: rcu.Session
) -> None:
    rc = rocketchat_session
    page = await rc.users.list_by_status(count=10, offset=5, sort={"username": 1})
    assert page.count == 10 and page.offset == 5 and page.total == TOTAL
    names = [u.username or "" for u in page.users]
    assert names == sorted(names)
    # A plain user gets the restricted projection.
    seen = await plain.users.list_by_status(status="active", count=0)
    assert seen.users and all(u.emails is None and u.roles is None for u in seen.users)
    # searchTerm matches e-mail addresses only for callers who may see them (§8.4).
    assert (await plain.users.list_by_status(search_term="@example.org", count=0)).total == 0
    assert (await rc.users.list_by_status(search_term="@example.org", count=0)).total > 0
    with pytest.raises(rcu.BadRequestError) as caught:
        await rc.users.list_by_status(status="sleeping")
    assert caught.value.status == 400
    assert caught.value.error_type in ("invalid-params", "error-invalid-params")
    with pytest.raises(rcu.BadRequestError) as caught:
        await rc.users.list_by_status(inactive_reason=["bored"])
    assert caught.value.status == 400
    with pytest.raises(rcu.BadRequestError) as caught:
        await rc.users.list_by_status(sort={"username": 0})
    assert caught.value.error_type == "error-invalid-sort"
    with pytest.raises(TypeError):
        await rc.users.list_by_status(roles="admin")  # type: ignore[arg-type]


# ---- autocomplete, usernames ---------------------------------------------------------------------


async def test_autocomplete(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, plain: rcu.Session
) -> None:
    items = await plain.users.autocomplete(selector={"term": "zeynep"})
    assert isinstance(items, list) and 1 <= len(items) <= 10
    assert all(isinstance(u, rcu.User) for u in items)
    assert all("zeynep" in ((u.username or "") + (u.name or "")).lower() for u in items)
    first = items[0].username
    assert first is not None
    fewer = await plain.users.autocomplete(selector={"term": "zeynep", "exceptions": [first]})
    assert first not in {u.username for u in fewer}
    assert len(fewer) == len(items) - 1
    many = await rocketchat_session.users.autocomplete(selector={"term": ""})
    assert len(many) == 10  # at most 10 (§8.4)
    rocketchat_emulator.add_user(username="zeynep.gone", name="Zeynep Gone", active=False)
    names = {u.username for u in await plain.users.autocomplete(selector={"term": "zeynep"})}
    assert "zeynep.gone" not in names  # active users only
    with pytest.raises(rcu.BadRequestError) as caught:
        await plain.users.autocomplete(selector={"term": "a", "conditions": {"$where": "1"}})
    assert caught.value.status == 400


async def test_check_username_availability(
    rocketchat_emulator: Emulator, plain: rcu.Session, plain_user: rcu.User
) -> None:
    assert plain_user.username is not None
    others = [d for d in await plain_docs(rocketchat_emulator, plain)
              if d["_id"] != plain_user.id]
    taken: str = others[0]["username"]
    assert await plain.users.check_username_availability(username=taken) is False
    # Case-insensitive, and a team's name blocks it too (§8.4).
    assert await plain.users.check_username_availability(username=taken.upper()) is False
    assert await plain.users.check_username_availability(username="engineering") is False
    free = await plain.users.check_username_availability(username="nobody.uses.this.42")
    assert free is True and isinstance(free, bool)
    assert await plain.users.check_username_availability(username=plain_user.username) is True
    with pytest.raises(rcu.BadRequestError) as caught:
        await plain.users.check_username_availability(username="administrator")
    exc = caught.value
    assert exc.status == 400 and exc.error_type == "error-blocked-username"
    assert exc.error == "administrator is blocked and can't be used! [error-blocked-username]"
    for blocked in ("here", "all"):
        with pytest.raises(rcu.BadRequestError) as caught:
            await plain.users.check_username_availability(username=blocked)
        assert caught.value.error_type == "error-blocked-username"
    # 8.8.1's schema has no minLength: an empty name reaches the handler, and no user has it.
    assert await plain.users.check_username_availability(username="") is True


async def test_get_username_suggestion(
    rocketchat_session: rcu.Session, plain: rcu.Session
) -> None:
    for rc in (plain, rocketchat_session):
        suggestion = await rc.users.get_username_suggestion()
        assert isinstance(suggestion, str) and suggestion
        # Usable by the caller: free, or the caller's own (§8.4).
        assert await rc.users.check_username_availability(username=suggestion) is True
    # The admin's name "Administrator" is a blocked username: the suggestion avoids it.
    assert await rocketchat_session.users.get_username_suggestion() != "administrator"


# ---- teams, data download, avatar suggestion -----------------------------------------------------


async def test_list_teams(rocketchat_emulator: Emulator, rocketchat_session: rcu.Session) -> None:
    rc = rocketchat_session
    memberships: dict[str, list[rcu.Team]] = {}
    for user in (await rc.users.list(count=0)).users:
        teams = await rc.users.list_teams(user_id=user.id)
        assert isinstance(teams, list)
        if teams:
            memberships[user.id] = teams
    assert memberships, "the seed should put users into teams"
    all_teams = {t.name: t for teams in memberships.values() for t in teams}
    assert set(all_teams) == {"engineering", "leadership"}
    for team in all_teams.values():
        assert isinstance(team, rcu.Team) and team.type in (0, 1)
        assert team.created_by is not None and team.created_by.username
        assert_aware(team.created_at)
        assert isinstance(team.room_id, str) and team.room_id
        assert isinstance(team.is_owner, bool)
    owners = [(uid, t) for uid, teams in memberships.items() for t in teams if t.is_owner]
    assert owners and all(t.created_by is not None and t.created_by.id == uid
                          for uid, t in owners)
    assert await rc.users.list_teams(user_id="NoSuchUserId12345") == []
    # A plain user outside the private team does not see it on a member's list (§8.9).
    private_members = [uid for uid, teams in memberships.items()
                       if any(t.type == 1 for t in teams)]
    outsider = next(d["username"] for d in await plain_docs(rocketchat_emulator, rc)
                    if d["_id"] not in private_members)
    async with rcu.Session(rocketchat_emulator.url) as other:
        await other.login(outsider, rocketchat_emulator.password_of(outsider))
        seen = await other.users.list_teams(user_id=private_members[0])
        assert all(t.type != 1 for t in seen)


async def test_request_data_download(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, plain: rcu.Session,
    plain_user: rcu.User,
) -> None:
    first = await plain.users.request_data_download()
    assert isinstance(first, rcu.DataDownload) and first.requested is True
    operation = first.export_operation
    assert isinstance(operation, rcu.ExportOperation)
    assert operation.user_id == plain_user.id and operation.status == "pending"
    assert operation.full_export is False
    assert_aware(operation.created_at)
    again = await plain.users.request_data_download(full_export=True)
    # One is already pending: not requested again, the existing operation comes back.
    assert again.requested is False
    assert again.export_operation is not None and again.export_operation.id == operation.id
    full = await rocketchat_session.users.request_data_download(full_export=True)
    assert full.requested is True and full.export_operation is not None
    assert full.export_operation.full_export is True
    assert full.export_operation.id != operation.id
    rocketchat_emulator.settings["UserData_EnableDownload"] = False
    with pytest.raises(rcu.PermissionDeniedError) as caught:
        await plain.users.request_data_download()
    assert caught.value.status in (400, 403)


async def test_get_avatar_suggestion(rocketchat_session: rcu.Session) -> None:
    suggestions = await rocketchat_session.users.get_avatar_suggestion()
    assert isinstance(suggestions, dict) and "gravatar" in suggestions
    gravatar = suggestions["gravatar"]
    assert isinstance(gravatar, rcu.AvatarSuggestion)
    assert gravatar.service == "gravatar"
    assert gravatar.url is not None and gravatar.url.startswith("https://")
    assert gravatar.blob is not None and gravatar.blob.startswith("data:image/")
    assert gravatar.content_type == "image/png"


# ---- not logged in, closed Session ---------------------------------------------------------------


async def test_not_logged_in_is_authentication_error(anonymous: rcu.Session) -> None:
    rc = anonymous
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: rc.users.info(username="admin"),
        lambda: rc.users.list(),
        lambda: rc.users.list_by_status(),
        lambda: rc.users.check_username_availability(username="someone"),
        lambda: rc.users.autocomplete(selector={"term": "a"}),
        lambda: rc.users.list_teams(user_id="x"),
        lambda: rc.users.request_data_download(),
        lambda: rc.users.get_avatar_suggestion(),
        lambda: rc.me(),
    ]
    for call in calls:
        with pytest.raises(rcu.AuthenticationError) as caught:
            await call()
        exc = caught.value
        assert exc.status == 401 and exc.error == NOT_LOGGED_IN
        assert not isinstance(exc, rcu.PermissionDeniedError)


async def test_wrong_token_is_authentication_error(rocketchat_emulator: Emulator) -> None:
    async with rcu.Session(rocketchat_emulator.url, user_id=rocketchat_emulator.admin.user_id,
                           auth_token="not-the-token") as rc:
        with pytest.raises(rcu.AuthenticationError) as caught:
            await rc.users.info(username="admin")
        assert caught.value.status == 401


async def test_session_used_after_close_raises_runtime_error(
    rocketchat_emulator: Emulator,
) -> None:
    admin = rocketchat_emulator.admin
    rc = rcu.Session(rocketchat_emulator.url, user_id=admin.user_id,
                     auth_token=admin.auth_token)
    async with rc:
        assert (await rc.me()).id == admin.user_id
    assert rc.closed
    before = len(rocketchat_emulator.request_log)
    with pytest.raises(RuntimeError):
        await rc.users.info(username="admin")
    with pytest.raises(RuntimeError):
        await rc.users.list()
    await rc.close()  # idempotent
    assert len(rocketchat_emulator.request_log) == before
