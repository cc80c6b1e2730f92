"""Decode cost of one 100-user users.list page: the SDK's decoder vs ``json.loads``.

Goal (issue #2): the SDK at least 2.5x faster than ``json.loads``, while giving typed Users
with aware datetimes where json.loads gives plain dicts and strings. Both run in one process,
interleaved, and the best of several rounds is kept: compare the ratio, not the absolute times.

Where the time goes (measured while writing this): parsing the page while skipping every field
costs about 15% of json.loads; the rest is building the ~11 Python values per user that the
caller asked for (strings, two aware datetimes, a nested Email). Declaring User's fields in the
server's document order and gc=False Structs brought the ratio from 1.9x to about 2.4x.

    python benchmarks/decode_users_list.py
"""

from __future__ import annotations

import json
import random
import time
import unicodedata
from collections.abc import Callable

from rocketchat_users import _endpoints as ep
from rocketchat_users._protocol import parse_response

FIRST = ["Zoë", "José", "Siobhán", "Ngọc", "Amélie", "Björn", "Aïsha", "Liam", "Mei", "Olu"]
LAST = ["O'Brien", "Núñez", "Müller", "Nguyễn", "Dubois", "Ólafsson", "Kowalski", "Smith"]


def page(size: int = 100, seed: int = 1) -> bytes:
    """A users.list page as an admin sees it (server-behavior §5.4, §10)."""
    rnd = random.Random(seed)
    users = []
    for i in range(size):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        # Usernames are ASCII by the server's default rule (UTF8_User_Names_Validation).
        plain = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode()
        username = f"{plain.lower()}.{rnd.randrange(10**6)}.{i}"
        # Keys in document order, as the server writes them (spec users.list example).
        user: dict[str, object] = {
            "_id": f"{rnd.getrandbits(88):022x}"[:17],
            "username": username,
            "emails": [{"address": f"{username}@example.org", "verified": rnd.random() < 0.8}],
            "type": "user",
            "status": rnd.choice(["online", "away", "busy", "offline"]),
            "active": rnd.random() < 0.97,
            "roles": ["user"] if rnd.random() < 0.95 else ["user", "admin"],
            "name": f"{first} {last}",
        }
        if rnd.random() < 0.8:
            user["lastLogin"] = "2026-11-20T08:15:42.548Z"
        user["avatarETag"] = f"{rnd.getrandbits(40):x}"
        user["nameInsensitive"] = f"{first} {last}".lower()
        users.append(user)
    # Real servers send UTF-8 as is (JSON.stringify escapes nothing).
    return json.dumps({"users": users, "count": size, "offset": 0, "total": 10_000,
                       "success": True}, ensure_ascii=False).encode()


def per_call(fn: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def best(*fns: Callable[[], object], rounds: int = 15, number: int = 200) -> list[float]:
    """Best per-call seconds of each function; rounds interleave the functions so that a
    noisy neighbour on a shared machine disturbs them alike."""
    times = [[per_call(fn, number) for fn in fns] for _ in range(rounds)]
    return [min(column) for column in zip(*times, strict=True)]


def main() -> None:
    body = page()
    sdk = parse_response(ep.USERS_LIST, 200, {}, body)
    assert len(sdk.users) == 100 and sdk.users[0].name is not None
    sdk_time, json_time = best(
        lambda: parse_response(ep.USERS_LIST, 200, {}, body), lambda: json.loads(body)
    )
    print(f"users.list page: 100 users, {len(body):,} bytes")
    print(f"  json.loads          {json_time * 1e6:8.1f} µs  (dicts and strings)")
    print(f"  rocketchat_users    {sdk_time * 1e6:8.1f} µs  (UsersPage of typed User)")
    print(f"  ratio               {json_time / sdk_time:8.2f}x  (goal: >= 2.5x)")


if __name__ == "__main__":
    main()
