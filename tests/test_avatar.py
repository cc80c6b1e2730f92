"""Avatars through the SDK against the emulator: /avatar, users.getAvatar (307), setAvatar,
resetAvatar (docs/server-behavior.md §8.5, §9; DESIGN.md §1 "Server facts").
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path
from typing import Any

import pytest

import rocketchat_users as rcu
from rocketchat_users.testing import Emulator
from tests.conftest import NOT_LOGGED_IN

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A real 1x1 PNG, a tiny JPEG-looking body and a 1x1 GIF: the server stores bytes as given.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(64))
GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@pytest.fixture
def rocketchat_emulator_options() -> dict[str, Any]:
    return {"users": 30, "seed": 1}


def is_svg(avatar: rcu.Avatar) -> bool:
    return avatar.content_type == "image/svg+xml" and b"<svg" in avatar.content


def png_width(content: bytes) -> int:
    assert content[:8] == PNG_SIGNATURE and content[12:16] == b"IHDR"
    return int.from_bytes(content[16:20], "big")


# ---- GET /avatar/{subject} -----------------------------------------------------------------------


async def test_avatar_default_is_svg_letters(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, plain_doc: dict[str, Any]
) -> None:
    avatar = await rocketchat_session.avatar(plain_doc["username"])
    assert isinstance(avatar, rcu.Avatar)
    assert isinstance(avatar.content, bytes) and avatar.content
    assert is_svg(avatar)
    # §9: the first letter of the username.
    assert f">{plain_doc['username'][0].upper()}</text>".encode() in avatar.content
    # §9: /avatar is mounted at the root and reads rc_uid/rc_token, not the auth headers.
    assert ("GET", f"/avatar/{plain_doc['username']}") in rocketchat_emulator.request_log
    # Unknown usernames get letters too, not an error (§9).
    unknown = await rocketchat_session.avatar("nobody.at.all")
    assert is_svg(unknown)


async def test_avatar_png_and_jpg_formats(
    rocketchat_session: rcu.Session, plain_doc: dict[str, Any]
) -> None:
    png = await rocketchat_session.avatar(plain_doc["username"], format="png", size=64)
    assert png.content_type == "image/png"
    assert png.content[:8] == PNG_SIGNATURE
    assert png_width(png.content) == 64
    # §9: size is clamped to 16…1024.
    tiny = await rocketchat_session.avatar(plain_doc["username"], format="png", size=2)
    assert png_width(tiny.content) == 16
    jpg = await rocketchat_session.avatar(plain_doc["username"], format="jpg")
    assert jpg.content_type == "image/jpg"
    assert jpg.content[:3] == b"\xff\xd8\xff"


async def test_avatar_without_credentials_when_access_is_blocked(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, plain_doc: dict[str, Any]
) -> None:
    username = plain_doc["username"]
    await rocketchat_session.users.set_avatar(image=PNG, username=username)
    assert rocketchat_emulator.settings["Accounts_AvatarBlockUnauthenticatedAccess"] is True
    async with rcu.Session(rocketchat_emulator.url) as anonymous:
        # §9: no rc_uid/rc_token → 200 generated letters, not 401/403, not the upload.
        blocked = await anonymous.avatar(username)
        assert is_svg(blocked) and blocked.content != PNG
        # Credentials given per call open it.
        admin = rocketchat_emulator.admin
        opened = await anonymous.avatar(username, rc_uid=admin.user_id,
                                        rc_token=admin.auth_token)
        assert opened.content == PNG and opened.content_type == "image/png"
        rocketchat_emulator.settings["Accounts_AvatarBlockUnauthenticatedAccess"] = False
        public = await anonymous.avatar(username)
        assert public.content == PNG and public.content_type == "image/png"


async def test_avatar_by_user_id(
    rocketchat_session: rcu.Session, plain_doc: dict[str, Any]
) -> None:
    await rocketchat_session.users.set_avatar(image=PNG, user_id=plain_doc["_id"])
    by_uid = await rocketchat_session.avatar(f"uid/{plain_doc['_id']}")
    assert by_uid.content == PNG and by_uid.content_type == "image/png"
    # §9: an unknown id (unlike an unknown username) is a 404.
    with pytest.raises(rcu.NotFoundError) as caught:
        await rocketchat_session.avatar("uid/NoSuchUserId12345")
    assert caught.value.status == 404
    assert not isinstance(caught.value, rcu.UserNotFoundError)


async def test_avatar_never_shows_rc_token(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = rocketchat_emulator.admin.auth_token
    with caplog.at_level(logging.DEBUG, logger="rocketchat_users"):
        await rocketchat_session.avatar("admin")
        with pytest.raises(rcu.NotFoundError) as caught:
            await rocketchat_session.avatar("uid/NoSuchUserId12345")
    # DESIGN §1: rc_token is redacted wherever a URL is logged or raised.
    assert token not in caplog.text
    assert token not in str(caught.value) and token not in repr(caught.value)
    assert "rc_token=***" in caplog.text


# ---- users.getAvatar -----------------------------------------------------------------------------


async def test_get_avatar_follows_the_redirect_with_credentials(
    rocketchat_emulator: Emulator, rocketchat_session: rcu.Session, plain_doc: dict[str, Any]
) -> None:
    rc = rocketchat_session
    username = plain_doc["username"]
    default = await rc.users.get_avatar(username=username)
    assert is_svg(default)
    await rc.users.set_avatar(image=GIF, user_id=plain_doc["_id"])
    start = len(rocketchat_emulator.request_log)
    avatar = await rc.users.get_avatar(user_id=plain_doc["_id"])
    # Only the uploaded image proves rc_uid/rc_token went along to /avatar (blocked by default).
    assert avatar.content == GIF and avatar.content_type == "image/gif"
    assert rocketchat_emulator.request_log[start:] == [
        ("GET", "/api/v1/users.getAvatar"), ("GET", f"/avatar/{username}")
    ]
    assert (await rc.users.get_avatar(username=username)).content == GIF


async def test_get_avatar_unknown_user_and_no_target(rocketchat_session: rcu.Session) -> None:
    with pytest.raises(rcu.UserNotFoundError) as caught:
        await rocketchat_session.users.get_avatar(user_id="NoSuchUserId12345")
    exc = caught.value
    assert isinstance(exc, rcu.NotFoundError)
    assert exc.status == 400 and exc.error_type == "error-invalid-user"
    with pytest.raises(rcu.UserNotFoundError):
        await rocketchat_session.users.get_avatar(username="no.such.user")
    with pytest.raises(ValueError):
        await rocketchat_session.users.get_avatar()


# ---- users.setAvatar -----------------------------------------------------------------------------


async def test_set_avatar_from_bytes(plain: rcu.Session, plain_doc: dict[str, Any]) -> None:
    before = await plain.users.info(user_id=plain_doc["_id"])
    await plain.users.set_avatar(image=PNG)
    avatar = await plain.avatar(plain_doc["username"])
    assert avatar.content == PNG and avatar.content_type == "image/png"
    after = await plain.users.info(user_id=plain_doc["_id"])
    # §8.5: an avatar update changes avatarETag.
    assert after.avatar_etag and after.avatar_etag != before.avatar_etag


async def test_set_avatar_svg_bytes(plain: rcu.Session, plain_doc: dict[str, Any]) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect/></svg>'
    await plain.users.set_avatar(image=svg)
    avatar = await plain.avatar(plain_doc["username"])
    assert avatar.content == svg and avatar.content_type == "image/svg+xml"


async def test_set_avatar_from_a_file_path(
    plain: rcu.Session, plain_doc: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "me.jpg"
    path.write_bytes(JPEG)
    await plain.users.set_avatar(image=path)
    avatar = await plain.avatar(plain_doc["username"])
    assert avatar.content == JPEG and avatar.content_type == "image/jpeg"
    await plain.users.set_avatar(image=str(path))  # a str path works as well
    assert (await plain.avatar(plain_doc["username"])).content == JPEG


async def test_set_avatar_from_a_binary_file_object(
    plain: rcu.Session, plain_doc: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "me.gif"
    path.write_bytes(GIF)
    with path.open("rb") as image:
        await plain.users.set_avatar(image=image)
    avatar = await plain.avatar(plain_doc["username"])
    assert avatar.content == GIF and avatar.content_type == "image/gif"
    svg = tmp_path / "me.svg"
    svg.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    with svg.open("r") as text, pytest.raises(TypeError):
        await plain.users.set_avatar(image=text)  # type: ignore[arg-type]  # text mode
    assert (await plain.avatar(plain_doc["username"])).content == GIF


async def test_set_avatar_of_another_user_as_admin(
    rocketchat_session: rcu.Session, plain: rcu.Session, plain_doc: dict[str, Any]
) -> None:
    await rocketchat_session.users.set_avatar(image=PNG, username=plain_doc["username"])
    # Everyone logged in sees it.
    assert (await plain.avatar(plain_doc["username"])).content == PNG
    assert (await rocketchat_session.avatar(plain_doc["username"])).content == PNG


async def test_set_avatar_from_url(plain: rcu.Session, plain_doc: dict[str, Any]) -> None:
    before = await plain.users.info(user_id=plain_doc["_id"])
    await plain.users.set_avatar(avatar_url="https://images.example.org/avatars/me.png")
    after = await plain.users.info(user_id=plain_doc["_id"])
    assert after.avatar_etag and after.avatar_etag != before.avatar_etag
    avatar = await plain.avatar(plain_doc["username"])
    assert avatar.content_type.startswith("image/") and avatar.content
    with pytest.raises(ValueError):
        await plain.users.set_avatar(image=PNG, avatar_url="https://example.org/a.png")
    with pytest.raises(ValueError):
        await plain.users.set_avatar()


async def test_set_avatar_of_another_user_as_plain_user_is_denied(
    rocketchat_session: rcu.Session, plain: rcu.Session, other_doc: dict[str, Any]
) -> None:
    # §8.5: multipart form → 400 "Not allowed [error-not-allowed]".
    with pytest.raises(rcu.PermissionDeniedError) as caught:
        await plain.users.set_avatar(image=PNG, user_id=other_doc["_id"])
    exc = caught.value
    assert exc.status == 400 and exc.error_type == "error-not-allowed"
    assert exc.error == "Not allowed [error-not-allowed]"
    # JSON form → 403 "unauthorized".
    with pytest.raises(rcu.PermissionDeniedError) as caught:
        await plain.users.set_avatar(avatar_url="https://example.org/a.png",
                                     username=other_doc["username"])
    assert caught.value.status == 403 and caught.value.error == "unauthorized"
    # Nothing changed.
    avatar = await rocketchat_session.avatar(other_doc["username"])
    assert is_svg(avatar)


async def test_set_avatar_of_self_when_avatar_change_is_off(
    rocketchat_emulator: Emulator, plain: rcu.Session, plain_doc: dict[str, Any]
) -> None:
    rocketchat_emulator.settings["Accounts_AllowUserAvatarChange"] = False
    with pytest.raises(rcu.PermissionDeniedError) as caught:
        await plain.users.set_avatar(image=PNG)
    exc = caught.value
    assert exc.status == 400 and exc.error_type == "error-not-allowed"
    assert exc.error == "Change avatar is not allowed [error-not-allowed]"
    assert is_svg(await plain.avatar(plain_doc["username"]))


async def test_set_avatar_unknown_user(rocketchat_session: rcu.Session) -> None:
    with pytest.raises(rcu.UserNotFoundError) as caught:
        await rocketchat_session.users.set_avatar(image=PNG, user_id="NoSuchUserId12345")
    assert caught.value.status == 400 and caught.value.error_type == "error-invalid-user"
    with pytest.raises(rcu.UserNotFoundError) as caught:
        await rocketchat_session.users.set_avatar(avatar_url="https://example.org/a.png",
                                                  username="no.such.user")
    assert caught.value.error_type == "error-invalid-user"


# ---- users.resetAvatar ---------------------------------------------------------------------------


async def test_reset_avatar(plain: rcu.Session, plain_doc: dict[str, Any]) -> None:
    username = plain_doc["username"]
    await plain.users.set_avatar(image=PNG)
    assert (await plain.avatar(username)).content == PNG
    await plain.users.reset_avatar(username=username)
    assert is_svg(await plain.avatar(username))
    assert (await plain.users.info(user_id=plain_doc["_id"])).avatar_etag is None


async def test_reset_avatar_of_another_user(
    rocketchat_session: rcu.Session, plain: rcu.Session, other_doc: dict[str, Any]
) -> None:
    await rocketchat_session.users.set_avatar(image=PNG, user_id=other_doc["_id"])
    with pytest.raises(rcu.PermissionDeniedError) as caught:
        await plain.users.reset_avatar(user_id=other_doc["_id"])
    exc = caught.value
    assert exc.status == 400 and exc.error_type == "error-not-allowed"
    assert exc.error == "Reset avatar is not allowed [error-not-allowed]"
    assert (await plain.avatar(other_doc["username"])).content == PNG
    # The admin holds edit-other-user-avatar.
    await rocketchat_session.users.reset_avatar(user_id=other_doc["_id"])
    assert is_svg(await plain.avatar(other_doc["username"]))
    with pytest.raises(rcu.UserNotFoundError) as missing:
        await rocketchat_session.users.reset_avatar(username="no.such.user")
    assert missing.value.status == 400 and missing.value.error_type == "error-invalid-user"
    with pytest.raises(ValueError):
        await rocketchat_session.users.reset_avatar()


async def test_avatar_endpoints_need_login(
    rocketchat_emulator: Emulator, plain_doc: dict[str, Any]
) -> None:
    async with rcu.Session(rocketchat_emulator.url) as rc:
        for call in (lambda: rc.users.set_avatar(image=PNG),
                     lambda: rc.users.reset_avatar(username=plain_doc["username"]),
                     lambda: rc.users.get_avatar(username=plain_doc["username"])):
            with pytest.raises(rcu.AuthenticationError) as caught:
                await call()
            assert caught.value.status == 401 and caught.value.error == NOT_LOGGED_IN
