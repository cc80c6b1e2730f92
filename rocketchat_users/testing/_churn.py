"""The ``churn=`` fault knob: users created and deleted while clients page through the list.

A live server changes under a bulk walk: people sign up, admins delete accounts, LDAP/SCIM jobs
create and remove users. ``Emulator(churn=(creates, deletes))`` makes that happen at a precise,
reproducible rate: on every listing request (``users.list``, ``users.listByStatus``), before it
is answered, ``creates`` new users are inserted and ``deletes`` existing ones removed.

- Fractional rates accumulate: ``(0.5, 1.5)`` creates one user every other request and deletes
  one or two by turns.
- Created users get random ids (so they land anywhere in ``_id`` order) and usernames
  ``churn.<n>``; deleted users are picked at random among all users except the admin and
  ``rocket.cat`` (churn-created ones included). Both come from a generator seeded by the
  emulator's ``seed``: the k-th listing request always does the same thing.
- ``server.churn`` (a :class:`Churn`) records ``created`` and ``deleted`` ids in order and
  counts ``requests``; set ``paused = True`` to read the list without changing it. The users
  present throughout a walk are those present at its start minus ``deleted``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable

from aiohttp import web

from ._store import Store
from ._wire import _ID_ALPHABET, now_iso

_LISTINGS = ("/users.list", "/users.listByStatus")
_PROTECTED = frozenset({"rocket.cat"})


class Churn:
    """Creates and deletes users as listing requests arrive (see the module docstring)."""

    def __init__(self, store: Store, *, creates: float, deletes: float, seed: int,
                 protected: frozenset[str] = frozenset()) -> None:
        for name, value in (("creates", creates), ("deletes", deletes)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or value < 0:
                raise ValueError(f"churn {name} must be a finite number >= 0, not {value!r}")
        self._store = store
        self._rates = (float(creates), float(deletes))
        self._due = [0.0, 0.0]
        self._rng = random.Random(f"churn-{seed}")
        self._protected = _PROTECTED | protected
        self.created: list[str] = []
        """Ids of the users churn created, in order."""
        self.deleted: list[str] = []
        """Ids of the users churn deleted, in order."""
        self.requests = 0
        """Listing requests that churned (not counted while paused)."""
        self.paused = False
        """True: listing requests change nothing."""

    def step(self) -> None:
        """One listing request's worth of changes."""
        if self.paused:
            return
        self.requests += 1
        for kind in (0, 1):
            self._due[kind] += self._rates[kind]
        while self._due[0] >= 1:
            self._due[0] -= 1
            self._create()
        while self._due[1] >= 1:
            self._due[1] -= 1
            self._delete()

    def _create(self) -> None:
        uid = "".join(self._rng.choices(_ID_ALPHABET, k=17))
        name = f"churn.{len(self.created)}"
        now = now_iso()
        self._store.insert({"_id": uid, "username": name, "name": f"Churn {len(self.created)}",
                            "emails": [{"address": f"{name}@example.com", "verified": False}],
                            "createdAt": now, "_updatedAt": now, "__rooms": ["GENERAL"],
                            "settings": {}})
        self.created.append(uid)

    def _delete(self) -> None:
        candidates = [uid for uid in self._store.users if uid not in self._protected]
        if not candidates:
            return
        uid = self._rng.choice(candidates)
        self._store.remove(self._store.users[uid])
        self.deleted.append(uid)

    @web.middleware
    async def middleware(self, request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                         ) -> web.StreamResponse:
        if request.path.endswith(_LISTINGS):
            self.step()
        return await handler(request)
