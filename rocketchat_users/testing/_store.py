"""In-memory store of wire-shaped documents (users, rooms, teams) plus outbox and indexes.

Documents use the server's own field names (server-behavior.md §10). Dates are stored as the ISO
strings the server would send, so answers need no conversion and string order is time order.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ._settings import PERMISSIONS
from ._wire import hash_token, now_iso, random_id, sha256_hex

User = dict[str, Any]
OUTBOX_LIMIT = 10_000  # mails kept in Store.outbox (the newest)
REPORTS_LIMIT = 10_000  # moderation reports kept (the newest)
SortSpec = tuple[tuple[str, int], ...]


@dataclass
class Avatar:
    content: bytes
    content_type: str
    uploaded: str  # HTTP date for Last-Modified (§9)


@dataclass
class Store:
    settings: dict[str, Any]
    users: dict[str, User] = field(default_factory=dict)
    rooms: dict[str, dict[str, Any]] = field(default_factory=dict)
    teams: dict[str, dict[str, Any]] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    passwords: dict[str, str] = field(default_factory=dict)  # seeded plain passwords by _id
    avatars: dict[str, Avatar] = field(default_factory=dict)
    exports: dict[str, dict[str, Any]] = field(default_factory=dict)
    version: int = 0
    # permission -> roles holding it: the defaults of §12, changeable per emulator.
    permissions: dict[str, frozenset[str]] = field(default_factory=lambda: dict(PERMISSIONS))
    _by_username: dict[str, str] = field(default_factory=dict)
    _by_email: dict[str, str] = field(default_factory=dict)
    _sorted: OrderedDict[Any, tuple[int, list[User]]] = field(default_factory=OrderedDict)

    # ------------------------------------------------------------------ users
    def insert(self, doc: User) -> User:
        doc.setdefault("_id", random_id())
        now = now_iso()
        doc.setdefault("createdAt", now)
        doc.setdefault("_updatedAt", now)
        doc.setdefault("type", "user")
        doc.setdefault("active", True)
        doc.setdefault("roles", ["user"])
        doc.setdefault("status", "offline")
        doc.setdefault("services", {})
        self.users[doc["_id"]] = doc
        if isinstance(doc.get("username"), str):
            self._by_username[doc["username"].lower()] = doc["_id"]
        for mail in doc.get("emails") or ():
            self._by_email[mail["address"].lower()] = doc["_id"]
        self.version += 1
        return doc

    def remove(self, user: User) -> None:
        self.users.pop(user["_id"], None)
        if isinstance(user.get("username"), str):
            self._by_username.pop(user["username"].lower(), None)
        for mail in user.get("emails") or ():
            self._by_email.pop(mail["address"].lower(), None)
        self.avatars.pop(user["_id"], None)
        self.version += 1

    def by_id(self, user_id: object) -> User | None:
        return self.users.get(user_id) if isinstance(user_id, str) else None

    def by_username(self, username: object) -> User | None:
        """Case-insensitive (``findOneByUsernameIgnoringCase``, §8.1)."""
        if not isinstance(username, str):
            return None
        uid = self._by_username.get(username.lower())
        return self.users.get(uid) if uid else None

    def by_email(self, email: object) -> User | None:
        if not isinstance(email, str):
            return None
        uid = self._by_email.get(email.strip().lower())
        return self.users.get(uid) if uid else None

    def by_id_or_username(self, value: object) -> User | None:
        return self.by_id(value) or self.by_username(value)

    def touch(self, user: User) -> None:
        """Every write moves ``_updatedAt`` (presence deltas, §7.1, read it)."""
        user["_updatedAt"] = now_iso()
        self.version += 1

    def set_username(self, user: User, username: str) -> None:
        old = user.get("username")
        if isinstance(old, str):
            self._by_username.pop(old.lower(), None)
        user["username"] = username
        self._by_username[username.lower()] = user["_id"]

    def set_emails(self, user: User, emails: list[dict[str, Any]]) -> None:
        for mail in user.get("emails") or ():
            self._by_email.pop(mail["address"].lower(), None)
        user["emails"] = emails
        for mail in emails:
            self._by_email[mail["address"].lower()] = user["_id"]

    # ------------------------------------------------------------ credentials
    @staticmethod
    def set_password(user: User, plain: str) -> None:
        # The server keeps bcrypt(sha256hex(password)); the emulator keeps the SHA-256 digest,
        # which is what every password check compares against (§4.2, §8.7).
        user.setdefault("services", {})["password"] = {"bcrypt": sha256_hex(plain)}

    @staticmethod
    def password_digest(user: User) -> str | None:
        digest = ((user.get("services") or {}).get("password") or {}).get("bcrypt")
        return digest if isinstance(digest, str) else None

    def check_password(self, user: User, plain: str) -> bool:
        return self.password_digest(user) == sha256_hex(plain)

    @staticmethod
    def login_tokens(user: User) -> list[dict[str, Any]]:
        resume = user.setdefault("services", {}).setdefault("resume", {})
        tokens: list[dict[str, Any]] = resume.setdefault("loginTokens", [])
        return tokens

    def add_login_token(self, user: User, token: str, **extra: Any) -> dict[str, Any]:
        entry = {"when": now_iso(), "hashedToken": hash_token(token), **extra}
        tokens = self.login_tokens(user)
        tokens.append(entry)
        # §2.1 MAX_RESUME_LOGIN_TOKENS (50): the oldest non-PAT tokens go first.
        plain = [t for t in tokens if t.get("type") != "personalAccessToken"]
        for old in plain[: max(0, len(plain) - 50)]:
            tokens.remove(old)
        return entry

    def find_token(self, user: User, token: str) -> dict[str, Any] | None:
        hashed = hash_token(token)
        for entry in self.login_tokens(user):
            if entry.get("hashedToken") == hashed:
                return entry
        return None

    # ------------------------------------------------------------ permissions
    def has_permission(self, user: User | None, permission: str) -> bool:
        if user is None:
            return False
        holders = self.permissions.get(permission, frozenset())
        return any(role in holders for role in user.get("roles") or ())

    def active_admins(self) -> list[User]:
        return [u for u in self.users.values() if u.get("active") and "admin" in u.get("roles", ())]

    # ------------------------------------------------------------------ rooms
    def rooms_of(self, user: User) -> list[dict[str, Any]]:
        uid = user["_id"]
        return [r for r in self.rooms.values() if r.get("default") or uid in r["members"]]

    def sole_owned_rooms(self, user: User) -> list[dict[str, Any]]:
        uid = user["_id"]
        return [r for r in self.rooms.values() if r.get("owners") == [uid]]

    def username_taken_by_team(self, name: str) -> bool:
        low = name.lower()
        return any(t["name"].lower() == low for t in self.teams.values())

    # ------------------------------------------------------------------ index
    def sorted_users(self, key: Any, build: Callable[[Iterable[User]], list[User]]) -> list[User]:
        """Cache of ``build(all users)`` per key, rebuilt only after a write (``version``).

        users.list pages over 10k users would otherwise re-filter and re-sort per page.
        """
        hit = self._sorted.get(key)
        if hit is not None and hit[0] == self.version:
            self._sorted.move_to_end(key)
            return hit[1]
        result = build(self.users.values())
        self._sorted[key] = (self.version, result)
        if len(self._sorted) > 32:
            self._sorted.popitem(last=False)
        return result

    @staticmethod
    def copy_user(user: User) -> User:
        return copy.deepcopy(user)

    def mail(self, to: str, subject: str, kind: str, **extra: Any) -> dict[str, Any]:
        message = {"to": to, "subject": subject, "kind": kind, "date": now_iso(), **extra}
        _append_capped(self.outbox, message, OUTBOX_LIMIT)
        return message

    def add_report(self, report: dict[str, Any]) -> None:
        _append_capped(self.reports, report, REPORTS_LIMIT)


def _append_capped(items: list[dict[str, Any]], item: dict[str, Any], limit: int) -> None:
    """Append, then drop the oldest beyond ``limit`` (the list object itself stays the same)."""
    items.append(item)
    if len(items) > limit:
        del items[: len(items) - limit]
