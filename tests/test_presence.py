"""Status and presence through the SDK against the emulator: getStatus, getPresence, setStatus and
the users.presence snapshot / delta / ids forms (docs/server-behavior.md §7, §8.6; DESIGN.md §1).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator
from tests.conftest import NOT_LOGGED_IN, stored

ONLINE = frozenset({"online", "away", "busy"})


@pytest.fixture
def rocketchat_emulator_options() -> dict[str, Any]:
    return {"users": 30, "seed": 1}


def pick(docs: list[dict[str, Any]], *, status: str, exclude: set[str] | None = None,
         count: int = 1) -> list[dict[str, Any]]:
    """Seeded human users with that status (not the admin, not bots)."""
    found = [d for d in docs if d.get("status") == status and d.get("type") == "user"
             and d.get("username") != "admin" and d["_id"] not in (exclude or set())]
    assert len(found) >= count, f"the seed should hold {count} {status} user(s)"
    return found[:count]


# ---- users.getStatus -----------------------------------------------------------------------------


async def test_get_status_self_other_and_unknown(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    rc = rocketchat_session
    mine = await rc.users.get_status()
    assert isinstance(mine, rcu.UserStatus)
    assert mine.id == rocketchat_emulator.admin.user_id
    assert mine.status == "online" and mine.connection_status == "online"
    docs = await stored(rocketchat_emulator, rc)
    away = pick(docs, status="away")[0]
    other = await rc.users.get_status(user_id=away["_id"])
    assert other.id == away["_id"] and other.status == "away"
    # §8.6: connectionStatus only for the caller.
    assert other.connection_status is None
    by_name = await rc.users.get_status(username=away["username"])
    assert by_name.id == away["_id"] and by_name.status == "away"
    with pytest.raises(rcu.UserNotFoundError) as caught:
        await rc.users.get_status(user_id="NoSuchUserId12345")
    exc = caught.value
    assert isinstance(exc, rcu.NotFoundError)
    assert exc.status == 400 and exc.error_type == "error-invalid-user"
    assert exc.error == ('The required "userId" or "username" param provided does not match any '
                         'users [error-invalid-user]')


# ---- users.getPresence ---------------------------------------------------------------------------


async def test_get_presence_self_other_and_unknown(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    rc = rocketchat_session
    mine = await rc.users.get_presence()
    assert isinstance(mine, rcu.UserPresence)
    assert mine.presence == "online" and mine.connection_status == "online"
    assert isinstance(mine.last_login, datetime) and mine.last_login.tzinfo is not None
    docs = await stored(rocketchat_emulator, rc)
    busy = pick(docs, status="busy")[0]
    other = await rc.users.get_presence(username=busy["username"])
    assert other.presence == "busy"
    assert other.connection_status is None and other.last_login is None
    offline = pick(docs, status="offline")[0]
    assert (await rc.users.get_presence(user_id=offline["_id"])).presence == "offline"
    with pytest.raises(rcu.UserNotFoundError) as caught:
        await rc.users.get_presence(username="no.such.user")
    assert caught.value.status == 400 and caught.value.error_type == "error-invalid-user"


async def test_get_presence_of_self_as_plain_user(
    plain: rcu.Session, plain_doc: dict[str, Any]
) -> None:
    mine = await plain.users.get_presence()
    # §16: a REST login does not set presence.
    assert mine.presence == plain_doc["status"]
    assert mine.connection_status == (plain_doc.get("statusConnection") or "offline")
    status = await plain.users.get_status(username=plain_doc["username"])
    assert status.id == plain_doc["_id"] and status.connection_status is not None


# ---- users.setStatus -----------------------------------------------------------------------------


async def test_set_status_self(rocketchat_session: rcu.Session) -> None:
    rc = rocketchat_session
    await rc.users.set_status(status="busy", message="Deep work ☕ & +1")
    mine = await rc.users.get_status()
    assert mine.status == "busy"
    me = await rc.users.info(username="admin")
    assert me.status == "busy" and me.status_text == "Deep work ☕ & +1"
    await rc.users.set_status(message="Back soon")
    assert (await rc.users.get_status()).status == "busy"  # a message alone keeps the status
    assert (await rc.users.info(username="admin")).status_text == "Back soon"
    with pytest.raises(ValueError):
        await rc.users.set_status()


async def test_set_status_other_as_admin(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    rc = rocketchat_session
    target = pick(await stored(rocketchat_emulator, rc), status="offline")[0]
    await rc.users.set_status(status="away", user_id=target["_id"])
    assert (await rc.users.get_status(user_id=target["_id"])).status == "away"
    await rc.users.set_status(status="online", username=target["username"], message="hi")
    assert (await rc.users.get_presence(user_id=target["_id"])).presence == "online"
    # The admin's own status is untouched.
    assert (await rc.users.get_status()).status == "online"
    with pytest.raises(rcu.UserNotFoundError) as caught:
        await rc.users.set_status(status="away", user_id="NoSuchUserId12345")
    assert caught.value.status == 400 and caught.value.error_type == "error-invalid-user"


async def test_set_status_other_as_plain_user_is_denied(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, plain: rcu.Session,
) -> None:
    admin_id = rocketchat_emulator.admin.user_id
    with pytest.raises(rcu.PermissionDeniedError) as caught:
        await plain.users.set_status(status="offline", user_id=admin_id)
    exc = caught.value
    assert exc.status == 403 and exc.error == "unauthorized"
    assert (await rocketchat_session.users.get_status()).status == "online"
    # The plain user may change its own status.
    await plain.users.set_status(status="away")
    assert (await plain.users.get_status()).status == "away"


async def test_set_status_with_expiry(rocketchat_session: rcu.Session) -> None:
    rc = rocketchat_session
    until = (datetime.now(timezone.utc) + timedelta(hours=2)).replace(microsecond=0)
    await rc.users.set_status(status="away", message="Lunch", expires_at=until)
    status = await rc.users.get_status()
    assert status.status == "away"
    assert status.status_expires_at == until  # aware datetime, same instant (§8.6, 8.6+)
    with pytest.raises(rcu.BadRequestError) as caught:
        await rc.users.set_status(status="busy",
                                  expires_at=datetime.now(timezone.utc) - timedelta(hours=1))
    assert caught.value.status == 400 and caught.value.error_type == "error-invalid-date"
    assert caught.value.error == "expiresAt must be a future date [error-invalid-date]"
    assert (await rc.users.get_status()).status == "away"


async def test_set_status_refused_by_settings(
    rocketchat_emulator: Emulator, plain: rcu.Session
) -> None:
    rocketchat_emulator.settings["Accounts_AllowInvisibleStatusOption"] = False
    with pytest.raises(rcu.BadRequestError) as caught:
        await plain.users.set_status(status="offline")
    assert caught.value.status == 400 and caught.value.error_type == "error-status-not-allowed"
    assert caught.value.error == "Invisible status is disabled [error-status-not-allowed]"
    rocketchat_emulator.settings["Accounts_AllowUserStatusMessageChange"] = False
    with pytest.raises(rcu.PermissionDeniedError) as denied:
        await plain.users.set_status(status="away", message="nope")
    assert denied.value.status == 400 and denied.value.error_type == "error-not-allowed"
    assert denied.value.error == "Change status is not allowed [error-not-allowed]"


async def test_set_status_invalid_status_is_bad_request(rocketchat_session: rcu.Session) -> None:
    with pytest.raises(rcu.BadRequestError) as caught:
        await rocketchat_session.users.set_status(status="sleeping")
    exc = caught.value
    assert exc.status == 400
    # §8.6 / §16: error-invalid-status (older) or the schema's validation error (8.x).
    assert exc.error_type in ("invalid-params", "error-invalid-params", "error-invalid-status")
    assert not isinstance(exc, rcu.UserNotFoundError)
    assert (await rocketchat_session.users.get_status()).status == "online"


# ---- users.presence ------------------------------------------------------------------------------


async def test_presence_full_snapshot(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    rc = rocketchat_session
    before = datetime.now(timezone.utc).replace(microsecond=0)
    batch = await rc.users.presence()
    after = datetime.now(timezone.utc)
    assert isinstance(batch, rcu.PresenceBatch) and batch.full is True
    docs = await stored(rocketchat_emulator, rc)
    expected = {d["_id"] for d in docs if d.get("status") in ONLINE and d.get("username")}
    assert {u.id for u in batch.users} == expected
    assert all(u.status in ONLINE for u in batch.users)
    # fetched_at is the server's clock from the Date header: aware, whole seconds.
    fetched = batch.fetched_at
    assert fetched.tzinfo is not None and fetched.microsecond == 0
    assert before - timedelta(seconds=2) <= fetched <= after + timedelta(seconds=2)
    # §16: rocket.cat is online and its item has exactly these keys.
    cat = next(u for u in batch.users if u.username == "rocket.cat")
    assert cat.id == "rocket.cat" and cat.name == "Rocket.Cat" and cat.status == "online"
    assert cat.avatar_etag == "rocketcatEtag1" and cat.utc_offset == 0
    assert cat.status_text is None and cat.emails is None and cat.roles is None
    assert cat.type is None and cat.active is None
    # statusText comes along when set (§7.1).
    texts = {d["_id"]: d["statusText"] for d in docs if d.get("statusText")}
    for user in batch.users:
        assert user.status_text == texts.get(user.id)


async def test_presence_delta_after_connection_changes_and_set_status(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    rc = rocketchat_session
    docs = await stored(rocketchat_emulator, rc)
    start = (await rc.users.presence()).fetched_at
    since = start - timedelta(seconds=1)
    # Nothing changed yet but the admin's own document (created now): the caller is excluded.
    quiet = await rc.users.presence(from_=since)
    assert quiet.full is False and quiet.users == []
    comes, goes = pick(docs, status="offline")[0], pick(docs, status="online")[0]
    rocketchat_emulator.set_connection_status(comes["_id"], "online")
    rocketchat_emulator.set_connection_status(goes["_id"], "offline")
    delta = await rc.users.presence(from_=since)
    assert delta.full is False
    statuses = {u.id: u.status for u in delta.users}
    # §7.1: offline transitions included, so clients see logouts.
    assert statuses == {comes["_id"]: "online", goes["_id"]: "offline"}
    manual = pick(docs, status="offline", exclude={comes["_id"]})[0]
    await rc.users.set_status(status="busy", user_id=manual["_id"])
    await rc.users.set_status(status="away")  # the caller's own change
    later = await rc.users.presence(from_=since)
    assert {u.id: u.status for u in later.users} == {
        comes["_id"]: "online", goes["_id"]: "offline", manual["_id"]: "busy"
    }
    assert rocketchat_emulator.admin.user_id not in {u.id for u in later.users}
    assert later.fetched_at >= start


async def test_presence_delta_shows_the_callers_change_to_others(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, plain: rcu.Session,
    plain_doc: dict[str, Any],
) -> None:
    since = (await plain.users.presence()).fetched_at - timedelta(seconds=1)
    await rocketchat_session.users.set_status(status="busy")
    seen = await plain.users.presence(from_=since)
    assert seen.full is False
    mine = {u.id: u.status for u in seen.users}
    assert mine.get(rocketchat_emulator.admin.user_id) == "busy"
    assert plain_doc["_id"] not in mine  # the caller is never in its own delta
    admins = await rocketchat_session.users.presence(from_=since)
    ids = {u.id for u in admins.users}
    assert rocketchat_emulator.admin.user_id not in ids
    assert plain_doc["_id"] in ids  # its login moved _updatedAt (§16)


async def test_presence_old_from_gives_the_full_map(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    stale = datetime.now(timezone.utc) - timedelta(minutes=11)
    batch = await rocketchat_session.users.presence(from_=stale)
    # §7.1: a `from` older than 10 minutes counts as absent.
    assert batch.full is True
    assert {u.id for u in batch.users} == {
        u.id for u in (await rocketchat_session.users.presence()).users
    }
    with pytest.raises(ValueError):
        await rocketchat_session.users.presence(from_=datetime(2026, 1, 1))  # naive


async def test_presence_ids_gives_the_non_offline_among_them(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    rc = rocketchat_session
    docs = await stored(rocketchat_emulator, rc)
    online, away = pick(docs, status="online")[0], pick(docs, status="away")[0]
    offline = pick(docs, status="offline")[0]
    since = datetime.now(timezone.utc) - timedelta(seconds=30)
    batch = await rc.users.presence(
        ids=[online["_id"], away["_id"], offline["_id"], "NoSuchUserId12345"], from_=since
    )
    # ids win over from; full is false; only users not offline (§7.1).
    assert batch.full is False
    assert {u.id: u.status for u in batch.users} == {online["_id"]: "online", away["_id"]: "away"}
    assert (await rc.users.presence(ids=[offline["_id"]])).users == []
    with pytest.raises(TypeError):
        await rc.users.presence(ids=online["_id"])  # a bare string, not a list


async def test_presence_broadcast_disabled_gives_an_empty_full_answer(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    rocketchat_emulator.settings["Presence_broadcast_disabled"] = True
    batch = await rocketchat_session.users.presence()
    assert batch.full is True and batch.users == []
    since = batch.fetched_at - timedelta(seconds=1)
    delta = await rocketchat_session.users.presence(from_=since)
    assert delta.full is True and delta.users == []


async def test_presence_and_status_need_login(rocketchat_emulator: Emulator) -> None:
    async with rcu.Session(rocketchat_emulator.url) as rc:
        with pytest.raises(rcu.AuthenticationError) as caught:
            await rc.users.presence()
        assert caught.value.status == 401 and caught.value.error == NOT_LOGGED_IN
        with pytest.raises(rcu.AuthenticationError):
            await rc.users.get_status(username="admin")
        with pytest.raises(rcu.AuthenticationError):
            await rc.users.get_presence(username="admin")
        with pytest.raises(rcu.AuthenticationError):
            await rc.users.set_status(status="online")


# ---- from_ as an ISO-8601 string; any number of ids (8.8.1's query parser) -------------------


async def test_presence_from_accepts_the_specs_iso_string(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    rc = rocketchat_session
    docs = await stored(rocketchat_emulator, rc)
    since = (await rc.users.presence()).fetched_at - timedelta(seconds=1)
    comes = pick(docs, status="offline")[0]
    rocketchat_emulator.set_connection_status(comes["_id"], "online")
    by_datetime = await rc.users.presence(from_=since)
    # The spec's form (Z), and the same instant written with another offset.
    for text in (since.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                 since.astimezone(timezone(timedelta(hours=2))).isoformat()):
        by_string = await rc.users.presence(from_=text)
        assert by_string.full is False, text
        assert {u.id: u.status for u in by_string.users} == \
            {u.id: u.status for u in by_datetime.users} == {comes["_id"]: "online"}
    stale = (datetime.now(timezone.utc) - timedelta(minutes=11)).isoformat()
    assert (await rc.users.presence(from_=stale)).full is True


@pytest.mark.parametrize(("value", "error"), [
    ("2026-01-02T03:04:05", ValueError),  # no offset: the server would read its local time
    ("yesterday", ValueError),
    ("", ValueError),
    (1_767_000_000, TypeError),
    (b"2026-01-02T03:04:05Z", TypeError),
])
async def test_presence_from_refuses_other_values_before_sending(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, value: Any,
    error: type[Exception],
) -> None:
    before = len(rocketchat_emulator.request_log)
    with pytest.raises(error, match="from_"):
        await rocketchat_session.users.presence(from_=value)
    assert len(rocketchat_emulator.request_log) == before


async def test_presence_with_more_ids_than_one_request_may_carry(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    rc = rocketchat_session
    docs = await stored(rocketchat_emulator, rc)
    online = {d["_id"]: d["status"] for d in docs if d.get("status") in ONLINE}
    assert len(online) >= 3
    # 1,700 ids, the real ones spread over the list: 8.8.1 refuses a 501st value per key.
    ids = [f"NoSuchUser{i:07d}" for i in range(1_700)]
    for n, uid in enumerate(online):
        ids.insert(n * 600, uid)
    before = len(rocketchat_emulator.request_log)
    batch = await rc.users.presence(ids=ids + ids[:50])  # duplicates are asked once
    sent = rocketchat_emulator.request_log[before:]
    assert len(sent) >= 4 and set(sent) == {("GET", "/api/v1/users.presence")}
    assert batch.full is False
    assert {u.id: u.status for u in batch.users} == online
    with pytest.raises(ValueError, match="ids"):
        await rc.users.presence(ids=[])  # it would ask about everyone


async def test_watch_presence_with_a_big_roster(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session
) -> None:
    rc = rocketchat_session
    docs = await stored(rocketchat_emulator, rc)
    online = {d["_id"] for d in docs if d.get("status") in ONLINE}
    roster = [*online, *(f"Ghost{i:07d}" for i in range(1_200))]
    watch = rc.users.watch_presence(ids=roster, interval=0.01)
    try:
        first = await anext(watch)
        assert first.full is True and {u.id for u in first.users} == online
        gone = next(iter(online))
        rocketchat_emulator.set_connection_status(gone, "offline")
        second = await anext(watch)
        assert [(u.id, u.status) for u in second.users] == [(gone, "offline")]
    finally:
        await watch.aclose()


async def test_presence_chunks_share_one_timeout() -> None:
    # Each chunk alone fits the budget (0.25 s answers, 0.6 s timeout); five of them do not.
    async with Emulator(users=3, seed=1, latency=0.25) as server:
        admin = server.admin
        async with rcu.Session(server.url, user_id=admin.user_id,
                               auth_token=admin.auth_token,
                               retry=rcu.RetryPolicy(attempts=1)) as rc:
            ids = [f"NoSuchUser{i:07d}" for i in range(1_500)]
            with pytest.raises(rcu.RequestTimeoutError):
                await rc.users.presence(ids=ids, timeout=0.6)
            assert 1 <= len(server.request_log) < 6  # 6 chunks: the later ones never sent
