"""users.setAvatar / getAvatar / resetAvatar / getAvatarSuggestion and the root /avatar route."""

from __future__ import annotations

import struct
import zlib

import aiohttp

from rocketchat_users.testing import Emulator

from .conftest import Api, assert_error

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


def auth_query(api: Api) -> dict[str, str]:
    assert api.user_id and api.token
    return {"rc_uid": api.user_id, "rc_token": api.token}


async def test_avatar_requires_rc_credentials(admin: Api, anon: Api) -> None:
    reply = await anon.get("/avatar/admin")
    assert reply.status == 200 and reply.headers["Content-Type"] == "image/svg+xml"
    assert b">A</text>" in reply.raw  # letters of the path segment, not the user's avatar
    reply = await anon.get("/avatar/admin", auth_query(admin))
    assert reply.status == 200 and reply.headers["Cache-Control"] == "public, max-age=3600"
    assert reply.headers["Content-Disposition"] == "inline"
    cookies = await anon.get("/avatar/uid/nope", headers={
        "Cookie": f"rc_uid={admin.user_id}; rc_token={admin.token}"})
    assert cookies.status == 404


async def test_avatar_formats(admin: Api) -> None:
    png = await admin.get("/avatar/admin", {**auth_query(admin), "format": "png", "size": "20"})
    assert png.headers["Content-Type"] == "image/png" and png.raw.startswith(b"\x89PNG")
    width, height = struct.unpack(">II", png.raw[16:24])
    assert (width, height) == (20, 20)
    idat_len = struct.unpack(">I", png.raw[33:37])[0]
    assert len(zlib.decompress(png.raw[41:41 + idat_len])) == 20 * (1 + 3 * 20)
    jpg = await admin.get("/avatar/admin", {**auth_query(admin), "format": "jpg"})
    assert jpg.headers["Content-Type"] == "image/jpg"
    assert jpg.raw.startswith(b"\xff\xd8") and jpg.raw.endswith(b"\xff\xd9")
    uid = await admin.get(f"/avatar/uid/{admin.user_id}", auth_query(admin))
    assert uid.status == 200 and b"<svg" in uid.raw
    unknown = await admin.get("/avatar/somebody-unknown", auth_query(admin))
    assert unknown.status == 200 and b">S</text>" in unknown.raw
    assert (await admin.get("/avatar/", auth_query(admin))).status == 404


async def test_set_avatar_multipart_and_url(alice: Api, admin: Api, server: Emulator) -> None:
    form = aiohttp.FormData()
    form.add_field("image", SVG, filename="me.svg", content_type="image/svg+xml")
    reply = await alice.post("users.setAvatar", data=form)
    assert reply.body == {"success": True}
    stored = server.get_user("alice")
    assert stored is not None and stored["avatarOrigin"] == "upload" and stored["avatarETag"]
    served = await alice.get("/avatar/alice", auth_query(alice))
    assert served.raw == SVG and served.headers["Content-Type"] == "image/svg+xml"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'"
    again = await alice.get("/avatar/alice", auth_query(alice),
                            headers={"If-Modified-Since": served.headers["Last-Modified"]})
    assert again.status == 304
    reply = await alice.post("users.setAvatar", {"avatarUrl": "https://example.com/a.png"})
    assert reply.status == 200
    served = await alice.get("/avatar/alice", auth_query(alice))
    assert served.headers["Content-Type"] == "image/png"


async def test_set_avatar_errors(alice: Api, server: Emulator) -> None:
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("userId", "x")
    reply = await alice.post("users.setAvatar", data=form)
    assert_error(reply, 400, "Not allowed [error-not-allowed]")
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("note", "no image here")
    reply = await alice.post("users.setAvatar", data=form)
    assert reply.body == {"success": False, "error": "The 'image' param is required"}
    reply = await alice.post("users.setAvatar", {"avatarUrl": "https://example.com/a.png",
                                                 "username": "admin"})
    assert_error(reply, 403, "unauthorized")
    # 8.8.1: avatarUrl is optional in the schema; without it the route wants an upload.
    reply = await alice.post("users.setAvatar", {})
    assert_error(reply, 400, "The 'image' param is required")
    reply = await alice.post("users.setAvatar", {"avatarUrl": "https://x.example/a.png",
                                                 "user": "admin"})
    assert_error(reply, 400, "must NOT have additional properties", "invalid-params")
    server.settings["Accounts_AllowUserAvatarChange"] = False
    reply = await alice.post("users.setAvatar", {"avatarUrl": "https://example.com/a.png"})
    assert_error(reply, 400, "Change avatar is not allowed [error-not-allowed]")


async def test_get_avatar_redirect(alice: Api, server: Emulator) -> None:
    reply = await alice.get("users.getAvatar", {"username": "admin"})
    assert reply.status == 307
    assert reply.headers["Location"] == f"{server.url}/avatar/admin"
    assert reply.body == f"{server.url}/avatar/admin"
    reply = await alice.get("users.getAvatar", {"userId": "no_user"})
    assert_error(reply, 400, error_type="error-invalid-user")
    assert (await alice.anonymous().get("users.getAvatar", {"username": "admin"})).status == 401


async def test_reset_avatar(alice: Api, admin: Api, server: Emulator) -> None:
    await alice.post("users.setAvatar", {"avatarUrl": "https://example.com/a.png"})
    reply = await alice.post("users.resetAvatar", {"username": "admin"})
    assert_error(reply, 400, "Reset avatar is not allowed [error-not-allowed]")
    reply = await admin.post("users.resetAvatar", {"userId": alice.user_id})
    assert reply.status == 200
    stored = server.get_user("alice")
    assert stored is not None and "avatarETag" not in stored and "avatarOrigin" not in stored
    reply = await alice.post("users.resetAvatar", {})
    assert_error(reply, 400, error_type="error-user-param-not-provided")


async def test_avatar_suggestion(alice: Api) -> None:
    reply = await alice.get("users.getAvatarSuggestion")
    gravatar = reply.body["suggestions"]["gravatar"]
    assert gravatar["service"] == "gravatar" and gravatar["blob"].startswith("data:image/png")
    assert (await alice.anonymous().get("users.getAvatarSuggestion")).status == 401


async def test_avatar_open_access_setting(anon: Api, server: Emulator) -> None:
    server.settings["Accounts_AvatarBlockUnauthenticatedAccess"] = False
    reply = await anon.get("/avatar/rocket.cat")
    assert reply.status == 200 and b">R</text>" in reply.raw
    reply = await anon.get("/avatar/@Zed")
    assert b">Z</text>" in reply.raw
    reply = await anon.get("/avatar/rocket.cat",
                           headers={"If-Modified-Since": "Thu, 01 Jan 2015 00:00:00 GMT"})
    assert reply.status == 304
