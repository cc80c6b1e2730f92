"""Models against the official spec's examples, plus the wire rules the SDK relies on."""

from __future__ import annotations

import inspect
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import pytest
import yaml
from rich.pretty import pretty_repr

from rocketchat_users import models
from rocketchat_users.models import (
    Avatar,
    AvatarSuggestion,
    BasicInfoUpdate,
    ClientsLogout,
    Credentials,
    DataDownload,
    Email,
    PersonalAccessToken,
    Preferences,
    PresenceBatch,
    Team,
    User,
    UserCreate,
    UserPresence,
    UsersPage,
    UserStatus,
    UserUpdate,
)
from rocketchat_users.testing._schemas import PREFERENCES, SCHEMAS

SPEC_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "openapi"
UTC = timezone.utc
T = TypeVar("T")


@cache
def _spec(name: str) -> dict[str, Any]:
    path = SPEC_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"official spec not found at {path} (expected ../shared/openapi)")
    with path.open(encoding="utf-8") as f:
        spec: dict[str, Any] = yaml.safe_load(f)
    return spec


def _operation(route: str, method: str, spec: str) -> dict[str, Any]:
    op: dict[str, Any] = _spec(spec)["paths"][f"/api/v1/{route}"][method]
    return op


def example(
    route: str, name: str, *, method: str = "get", spec: str = "user-management.yaml"
) -> Any:
    """The value of a named 200 example of ``route``."""
    content = _operation(route, method, spec)["responses"]["200"]["content"]
    return content["application/json"]["examples"][name]["value"]


def decode(value: Any, type_: type[T]) -> T:
    """Decode a YAML-loaded value as if it had come off the wire."""
    return msgspec.json.decode(msgspec.json.encode(value), type=type_)


def dt(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def encode_names(cls: type[msgspec.Struct]) -> set[str]:
    return {f.encode_name for f in msgspec.structs.fields(cls)}


# --- the spec's examples -------------------------------------------------------------------------


def test_users_info_example() -> None:
    user = decode(example("users.info", "Success Example")["user"], User)
    assert user.id == "5fRTXMt7DMJbpPJfh"
    assert user.username == "test.john"
    assert user.emails == [Email(address="test.john@test.com", verified=True)]
    assert user.created_at == datetime(2023, 7, 10, 16, 44, 58, 548000, tzinfo=UTC)
    assert user.created_at is not None and user.created_at.utcoffset() == timedelta(0)
    assert user.last_login == dt("2023-10-10T23:40:46.093Z")
    assert user.roles == ["user", "admin"]
    assert user.utc_offset == 1.0
    assert user.avatar_etag == "GFoEi6wv3uAxnzDcD"
    assert user.status_connection == "offline"
    assert user.require_password_change is False
    assert user.can_view_all_info is True
    assert user.free_switch_extension == "1234"
    assert user.rooms is not None and len(user.rooms) == 7
    first, owned = user.rooms[0], user.rooms[3]
    assert (first.id, first.rid, first.name, first.type, first.unread) == (
        "651667dda2f73c7460e18cce", "JKa7R9zu2DinBhBN9", "Livestream", "c", 1,
    )
    assert first.roles is None
    assert owned.roles == ["owner"]


def test_users_list_example_is_a_page() -> None:
    page = decode(example("users.list", "Success Example"), UsersPage)
    assert (page.count, page.offset, page.total) == (3, 0, 3)
    assert [u.username for u in page.users] == ["uniqueusername", "user-0", "user-00"]
    assert page.users[0].emails == [Email(address="email@user.tld", verified=False)]
    assert page.users[1].name is None
    assert page.users[1].last_login == datetime(2023, 5, 16, 20, 50, 33, 579000, tzinfo=UTC)


def test_users_list_by_status_example_is_a_page() -> None:
    page = decode(example("users.listByStatus", "Success"), UsersPage)
    assert page.total == 5
    bot = page.users[-1]
    assert (bot.id, bot.type, bot.roles, bot.avatar_etag) == (
        "rocket.cat", "bot", ["bot"], "MEhPLkenJqs3jTJP5",
    )


def test_users_create_example() -> None:
    user = decode(example("users.create", "Success Example", method="post")["user"], User)
    assert user.id == "BsNr28znDkG8aeo7W"
    assert user.updated_at == dt("2016-09-13T14:57:56.175Z")
    assert user.settings is not None and user.settings.preferences is None


def test_users_update_example_accepts_explicit_null() -> None:
    user = decode(example("users.update", "Example", method="post")["user"], User)
    assert user.name == "Agent 2 Updated"
    assert user.inactive_reason is None
    assert user.status_text == ""
    assert user.roles == ["user", "livechat-agent"]


def test_update_own_basic_info_example() -> None:
    value = example("users.updateOwnBasicInfo", "Success Example", method="post")["user"]
    user = decode(value, User)
    assert user.settings is not None and user.settings.preferences is not None
    assert user.settings.preferences.theme_appearence == "light"
    assert (user.bio, user.nickname, user.status_default) == ("Engineer", "", "offline")


def test_register_example() -> None:
    user = decode(example("users.register", "Success Example", method="post")["user"], User)
    assert (user.username, user.utc_offset, user.emails) == ("example", 0.0, None)


def test_me_example() -> None:
    user = decode(example("me", "User profile", spec="authentication.yaml"), User)
    assert user.id == "aobEdbYhXfu5hkeqG"
    assert user.custom_fields == {"twitter": "@userstwi"}
    assert user.avatar_url == "http://localhost:3000/avatar/test"
    assert user.settings is not None
    prefs = user.settings.preferences
    assert prefs is not None
    assert prefs.enable_auto_away is False
    assert prefs.notifications_sound_volume == 100
    assert prefs.sidebar_view_mode == "medium"
    assert prefs.theme_appearence is msgspec.UNSET


def test_login_example_data() -> None:
    data = example("login", "Login successful", method="post", spec="authentication.yaml")["data"]
    me = decode(data["me"], User)
    assert (me.id, me.username, me.utc_offset, me.roles) == (
        "aYjNnig8BEAWeQzMh", "rocket.cat", -3.0, ["admin"],
    )
    assert me.settings is not None and me.settings.preferences == Preferences()
    creds = decode(data, Credentials)
    assert creds.user_id == "aobEdbYhXfu5hkeqG"
    assert creds.auth_token == "9HqLlyZOugoStsXCUfD_0YdwnNnunAJF8V47U3QHXSq"


def test_create_token_example() -> None:
    data = example("users.createToken", "Token created", method="post")["data"]
    creds = decode(data, Credentials)
    assert creds == Credentials(
        user_id="BsNr28znDkG8aeo7W", auth_token="2jdk99wuSjXPO201XlAks9sjDjAhSJmskAKW301mSuj9Sk"
    )


def test_get_status_example() -> None:
    status = decode(example("users.getStatus", "Success Example"), UserStatus)
    assert status == UserStatus(
        id="W7NHuX5ri2e3mu2Fc",
        status="online",
        connection_status="online",
        status_source="manual",
        status_expires_at=datetime(2026, 6, 22, 18, 0, tzinfo=UTC),
    )


def test_get_presence_example() -> None:
    presence = decode(example("users.getPresence", "Success Example"), UserPresence)
    assert presence == UserPresence(presence="offline")
    full = decode(
        {"presence": "away", "connectionStatus": "online", "lastLogin": "2024-01-02T03:04:05.678Z"},
        UserPresence,
    )
    assert full.connection_status == "online"
    assert full.last_login == dt("2024-01-02T03:04:05.678Z")


def test_presence_example_builds_a_batch() -> None:
    body = example("users.presence", "Success Example")
    fetched = datetime(2026, 1, 1, tzinfo=UTC)
    batch = PresenceBatch(users=decode(body["users"], list[User]), full=body["full"],
                          fetched_at=fetched)
    assert batch.full is True and batch.fetched_at == fetched
    cat, admin = batch.users
    assert (cat.id, cat.status, cat.status_text, cat.status_source) == (
        "rocket.cat", "online", "In a call", "internal",
    )
    assert admin.utc_offset == -2.0
    assert admin.status_expires_at == datetime(2026, 6, 22, 18, 0, tzinfo=UTC)


def test_list_teams_example() -> None:
    (team,) = decode(example("users.listTeams", "Success Example")["teams"], list[Team])
    assert (team.id, team.name, team.type, team.room_id, team.is_owner) == (
        "612b8ae982d286c3", "documentation-team", 0, "GwktYAajqw4RiWiBK", True,
    )
    assert team.created_by is not None
    assert (team.created_by.id, team.created_by.username) == ("JxemcN9PDCdfzJe", "renato.b")
    assert team.created_at == dt("2021-08-29T13:26:01.750Z")
    assert team.updated_at == dt("2021-08-29T13:26:01.762Z")


def test_personal_access_tokens_example() -> None:
    value = example("users.getPersonalAccessTokens", "Success Example")["tokens"]
    (token,) = decode(value, list[PersonalAccessToken])
    assert token == PersonalAccessToken(
        name="myToken",
        created_at=datetime(2018, 8, 1, 17, 17, 48, 68000, tzinfo=UTC),
        last_token_part="R8Agh3",
    )
    assert token.bypass_two_factor is None


def test_logout_other_clients_example() -> None:
    value = example("users.logoutOtherClients", "Success Example", method="post")
    result = decode(value, ClientsLogout)
    assert result.token == "SnS70r0VkngGFrSbxVK-pdwFMEzhefcjQgdnXaPeAaq"
    assert result.token_expires == datetime(2021, 12, 27, 14, 33, 9, 851000, tzinfo=UTC)


def test_logout_other_clients_without_expiry() -> None:
    # §8.8: "" when the current token has no expiry (e.g. a personal access token).
    result = msgspec.json.decode(b'{"token":"t","tokenExpires":""}', type=ClientsLogout)
    assert (result.token, result.token_expires) == ("t", None)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"token":"t","tokenExpires":"soon"}', type=ClientsLogout)


def test_request_data_download_example() -> None:
    download = decode(example("users.requestDataDownload", "Success Example"), DataDownload)
    assert download.requested is False
    op = download.export_operation
    assert op is not None
    assert (op.id, op.user_id, op.status, op.full_export) == (
        "uDSuaW7vGd9B7j8qD", "hjwGZafNqExtFNmN7", "uploading", False,
    )
    assert op.generated_file == "/tmp/zipFiles/hjwGZafNqExtFNmN7.zip"
    assert op.created_at == dt("2019-06-07T23:02:13.359Z")
    assert op.updated_at == dt("2019-06-07T23:15:00.326Z")
    assert op.file_list == []
    assert op.room_list is not None
    (room,) = op.room_list
    assert (room.room_id, room.user_id, room.exported_count, room.type) == ("GENERAL", None, 8, "c")


def test_avatar_suggestion_example() -> None:
    value = example("users.getAvatarSuggestion", "Example 1")["suggestions"]
    suggestions = decode(value, dict[str, AvatarSuggestion])
    gravatar = suggestions["gravatar"]
    assert (gravatar.service, gravatar.content_type) == ("gravatar", "image/png")
    assert gravatar.url is not None and gravatar.url.startswith("https://s.gravatar.com/avatar/")
    assert gravatar.blob is not None and gravatar.blob.startswith("data:image/png;base64,")


def test_get_preferences_example() -> None:
    prefs = decode(example("users.getPreferences", "Success Example")["preferences"], Preferences)
    assert prefs.new_room_notification == "door"
    assert prefs.mute_focused_conversations is True
    assert prefs.notifications_sound_volume == 100
    assert prefs.highlights == []
    assert prefs.send_on_enter == "normal"
    assert prefs.language is msgspec.UNSET


def test_set_preferences_example() -> None:
    value = example("users.setPreferences", "Success Example", method="post")["preferences"]
    prefs = decode(value, Preferences)
    assert (prefs.language, prefs.sidebar_sortby, prefs.idle_time_limit) == ("en", "activity", 300)
    assert prefs.dont_ask_again_list == []


# --- request bodies ------------------------------------------------------------------------------


def _request_schema(route: str) -> dict[str, Any]:
    body = _operation(route, "post", "user-management.yaml")["requestBody"]
    schema: dict[str, Any] = body["content"]["application/json"]["schema"]
    return schema


@pytest.mark.parametrize(
    ("route", "inner", "cls"),
    [
        ("users.create", False, UserCreate),
        ("users.update", True, UserUpdate),
        ("users.updateOwnBasicInfo", True, BasicInfoUpdate),
        ("users.setPreferences", True, Preferences),
    ],
)
def test_request_struct_covers_spec_body(
    route: str, inner: bool, cls: type[msgspec.Struct]
) -> None:
    schema = _request_schema(route)
    props = schema["properties"]["data"]["properties"] if inner else schema["properties"]
    # The spec's keys that Rocket.Chat 8.8.1 refuses are left out on purpose; the emulator's
    # 8.8.1 schema confirms each one is refused.
    refused = REFUSED_BY_8_8_1.get(route, set())
    ours = SCHEMAS[route].schema["properties"]
    assert not refused & set(ours["data"]["properties"] if inner else ours)
    assert set(props) - refused <= encode_names(cls)
    assert not refused & encode_names(cls)


REFUSED_BY_8_8_1 = {"users.create": {"phones"}, "users.setPreferences": {"messageViewMode"}}


def test_set_preferences_request_example_round_trips() -> None:
    data = _operation("users.setPreferences", "post", "user-management.yaml")["requestBody"][
        "content"]["application/json"]["examples"]["Example"]["value"]["data"]
    prefs = decode(data, Preferences)
    sendable = {k: v for k, v in data.items() if k not in REFUSED_BY_8_8_1["users.setPreferences"]}
    assert msgspec.json.decode(msgspec.json.encode(prefs)) == sendable


def test_only_given_fields_are_sent() -> None:
    assert msgspec.json.encode(UserUpdate(name="x")) == b'{"name":"x"}'
    assert msgspec.json.encode(UserUpdate()) == b"{}"
    assert msgspec.json.encode(Preferences()) == b"{}"
    assert msgspec.json.decode(
        msgspec.json.encode(UserCreate(status_text="hi", join_default_channels=False))
    ) == {"statusText": "hi", "joinDefaultChannels": False}
    assert msgspec.json.decode(
        msgspec.json.encode(BasicInfoUpdate(current_password="a", status_type="busy"))
    ) == {"currentPassword": "a", "statusType": "busy"}
    assert msgspec.json.decode(
        msgspec.json.encode(
            Preferences(theme_appearence="dark", omnichannel_transcript_pdf=True, utc_offset=5.5)
        )
    ) == {"themeAppearence": "dark", "omnichannelTranscriptPDF": True, "utcOffset": 5.5}


def test_preferences_are_exactly_the_8_8_1_keys() -> None:
    # The emulator's copy of 8.8.1's setPreferences schema: no key more (the server would
    # refuse it, e.g. messageViewMode), none missing.
    assert encode_names(Preferences) == set(PREFERENCES)
    for field in msgspec.structs.fields(Preferences):
        assert field.default is msgspec.UNSET, field.name


def test_preference_elements_decode() -> None:
    prefs = msgspec.json.decode(
        b'{"dontAskAgainList":[{"action":"hideRoom","label":"Hide"}],'
        b'"featuresPreview":[{"name":"quickReactions","value":true}]}',
        type=Preferences,
    )
    assert prefs.dont_ask_again_list is not msgspec.UNSET and prefs.dont_ask_again_list
    assert prefs.dont_ask_again_list[0].action == "hideRoom"
    assert prefs.features_preview is not msgspec.UNSET and prefs.features_preview
    assert prefs.features_preview[0].value is True


# --- decoding rules ------------------------------------------------------------------------------


def test_fractional_utc_offset() -> None:
    user = msgspec.json.decode(b'{"_id":"u1","utcOffset":5.5}', type=User)
    assert user.utc_offset == 5.5


DECODED_MODELS = [
    cls
    for _, cls in inspect.getmembers(models, inspect.isclass)
    if issubclass(cls, msgspec.Struct)
    and cls not in (UserCreate, UserUpdate, BasicInfoUpdate, PresenceBatch, Avatar)
]


# Values for the few required fields; every optional field gets an explicit null.
REQUIRED_SAMPLES: dict[str, object] = {
    "_id": "x", "users": [], "count": 0, "offset": 0, "total": 0, "requested": True,
    "userId": "u", "authToken": "t", "token": "t", "name": "n",
}


@pytest.mark.parametrize("cls", DECODED_MODELS, ids=lambda c: c.__name__)
def test_explicit_nulls_decode(cls: type[msgspec.Struct]) -> None:
    fields = msgspec.structs.fields(cls)
    body = {f.encode_name: REQUIRED_SAMPLES[f.encode_name] if f.required else None for f in fields}
    decoded = msgspec.json.decode(msgspec.json.encode(body), type=cls)
    for f in fields:
        if not f.required:
            assert getattr(decoded, f.name) is None, f.name


def test_unknown_fields_are_ignored() -> None:
    user = msgspec.json.decode(
        b'{"_id":"u1","username":"a","brandNew":{"x":[1,2]},"statusLivechat":"available"}',
        type=User,
    )
    assert (user.id, user.username) == ("u1", "a")


def test_id_is_required() -> None:
    with pytest.raises(msgspec.ValidationError, match="_id"):
        msgspec.json.decode(b'{"username":"a"}', type=User)


def test_services_are_not_kept() -> None:
    value = example("users.create", "Success Example", method="post")["user"]
    assert "bcrypt" in msgspec.json.encode(value).decode()
    user = decode(value, User)
    assert not hasattr(user, "services")
    assert b"bcrypt" not in msgspec.json.encode(user)
    assert "bcrypt" not in repr(user)


def test_custom_fields_take_any_json() -> None:
    user = msgspec.json.decode(
        b'{"_id":"u","customFields":{"a":"s","b":1,"c":1.5,"d":true,"e":null,"f":[1],"g":{"h":1}}}',
        type=User,
    )
    assert user.custom_fields == {
        "a": "s", "b": 1, "c": 1.5, "d": True, "e": None, "f": [1], "g": {"h": 1}
    }


# --- repr ----------------------------------------------------------------------------------------

SECRET = "s3cr3t-VALUE"


@pytest.mark.parametrize(
    ("obj", "field", "shown"),
    [
        (Credentials(user_id="u1", auth_token=SECRET), "auth_token", "u1"),
        (ClientsLogout(token=SECRET, token_expires=None), "token", "ClientsLogout"),
        (UserCreate(username="alice", password=SECRET), "password", "alice"),
        (UserUpdate(name="Alice", password=SECRET), "password", "Alice"),
        (BasicInfoUpdate(name="Al", current_password=SECRET), "current_password", "Al"),
        (BasicInfoUpdate(name="Al", new_password=SECRET), "new_password", "Al"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, msgspec.Struct) else None,
)
def test_secrets_are_masked(obj: msgspec.Struct, field: str, shown: str) -> None:
    for text in (repr(obj), str(obj), f"{obj}", f"{obj!r}", pretty_repr(obj), repr([obj])):
        assert SECRET not in text
        assert shown in text
        assert f"{field}='***'" in text
    assert getattr(obj, field) == SECRET
    assert SECRET in msgspec.json.encode(obj).decode()


def test_avatar_repr_shows_size_not_bytes() -> None:
    avatar = Avatar(content=b"\x89PNG" + b"A" * 996, content_type="image/png")
    for text in (repr(avatar), pretty_repr(avatar)):
        assert "<1000 bytes>" in text and "'image/png'" in text
        assert "AAAA" not in text
    assert len(avatar.content) == 1000


def test_all_is_sorted_and_complete() -> None:
    assert models.__all__ == sorted(models.__all__)
    structs = {
        name for name, obj in vars(models).items()
        if inspect.isclass(obj) and issubclass(obj, msgspec.Struct)
    }
    assert structs == set(models.__all__)
