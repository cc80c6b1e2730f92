"""Avatars: users.setAvatar / getAvatar / resetAvatar / getAvatarSuggestion and ``/avatar``.

server-behavior.md §8.5 and §9. Nothing here does network I/O: a URL avatar is accepted and
replaced by a generated image.
"""

from __future__ import annotations

import base64
import hashlib
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from ._backend import parse_body
from ._images import color_for, grey_jpeg, letters_svg, solid_png
from ._routing import Ctx, Route, route_error, validate
from ._schemas import SCHEMAS
from ._store import Avatar, User
from ._wire import (
    API_HEADERS,
    encode,
    forbidden,
    meteor_error,
    random_id,
)

if TYPE_CHECKING:
    from ._backend import Backend

_FALLBACK_DATE = "Thu, 01 Jan 2015 00:00:00 GMT"


async def _read_multipart(request: web.Request) -> tuple[dict[str, str], Avatar | None]:
    """The form fields and the ``image`` file; a malformed body (no boundary, truncated
    parts, ...) yields what was read so far, so the route answers "image param is required".
    """
    fields: dict[str, str] = {}
    image: Avatar | None = None
    try:
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                continue
            data = await part.read(decode=True)
            if part.name == "image" and part.filename is not None:
                ctype = part.headers.get("Content-Type", "application/octet-stream")
                image = Avatar(bytes(data), ctype, formatdate(usegmt=True))
            elif part.name:
                fields[part.name] = data.decode("utf-8", "replace")
    except Exception:  # aiohttp raises ValueError, InvalidHeader, AssertionError, ...
        pass
    return fields, image


async def set_avatar(ctx: Ctx) -> dict[str, Any]:
    store, settings = ctx.backend.store, ctx.backend.settings
    multipart = ctx.request.content_type.startswith("multipart/")
    image: Avatar | None = None
    if multipart:
        ctx.params, image = await _read_multipart(ctx.request)
    else:
        ctx.params = validate(await parse_body(ctx.request), SCHEMAS["users.setAvatar"],
                              query=False)
    if ctx.is_self_target():
        target = ctx.caller
        if not settings["Accounts_AllowUserAvatarChange"]:
            raise meteor_error("error-not-allowed", "Change avatar is not allowed",
                               {"method": "users.setAvatar"})
    else:
        if not ctx.can("edit-other-user-avatar"):
            if multipart:
                raise meteor_error("error-not-allowed", "Not allowed")
            raise forbidden()
        try:
            target = ctx.user_from_params()
        except Exception:
            if not multipart:
                raise
            raise meteor_error(
                "error-invalid-user",
                'The optional "userId" or "username" param provided does not match any users',
            ) from None
    if multipart:
        if image is None:
            raise route_error("The 'image' param is required")
        store.avatars[target["_id"]] = image
        target["avatarOrigin"] = "upload"
    else:
        url = ctx.params.get("avatarUrl")
        if not url:
            # 8.8.1's schema makes avatarUrl optional; without it the route wants an upload.
            raise route_error("The 'image' param is required")
        if not url.startswith(("http://", "https://")):
            raise meteor_error("error-avatar-invalid-url", f"Invalid avatar URL: {url}",
                               {"method": "setAvatarFromService", "url": url})
        png = solid_png(color_for(url), 64)
        store.avatars[target["_id"]] = Avatar(png, "image/png", formatdate(usegmt=True))
        target["avatarOrigin"] = "url"
    target["avatarETag"] = random_id()
    store.touch(target)
    return {}


async def get_avatar(ctx: Ctx) -> web.StreamResponse:
    """§8.5: 307 to the root ``/avatar/<username>``; the body is the URL as a JSON string."""
    user = ctx.user_from_params()
    location = f"{ctx.backend.url}/avatar/{user.get('username', '')}"
    resp = web.Response(body=encode(location), status=307, content_type="application/json")
    resp.headers.update(API_HEADERS)
    resp.headers["Location"] = location
    return resp


async def reset_avatar(ctx: Ctx) -> dict[str, Any]:
    target = ctx.user_from_params()
    is_self = target["_id"] == ctx.caller["_id"]
    allowed = (is_self and ctx.backend.settings["Accounts_AllowUserAvatarChange"]) or ctx.can(
        "edit-other-user-avatar") or ctx.can("manage-moderation-actions")
    if not allowed:
        raise meteor_error("error-not-allowed", "Reset avatar is not allowed",
                           {"method": "users.resetAvatar"})
    ctx.backend.store.avatars.pop(target["_id"], None)
    target.pop("avatarOrigin", None)
    target.pop("avatarETag", None)
    ctx.backend.store.touch(target)
    return {}


async def get_avatar_suggestion(ctx: Ctx) -> dict[str, Any]:
    emails = ctx.caller.get("emails") or []
    if not emails:
        return {"suggestions": {}}
    digest = hashlib.md5(emails[0]["address"].strip().lower().encode(),
                         usedforsecurity=False).hexdigest()
    png = solid_png(color_for(digest), 16)
    return {"suggestions": {"gravatar": {
        "service": "gravatar",
        "url": f"https://s.gravatar.com/avatar/{digest}?default=404&size=200",
        "blob": "data:image/png;base64," + base64.b64encode(png).decode(),
        "contentType": "image/png",
    }}}


ROUTES = [
    Route("users.setAvatar", ("POST",), set_avatar, raw_body=True),
    Route("users.getAvatar", ("GET",), get_avatar),
    Route("users.resetAvatar", ("POST",), reset_avatar),
    Route("users.getAvatarSuggestion", ("GET",), get_avatar_suggestion),
]


# ------------------------------------------------------------------------------ /avatar
def _avatar_user(backend: Backend, request: web.Request) -> User | None:
    """rc_uid + rc_token, from the query or cookies (§9); auth headers are not consulted."""
    uid = request.query.get("rc_uid") or request.cookies.get("rc_uid")
    token = request.query.get("rc_token") or request.cookies.get("rc_token")
    if not uid or not token:
        return None
    user = backend.store.by_id(uid)
    if user is None or backend.store.find_token(user, token) is None:
        return None
    return user


def _image(body: bytes, ctype: str, cache: int, last_modified: str,
           extra: dict[str, str] | None = None) -> web.Response:
    resp = web.Response(body=body, status=200)
    resp.headers["Content-Type"] = ctype
    resp.headers["Cache-Control"] = f"public, max-age={cache}"
    resp.headers["Content-Disposition"] = "inline"
    resp.headers["Last-Modified"] = last_modified
    if extra:
        resp.headers.update(extra)
    return resp


def _is_digits(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` also accepts e.g. ``²``, which int() refuses)."""
    return text.isascii() and text.isdigit()


def _letters(text: str, request: web.Request, cache: int) -> web.Response:
    raw_size = request.query.get("size", "200")
    size = min(max(int(raw_size), 16), 1024) if _is_digits(raw_size) else 200
    fmt = request.query.get("format", "").lower()
    if fmt == "png":
        return _image(solid_png(color_for(text), size), "image/png", cache, _FALLBACK_DATE)
    if fmt in ("jpg", "jpeg"):
        return _image(grey_jpeg(), f"image/{fmt}", cache, _FALLBACK_DATE)
    return _image(letters_svg(text, size), "image/svg+xml", cache, _FALLBACK_DATE)


def avatar_handler(backend: Backend) -> Any:
    async def handle(request: web.Request) -> web.StreamResponse:
        settings = backend.settings
        subject = request.match_info.get("subject", "")
        raw_cache = request.query.get("cacheTime") or ""
        # §9: ?cacheTime= when it is a number, else the setting.
        cache = int(raw_cache) if _is_digits(raw_cache) else int(
            settings["Accounts_AvatarCacheTime"])
        if not subject:
            return web.Response(status=404)
        first = subject.split("/", 1)[0]
        if settings["Accounts_AvatarBlockUnauthenticatedAccess"] and \
                _avatar_user(backend, request) is None:
            return _letters(first or "Anonymous", request, cache)
        if subject.startswith("@"):
            return _letters(subject[1:], request, cache)
        if subject.startswith("uid/"):
            user = backend.store.by_id(subject[4:])
            if user is None or not user.get("username"):
                return web.Response(status=404)
        else:
            user = backend.store.by_username(subject)
        if user is not None and user["_id"] in backend.store.avatars:
            avatar = backend.store.avatars[user["_id"]]
            if request.headers.get("If-Modified-Since") == avatar.uploaded:
                return web.Response(status=304)
            return _image(avatar.content, avatar.content_type, cache, avatar.uploaded,
                          {"Content-Security-Policy": "default-src 'none'"})
        if request.headers.get("If-Modified-Since") == _FALLBACK_DATE:
            return web.Response(status=304)
        name = user.get("username", subject) if user is not None else subject
        if user is not None and settings["UI_Use_Name_Avatar"] and user.get("name"):
            name = user["name"]
        return _letters(str(name), request, cache)

    return handle
