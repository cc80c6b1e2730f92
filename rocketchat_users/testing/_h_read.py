"""Reading users: info, list, listByStatus, autocomplete, usernames, teams, status, presence.

server-behavior.md §5 (paging, JSON parameters), §7 (presence), §8.4, §8.6, §8.9.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from ._query import (
    clean_query,
    matches,
    parse_fields,
    parse_query,
    parse_sort,
    project,
    sort_users,
    strip_paths,
    validate_query,
)
from ._routing import Ctx, Route, route_error
from ._rules import blocked_username_error, username_available, username_is_blocked
from ._seed import ascii_slug
from ._store import User
from ._views import (
    hidden_for,
    info_view,
    presence_item,
    privileged,
    public_custom_fields,
)
from ._wire import decode, forbidden, iso, meteor_error, parse_iso, permission_denied, utcnow

LIST_FIELDS = ("name", "username", "emails", "roles", "status", "active", "avatarETag",
               "lastLogin", "type")
BY_STATUS_FIELDS = (*LIST_FIELDS, "reason", "federated", "freeSwitchExtension")
_ONLINE = frozenset({"online", "away", "busy"})


# ------------------------------------------------------------------------------ info
async def info(ctx: Ctx) -> dict[str, Any]:
    store = ctx.backend.store
    params = ctx.params
    user: User | None = None
    key = "userId" if "userId" in params else "username" if "username" in params else None
    if key is not None:
        # Both keys go through findOneByIdOrUsername: an _id, or the exact (case-sensitive)
        # username (§8.4).
        wanted = params[key]
        user = store.by_id(wanted)
        if user is None:
            found = store.by_username(wanted)
            user = found if found is not None and found.get("username") == wanted else None
    elif "importId" in params:
        user = next((u for u in store.users.values()
                     if params["importId"] in (u.get("importIds") or ())), None)
    elif "email" in params:
        user = store.by_email(params["email"])
    elif "freeSwitchExtension" in params:
        # 8.5+ lookup key (§8.4): the user whose VoIP extension this is.
        user = next((u for u in store.users.values()
                     if u.get("freeSwitchExtension") == params["freeSwitchExtension"]), None)
    if user is None:
        raise route_error("User not found.")
    view = info_view(store, user, ctx.caller)
    is_self = user["_id"] == ctx.caller["_id"]
    may_see = is_self or ctx.can("view-other-user-channels")
    if params.get("includeUserRooms") == "true" and may_see:
        rooms = [{"_id": f"{r['_id']}{user['_id']}", "rid": r["_id"], "name": r["name"],
                  "t": r["t"], "roles": ["owner"] if user["_id"] in r.get("owners", ()) else [],
                  "unread": 0} for r in store.rooms_of(user)]
        view["rooms"] = sorted(rooms, key=lambda r: (r["t"], r["name"]))
    return {"user": view}


# ------------------------------------------------------------------------------ paging
def _paging(ctx: Ctx) -> tuple[int, int | None]:
    """§5.1: default 50, capped at the upper limit, 0 = everything when allowed."""
    settings = ctx.backend.settings
    default = int(settings["API_Default_Count"]) or 50
    upper = int(settings["API_Upper_Count_Limit"])
    upper = upper if upper > 0 else 100
    default = default if default > 0 else 50
    # parseInt semantics: the schema admits any finite number, its integer part is used.
    offset = int(ctx.params.get("offset") or 0)
    raw = ctx.params.get("count")
    if raw is None:
        count: int | None = default
    else:
        count = int(raw)
        if count < 0:
            count = None  # §5.1: not special-cased by the server; Mongo treats it as no limit
        elif count == 0:
            count = None if settings["API_Allow_Infinite_Count"] else default
        elif count > upper:
            count = upper
    return max(offset, 0), count


def _is_hidden(path: str, hidden: frozenset[str], public_customs: set[str]) -> bool:
    head, _, rest = path.partition(".")
    if head == "customFields" and rest and "customFields" in hidden:
        return rest.split(".")[0] not in public_customs
    return head in hidden


def _sort_spec(sort: dict[str, int] | None) -> tuple[tuple[str, int], ...]:
    """§5.4: ``name`` sorts on nameInsensitive; ``status`` also sorts by ``active``."""
    spec: list[tuple[str, int]] = []
    for key, direction in (sort or {"username": 1}).items():
        if key == "name":
            spec.append(("nameInsensitive", direction))
        elif key == "status":
            spec.extend([("status", direction), ("active", direction)])
        else:
            spec.append((key, direction))
    return tuple(spec)


def _page(ctx: Ctx, users: list[User], fields: Iterable[str], *,
          name_insensitive: bool = False) -> dict[str, Any]:
    """One page; only users.list's aggregation adds ``nameInsensitive`` (§5.4)."""
    offset, count = _paging(ctx)
    chunk = users[offset:] if count is None else users[offset:offset + count]
    fields = tuple(fields)
    items = []
    for user in chunk:
        item = project(user, fields)
        if name_insensitive:
            item["nameInsensitive"] = (user.get("name") or "").lower()
        items.append(item)
    return {"users": items, "count": len(items), "offset": offset, "total": len(users)}


def _list_permission(ctx: Ctx) -> None:
    if ctx.backend.settings["API_Apply_permission_view-outside-room_on_users-list"] and \
            not ctx.can("view-outside-room"):
        raise permission_denied()


async def users_list(ctx: Ctx) -> dict[str, Any]:
    _list_permission(ctx)
    store = ctx.backend.store
    sort = parse_sort(ctx.params.get("sort"))
    fields = parse_fields(ctx.params.get("fields"))
    query = parse_query(ctx.params.get("query"))
    is_privileged = privileged(store, ctx.caller)
    hidden = hidden_for(store, ctx.caller)
    customs = public_custom_fields(store)
    projection = [f for f in LIST_FIELDS if not _is_hidden(f, hidden, customs)]
    for key, value in (fields or {}).items():
        # §5.4: caller fields may only add inclusive, allowed entries.
        if value == 1 and key not in projection and not _is_hidden(key, hidden, customs):
            projection.append(key)
    caller_query: dict[str, Any] = {}
    if query:
        # §5.3: forbidden attributes (private custom fields included) go at every depth.
        caller_query = strip_paths(clean_query(query),
                                   lambda path: _is_hidden(path, hidden, customs))
        validate_query(caller_query, [*projection, "_id", "emails.address.*", "username.*",
                                      "name.*", "type.*", "customFields.*"])
    email = ctx.params.get("email")
    spec = _sort_spec(sort)
    cache_key = ("list", spec, repr(sorted(caller_query.items(), key=str)), email, is_privileged)

    def build(users: Iterable[User]) -> list[User]:
        def default_filter(u: User) -> bool:
            return bool(u.get("username") or u.get("name") or (is_privileged and u.get("emails")))

        replaced = "$or" in caller_query  # a caller $or replaces the default one
        picked = [u for u in users
                  if (replaced or default_filter(u)) and matches(u, caller_query)
                  and (email is None or any(m.get("address") == email
                                            for m in u.get("emails") or ()))]
        return sort_users(picked, spec)

    return _page(ctx, store.sorted_users(cache_key, build), projection, name_insensitive=True)


async def list_by_status(ctx: Ctx) -> dict[str, Any]:
    _list_permission(ctx)
    store, params = ctx.backend.store, ctx.params
    sort = parse_sort(params.get("sort"))
    is_privileged = privileged(store, ctx.caller)
    hidden = hidden_for(store, ctx.caller)
    projection = [f for f in BY_STATUS_FIELDS if f not in hidden]
    roles = [r for r in params.get("roles") or () if r != "all"]
    reasons = params.get("inactiveReason") or []
    term = params.get("searchTerm")
    rx = re.compile(re.escape(term), re.IGNORECASE) if term else None
    spec = _sort_spec(sort)
    key = ("by-status", spec, params.get("status"), params.get("hasLoggedIn"), params.get("type"),
           tuple(roles), tuple(reasons), term, is_privileged)

    def keep(u: User) -> bool:
        status = params.get("status")
        if status == "active" and not u.get("active"):
            return False
        if status == "deactivated" and u.get("active"):
            return False
        if "hasLoggedIn" in params and bool(u.get("lastLogin")) != params["hasLoggedIn"]:
            return False
        if "type" in params and u.get("type") != params["type"]:
            return False
        if roles and not any(r in (u.get("roles") or ()) for r in roles):
            return False
        if reasons and u.get("inactiveReason") not in reasons:
            return False
        if rx is not None:
            texts = [u.get("username") or "", u.get("name") or ""]
            if is_privileged:
                texts.extend(m.get("address", "") for m in u.get("emails") or ())
            if not any(rx.search(t) for t in texts):
                return False
        return True

    def build(users: Iterable[User]) -> list[User]:
        return sort_users([u for u in users if keep(u)], spec)

    return _page(ctx, store.sorted_users(key, build), projection)


# ------------------------------------------------------------------------ autocomplete
_CONDITION_FIELDS = frozenset({"active", "type", "username", "name", "status", "roles",
                               "federated"})


def _condition_ok(user: User, cond: Any) -> bool:
    if not isinstance(cond, dict):
        raise route_error("Invalid selector conditions")
    for key, value in cond.items():
        if key == "$and":
            if not isinstance(value, list) or not all(_condition_ok(user, v) for v in value):
                return False
            continue
        if key not in _CONDITION_FIELDS:
            raise route_error(f"Invalid selector condition field: {key}")
        current = user.get(key)
        if isinstance(value, dict):
            for op, arg in value.items():
                if op == "$ne":
                    if current == arg:
                        return False
                elif op == "$exists":
                    if (current is not None) != bool(arg):
                        return False
                else:
                    raise route_error(f"Invalid selector operator: {op}")
        elif current != value:
            return False
    return True


async def autocomplete(ctx: Ctx) -> dict[str, Any]:
    store = ctx.backend.store
    try:
        selector = decode(ctx.params["selector"])
    except Exception:
        raise route_error("The 'selector' param must be a valid JSON object") from None
    if not isinstance(selector, dict):
        raise route_error("The 'selector' param must be a valid JSON object")
    term = selector.get("term")
    if term is None:
        term = ""
    if not isinstance(term, str):
        raise route_error("The 'selector.term' param must be a string")
    raw_exceptions = selector.get("exceptions")
    if raw_exceptions is None:
        raw_exceptions = []
    if not isinstance(raw_exceptions, list) or not all(isinstance(e, str)
                                                       for e in raw_exceptions):
        raise route_error("The 'selector.exceptions' param must be an array of usernames")
    exceptions = set(raw_exceptions)
    conditions = selector.get("conditions")
    if conditions is None:
        conditions = {}
    if not isinstance(conditions, dict):
        raise route_error("Invalid selector conditions")
    rx = re.compile(re.escape(term), re.IGNORECASE)
    search = [f.strip() for f in str(ctx.backend.settings["Accounts_SearchFields"]).split(",")
              if f.strip()]
    found = []
    by_name = store.sorted_users(
        ("autocomplete",), lambda users: sorted(users, key=lambda u: u.get("username") or ""))
    for user in by_name:
        if not user.get("active") or not user.get("username") or user["username"] in exceptions:
            continue
        if not any(isinstance(user.get(f), str) and rx.search(user[f]) for f in search):
            continue
        if conditions and not _condition_ok(user, conditions):
            continue
        found.append(project(user, ("name", "username", "nickname", "status", "avatarETag")))
        if len(found) == 10:
            break
    return {"items": found}


# -------------------------------------------------------------------------- usernames
async def check_username_availability(ctx: Ctx) -> dict[str, Any]:
    username = ctx.params["username"]
    settings = ctx.backend.settings
    if username_is_blocked(settings, username):
        raise blocked_username_error(username)
    if username.lower() == (ctx.caller.get("username") or "").lower():
        return {"result": True}
    return {"result": username_available(ctx.backend.store, username)}


async def get_username_suggestion(ctx: Ctx) -> dict[str, Any]:
    user = ctx.caller
    store = ctx.backend.store
    base = ".".join(ascii_slug(p) for p in str(user.get("name") or "").split() if ascii_slug(p))
    if not base:
        emails = user.get("emails") or []
        base = ascii_slug(emails[0]["address"].split("@")[0]) if emails else "user"
    candidate, n = base, 1
    while not username_available(store, candidate, except_id=user["_id"]) or \
            username_is_blocked(ctx.backend.settings, candidate):
        n += 1
        candidate = f"{base}{n}"
    return {"result": candidate}


async def list_teams(ctx: Ctx) -> dict[str, Any]:
    store = ctx.backend.store
    user_id = ctx.params["userId"]
    see_all = ctx.can("view-all-teams")
    teams = []
    for team in store.teams.values():
        room = store.rooms.get(team["roomId"])
        if room is None or user_id not in room["members"]:
            continue
        if not see_all and team["type"] != 0 and ctx.caller["_id"] not in room["members"]:
            continue
        teams.append({**team, "isOwner": user_id in room.get("owners", ())})
    return {"teams": teams}


# --------------------------------------------------------------------- status/presence
def _target(ctx: Ctx) -> User:
    return ctx.caller if ctx.is_self_target() else ctx.user_from_params()


async def get_status(ctx: Ctx) -> dict[str, Any]:
    target = _target(ctx)
    out: dict[str, Any] = {"_id": target["_id"], "status": target.get("status") or "offline"}
    if target["_id"] == ctx.caller["_id"]:
        out["connectionStatus"] = target.get("statusConnection") or "offline"
    for key in ("statusSource", "statusExpiresAt"):
        if key in target:
            out[key] = target[key]
    return out


async def get_presence(ctx: Ctx) -> dict[str, Any]:
    target = _target(ctx)
    out: dict[str, Any] = {"presence": target.get("status") or "offline"}
    if target["_id"] == ctx.caller["_id"]:
        out["connectionStatus"] = target.get("statusConnection") or "offline"
        if "lastLogin" in target:
            out["lastLogin"] = target["lastLogin"]
    return out


async def set_status(ctx: Ctx) -> dict[str, Any]:
    settings = ctx.backend.settings
    if not settings["Accounts_AllowUserStatusMessageChange"]:
        raise meteor_error("error-not-allowed", "Change status is not allowed",
                           {"method": "users.setStatus"})
    if ctx.is_self_target():
        target = ctx.caller
    else:
        if not ctx.can("edit-other-user-info"):
            raise forbidden()
        target = ctx.user_from_params()
    status = ctx.params.get("status")
    if status == "offline" and not settings["Accounts_AllowInvisibleStatusOption"]:
        raise meteor_error("error-status-not-allowed", "Invisible status is disabled")
    expires = ctx.params.get("expiresAt")
    if expires is not None:
        when = parse_iso(expires)
        if when is None or when <= utcnow():
            raise meteor_error("error-invalid-date", "expiresAt must be a future date")
        target["statusExpiresAt"] = iso(when)
    if status is not None:
        target["status"] = status
        target["statusDefault"] = status
        target["statusSource"] = "manual"
    if "message" in ctx.params:
        target["statusText"] = ctx.params["message"]
    ctx.backend.store.touch(target)
    return {}


async def presence(ctx: Ctx) -> dict[str, Any]:
    """§7.1: ids win over from; a recent from gives deltas; otherwise the full online map."""
    store = ctx.backend.store
    if ctx.backend.settings["Presence_broadcast_disabled"]:
        return {"users": [], "full": True}
    ids = ctx.params.get("ids")
    if ids is not None:
        wanted = ids.split(",") if isinstance(ids, str) else ids
        users = [store.users[i] for i in dict.fromkeys(w.strip() for w in wanted)
                 if i in store.users]
        return {"users": [presence_item(u) for u in users
                          if (u.get("status") or "offline") != "offline"], "full": False}
    since = parse_iso(ctx.params.get("from"))
    now = utcnow()
    if since is not None and now - since < timedelta(minutes=10):
        mark = iso(since)
        me = ctx.caller["_id"]
        return {"users": [presence_item(u) for u in store.users.values()
                          if u.get("_updatedAt", "") >= mark and u.get("username")
                          and u["_id"] != me], "full": False}
    return {"users": [presence_item(u) for u in store.users.values()
                      if u.get("username") and u.get("status") in _ONLINE], "full": True}


ROUTES = [
    Route("users.info", ("GET",), info),
    Route("users.list", ("GET",), users_list, permissions=("view-d-room",)),
    Route("users.listByStatus", ("GET",), list_by_status, permissions=("view-d-room",)),
    Route("users.autocomplete", ("GET",), autocomplete),
    Route("users.checkUsernameAvailability", ("GET",), check_username_availability),
    Route("users.getUsernameSuggestion", ("GET",), get_username_suggestion,
          allow_no_username=True),
    Route("users.listTeams", ("GET",), list_teams),
    Route("users.getStatus", ("GET",), get_status),
    Route("users.getPresence", ("GET",), get_presence),
    Route("users.setStatus", ("POST",), set_status, rate="set-status"),
    Route("users.presence", ("GET",), presence),
]
