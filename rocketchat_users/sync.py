"""Declarative sync: make the server's users match a desired directory (DESIGN §1).

    plan = await rcu.sync.plan(rc, desired, key="username", deactivate_missing=False)
    report = await rcu.sync.apply(rc, plan, concurrency=8, relinquish=False)

``plan`` only reads, through the exact ``users.list`` walk of ``iter_list``: a user who exists
for the whole plan is never missed nor seen twice, so a sync never "creates" a user who exists
nor leaves one out of ``deactivate_missing`` because a page shifted (the caller needs the admin
view of e-mails and roles).
``apply`` sends one ``users.update`` per changed user and one ``users.create`` per new one.
Both are safe to rerun: a new plan is made from the server's state, so after a crash it holds
only what is left, and the server refuses a second user with the same username or e-mail.

Only the fields a record gives are managed; ``active`` defaults to True. ``password`` is used
only to create a user (an existing user's password cannot be compared). A new user without one
gets ``strong_password()`` and must change it at first login; it is never kept or shown.
With ``deactivate_missing=True`` the server's users missing from ``desired`` are deactivated,
except the caller and non-human accounts (type ``bot``/``app``, such as ``rocket.cat``).
The server refuses to deactivate the sole owner of a room (``user-last-owner``, §8.6): such a
user stays in ``report.failed`` unless ``apply(..., relinquish=True)``, whose deactivations send
``confirmRelinquish: true`` so the server passes each room to another member (and removes the
rooms left without members).
"""

from __future__ import annotations

import logging
import re
import secrets
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from msgspec import UNSET, UnsetType

from .bulk import bulk
from .models import User, UserUpdate
from .models._base import JSONValue, MaskedModel

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["Change", "Person", "Plan", "Report", "apply", "plan", "strong_password"]

logger = logging.getLogger("rocketchat_users")
T = TypeVar("T")

# Read from users.list: the default projection plus what a record may manage (§5.4: `fields`
# can only add to it).
_READ = {name: 1 for name in ("username", "name", "emails", "roles", "active", "type",
                              "nickname", "bio", "statusText", "customFields")}
_TEXT = ("username", "email", "name", "nickname", "bio", "status_text", "password")
_COMPARED_AS_IS = ("username", "name", "nickname", "bio", "status_text")
_WIRE = {"customFields": "custom_fields", "statusText": "status_text"}
_EXPECTED = {"active": "bool", "roles": "a list of str", "custom_fields": "a mapping with str keys"}


def strong_password() -> str:
    """A password that meets the server's default policy (§11: ≥14 chars, upper, lower, digit,
    symbol, no character three times in a row).

    Returns:
        20 random characters from ``secrets``.
    """
    alphabet = string.ascii_letters + string.digits + "!#%+-_"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(20))
        if (any(c.isupper() for c in candidate) and any(c.islower() for c in candidate)
                and any(c.isdigit() for c in candidate) and any(not c.isalnum() for c in candidate)
                and not re.search(r"(.)\1\1", candidate)):
            return candidate


class Person(MaskedModel):
    """One desired user; an ``UNSET`` field is left as the server has it."""

    __secret_fields__ = frozenset({"password"})

    username: str | UnsetType = UNSET
    email: str | UnsetType = UNSET
    name: str | UnsetType = UNSET
    nickname: str | UnsetType = UNSET
    bio: str | UnsetType = UNSET
    status_text: str | UnsetType = UNSET
    roles: list[str] | UnsetType = UNSET
    custom_fields: dict[str, JSONValue] | UnsetType = UNSET
    active: bool = True
    password: str | UnsetType = UNSET


@dataclass(frozen=True)
class Change:
    """One user's step. ``data`` is the users.update body: only the fields that differ, with
    ``active`` for a (re)activation; empty for a create (made from ``record``) or no change.
    ``user_id`` is None until the user exists; ``record`` is None for a user missing from
    ``desired``, whose ``index`` (position in ``desired``) is None too."""

    username: str | None
    user_id: str | None = None
    record: Person | None = None
    index: int | None = None
    data: UserUpdate = field(default_factory=UserUpdate)


@dataclass
class Plan:
    """What ``apply()`` would do; records in ``desired`` order, missing users in id order."""

    creates: list[Change] = field(default_factory=list)
    updates: list[Change] = field(default_factory=list)
    reactivations: list[Change] = field(default_factory=list)
    deactivations: list[Change] = field(default_factory=list)
    unchanged: list[Change] = field(default_factory=list)


@dataclass
class Report:
    """What ``apply()`` did; ``created`` entries carry the new user's id."""

    created: list[Change] = field(default_factory=list)
    updated: list[Change] = field(default_factory=list)
    reactivated: list[Change] = field(default_factory=list)
    deactivated: list[Change] = field(default_factory=list)
    unchanged: list[Change] = field(default_factory=list)
    failed: list[tuple[Change, Exception]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed


async def plan(rc: Session, desired: Iterable[Mapping[str, object] | Person],
               key: Literal["username", "email"] = "username",
               deactivate_missing: bool = False) -> Plan:
    """Compare ``desired`` with the server's users, matched on ``key`` case-insensitively.

    Records are checked before any request: ``TypeError``/``ValueError`` name the record's index
    and field. A record to create also needs ``username``, ``email`` and ``name``.

    Args:
        rc: a Session with an admin's rights (e-mails and roles are read).
        desired: the directory: mappings (Python or wire field names) or ``Person`` records.
        key: the field users are matched on, case-insensitively.
        deactivate_missing: also deactivate active users missing from ``desired`` (never the
            caller, bots or apps).

    Returns:
        The ``Plan``: ``creates``, ``updates``, ``reactivations``, ``deactivations`` and
        ``unchanged``; nothing is changed yet.

    Raises:
        ValueError: a bad ``key``, a record without the key or repeating another's, an
            unknown field, a new user's record without ``username`` / ``email`` / ``name``, or
            a record that would deactivate the caller.
        TypeError: a record or a field value of the wrong type.
        WalkError: the server's users could not be read exactly.
        RocketChatError: a refusal or failure of users.list (e.g. ``PermissionDeniedError``).
    """
    if key not in ("username", "email"):
        raise ValueError(f"key must be 'username' or 'email', got {key!r}")
    people = [_person(index, raw) for index, raw in enumerate(desired)]
    wanted: dict[str, int] = {}
    for index, person in enumerate(people):
        value = getattr(person, key)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"desired[{index}].{key}: missing (it is the key)")
        if (earlier := wanted.setdefault(value.lower(), index)) != index:
            raise ValueError(f"desired[{index}].{key}: {value!r} repeats desired[{earlier}]")
    users = [user async for user in rc.users.iter_list(fields=_READ)]
    server = {found.lower(): user for user in users
              if (found := user.username if key == "username" else _email(user))}
    result, matched = Plan(), set()
    for index, person in enumerate(people):
        user = server.get(str(getattr(person, key)).lower())
        if user is None:
            _required(person, index)  # refuse an incomplete record now, not halfway through apply
            result.creates.append(Change(_given(person.username), record=person, index=index))
            continue
        matched.add(user.id)
        changes = _diff(person, user)
        if person.active != bool(user.active):
            if user.id == rc.user_id:
                # Deactivating oneself would end the sync's session in the middle of its work.
                raise ValueError(f"desired[{index}].active: False would deactivate the caller")
            changes["active"] = person.active
        # A (re)activation is one users.update carrying the other changed fields too.
        kind = ("reactivations" if changes.get("active") is True
                else "deactivations" if "active" in changes
                else "updates" if changes else "unchanged")
        getattr(result, kind).append(Change(user.username, user.id, person, index,
                                            UserUpdate(**changes)))
    if deactivate_missing:
        for user in users:
            if user.id in matched:
                continue
            # Never the caller (it would lose its session) nor bots/apps: no directory lists them.
            if not user.active or user.id == rc.user_id or (user.type or "user") != "user":
                result.unchanged.append(Change(user.username, user.id))
            else:
                result.deactivations.append(
                    Change(user.username, user.id, data=UserUpdate(active=False)))
    return result


async def apply(rc: Session, plan: Plan, concurrency: int = 8, relinquish: bool = False
                ) -> Report:
    """Carry out ``plan``: one users.update per changed user, then one users.create per new
    user, ``concurrency`` at a time; a failure is recorded in ``Report.failed`` and the rest go
    on (nothing is raised for a refused change).

    ``relinquish=True``: deactivations send ``confirmRelinquish: true``, so the sole owner of a
    room is deactivated and the server hands the room to another member (§8.6); without it that
    user is reported failed with ``user-last-owner``.

    Returns:
        The ``Report``: ``created``, ``updated``, ``reactivated``, ``deactivated``,
        ``unchanged``, and ``failed`` as (change, exception).

    Raises:
        ValueError: ``concurrency`` is below 1. A refused change is never raised: it is in
            ``Report.failed``.
    """
    report = Report(unchanged=list(plan.unchanged))
    steps = [*(("updated", c) for c in plan.updates),
             *(("reactivated", c) for c in plan.reactivations),
             *(("deactivated", c) for c in plan.deactivations)]

    async def update(step: tuple[str, Change]) -> None:
        # No user_id (a hand-made Change): the server refuses the empty id, a recorded failure.
        kind, change = step
        await rc.users.update(user_id=change.user_id or "", data=change.data,
                              confirm_relinquish=True if relinquish and kind == "deactivated"
                              else None)

    async def create(change: Change) -> Change:
        person = change.record or Person()
        username, email, name = _required(person, change.index)
        generated = person.password is UNSET
        user = await rc.users.create(
            username=username, email=email, name=name, active=person.active,
            password=strong_password() if generated else str(person.password),
            require_password_change=True if generated else None,
            nickname=_given(person.nickname), bio=_given(person.bio),
            status_text=_given(person.status_text), roles=_given(person.roles),
            custom_fields=_given(person.custom_fields),
        )
        return replace(change, user_id=user.id)

    # Updates first, so that a username or e-mail an update gives up is free for a create.
    updated = await bulk(update, steps, concurrency=concurrency)
    for (kind, change), _ in updated.succeeded:
        getattr(report, kind).append(change)
    report.failed += [(change, exc) for (_, change), exc in updated.failed]
    created = await bulk(create, plan.creates, concurrency=concurrency)
    report.created = [change for _, change in created.succeeded]
    report.failed += created.failed
    logger.info("sync: %d created, %d updated, %d reactivated, %d deactivated, %d failed",
                len(report.created), len(report.updated), len(report.reactivated),
                len(report.deactivated), len(report.failed))
    return report


def _person(index: int, raw: object) -> Person:
    """A checked ``Person`` from a record; wire names (``customFields``) are accepted."""
    if isinstance(raw, Person):  # Structs do not check types on __init__: check them too
        raw = {name: value for name in Person.__struct_fields__
               if (value := getattr(raw, name)) is not UNSET}
    if not isinstance(raw, Mapping):
        raise TypeError(f"desired[{index}]: expected a mapping or sync.Person, "
                        f"got {type(raw).__name__}")
    fields: dict[str, Any] = {}
    for given, value in raw.items():
        name, where = _WIRE.get(given, given), f"desired[{index}].{given}"
        if name not in Person.__struct_fields__:
            raise ValueError(f"{where}: unknown field")
        if value is None:  # JSON null: no opinion, like an absent key
            continue
        if (name in _TEXT and isinstance(value, str)) or (
                name == "active" and isinstance(value, bool)):
            fields[name] = value
        elif name == "roles" and isinstance(value, list | tuple) and all(
                isinstance(role, str) for role in value):
            fields[name] = list(value)
        elif name == "custom_fields" and isinstance(value, Mapping) and all(
                isinstance(k, str) for k in value):
            fields[name] = dict(value)
        else:
            raise TypeError(f"{where}: expected {_EXPECTED.get(name, 'str')}, "
                            f"got {type(value).__name__}")
    return Person(**fields)


def _required(person: Person, index: int | None) -> tuple[str, str, str]:
    """username, email and name: what users.create needs (name: Accounts_RequireNameForSignUp)."""
    if isinstance(person.username, str) and isinstance(person.email, str) \
            and isinstance(person.name, str):
        return person.username, person.email, person.name
    missing = next(n for n in ("username", "email", "name") if getattr(person, n) is UNSET)
    raise ValueError(f"desired[{index}].{missing}: needed to create the user "
                     "(the server has no user with its key)")


def _diff(person: Person, user: User) -> dict[str, Any]:
    """users.update fields where the record differs from the server; only given fields count."""
    changes: dict[str, Any] = {
        name: wanted for name in _COMPARED_AS_IS
        if (wanted := getattr(person, name)) is not UNSET and wanted != getattr(user, name)
    }
    if person.email is not UNSET and person.email.lower() != (_email(user) or "").lower():
        changes["email"] = person.email
    if person.roles is not UNSET and set(person.roles) != set(user.roles or ()):
        changes["roles"] = person.roles
    if person.custom_fields is not UNSET:
        # The server merges customFields into the stored ones: send only the keys that differ.
        have = user.custom_fields or {}
        fields = {k: v for k, v in person.custom_fields.items() if k not in have or have[k] != v}
        if fields:
            changes["custom_fields"] = fields
    return changes


def _email(user: User) -> str | None:
    return user.emails[0].address if user.emails else None


def _given(value: T | UnsetType) -> T | None:
    return None if value is UNSET else value
