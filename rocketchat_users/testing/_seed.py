"""Deterministic, realistic seed data (same ``seed`` → same users, ids and passwords).

Besides the N seeded users a workspace always holds the admin (username ``admin``, created *now*
so 2FA's grace period lets it work at once, §4.3) and the ``rocket.cat`` bot, online (§16).
"""

from __future__ import annotations

import random
import re
import unicodedata
from datetime import timedelta
from typing import Any, NamedTuple

from ._store import Store, User
from ._wire import iso, random_secret, sha256_hex, utcnow

_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"

FIRST_NAMES = (
    "Zoë", "José", "Ana", "Björn", "Chloé", "Dmitri", "Élodie", "François", "Günter", "Hélène",
    "Ignacio", "Jürgen", "Kåre", "Léa", "Mónica", "Nuño", "Oisín", "Priya", "Raúl", "Søren",
    "Thérèse", "Uriel", "Valentín", "Wiremu", "Xiadani", "Yusuf", "Zuzana", "Aoife",
    "Bartłomiej", "Ciarán", "Dagný", "Emeka", "Fatoumata", "Grégoire", "Haruto", "Inés", "Jonas",
    "Kateřina", "Lúcia", "Mateus", "Niamh", "Ólafur", "Paweł", "Renée", "Siobhán", "Tomás",
    "Ümit", "Wojciech", "Yannick", "Zeynep", "Mei", "Aarav", "Sakura", "Kwame", "Olga", "Noé",
)
LAST_NAMES = (
    "O'Brien", "Núñez", "D'Angelo", "García", "Müller", "Øvergård", "Kowalczyk", "Nguyễn",
    "O'Connor", "Dubois", "Fernández", "Sørensen", "Łukasiewicz", "van der Berg", "MacDonald",
    "Şahin", "Dvořák", "Ó Súilleabháin", "Papadopoulos", "Yamamoto", "Okonkwo", "Björklund",
    "De la Cruz", "Al-Sayed", "Chatterjee", "Kim", "Rossi", "Schröder", "Petrović", "L'Heureux",
)
DOMAINS = ("example.com", "example.org", "mail.example.net", "corp.example")
DEPARTMENTS = ("Engineering", "Sales", "Support", "Finance", "Marketing", "R&D", "Legal")
OFFSETS = (0, 0, 1, 2, -3, -5, 5.5, 9.5, 9, -8, 5.75, 10, -4, 3)
STATUS_TEXTS = ("In a meeting", "On vacation 🌴", "Focus time", "Out sick", "Café ☕")
LANGUAGES = ("en", "pt-BR", "de", "fr", "es", "ja")

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "Adm1n-Emulator!x"


class SeedResult(NamedTuple):
    admin_id: str
    admin_token: str


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    folded = folded.replace("ø", "o").replace("Ø", "O").replace("ł", "l").replace("Ł", "L")
    return "".join(ch for ch in folded if ord(ch) < 128)


def ascii_slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", _ascii(text).lower())


_TRIPLE = re.compile(r"(.)\1\1")


def _password(rng: random.Random) -> str:
    """Passes the default policy (§11: ≥14, upper, lower, digit, special, no triples)."""
    while True:
        word = "".join(rng.choices("abcdefghjkmnpqrstuvwxyz", k=6))
        candidate = f"Rc{word}-{rng.randrange(1000, 9999)}!Q"
        if not _TRIPLE.search(candidate):
            return candidate


def seed_store(store: Store, users: int, seed: int) -> SeedResult:
    rng = random.Random(seed)
    now = utcnow()
    _add_bot(store, now)
    admin_id, admin_token = _add_admin(store, rng, now)
    taken: set[str] = {ADMIN_USERNAME, "rocket.cat"}
    # A couple of admins, a few guests and ~2% bots, chosen deterministically.
    admin_slots = {i for i in range(users) if i % 997 == 5} | ({1} if users > 1 else set())
    guest_slots = {i for i in range(users) if i % 499 == 7}
    seeded: list[User] = []
    for i in range(users):
        seeded.append(_seed_user(store, rng, now, i, taken, i in admin_slots, i in guest_slots))
    _seed_teams(store, rng, now, seeded)
    return SeedResult(admin_id, admin_token)


def _add_bot(store: Store, now: Any) -> None:
    store.insert({
        "_id": "rocket.cat",
        "username": "rocket.cat",
        "name": "Rocket.Cat",
        "type": "bot",
        "status": "online",
        "statusConnection": "online",
        "statusDefault": "online",
        "active": True,
        "roles": ["bot"],
        "utcOffset": 0,
        "avatarETag": "rocketcatEtag1",
        "avatarOrigin": "local",
        "createdAt": iso(now - timedelta(days=900)),
        "_updatedAt": iso(now - timedelta(days=1)),
        "services": {},
        "__rooms": ["GENERAL"],
    })


def _add_admin(store: Store, rng: random.Random, now: Any) -> tuple[str, str]:
    admin_id = "".join(rng.choices(_ID_ALPHABET, k=17))
    token = random_secret()
    created = iso(now)
    doc: User = {
        "_id": admin_id,
        "username": ADMIN_USERNAME,
        "name": "Administrator",
        "emails": [{"address": "admin@example.com", "verified": True}],
        "type": "user",
        "status": "online",
        "statusConnection": "online",
        "statusDefault": "online",
        "active": True,
        "roles": ["admin", "user"],
        "utcOffset": 0,
        "createdAt": created,
        "_updatedAt": created,
        "lastLogin": created,
        # Created by the setup wizard before e-mail auto opt-in: no email2fa (login is not
        # challenged), so scripts can log in with the password alone (§4.6).
        "services": {},
        "settings": {},
        "__rooms": ["GENERAL"],
    }
    Store.set_password(doc, ADMIN_PASSWORD)
    store.insert(doc)
    store.add_login_token(doc, token)
    store.passwords[admin_id] = ADMIN_PASSWORD
    return admin_id, token


def _seed_user(store: Store, rng: random.Random, now: Any, i: int, taken: set[str],
               is_admin: bool, is_guest: bool) -> User:
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    base = f"{ascii_slug(first)}.{ascii_slug(last)}"
    username = base
    n = 1
    while username in taken:
        n += 1
        username = f"{base}{n}"
    taken.add(username)
    uid = "".join(rng.choices(_ID_ALPHABET, k=17))
    created_dt = now - timedelta(days=rng.uniform(1, 5 * 365))
    is_bot = not is_admin and not is_guest and rng.random() < 0.02
    doc: User = {
        "_id": uid,
        "createdAt": iso(created_dt),
        "username": username,
        "name": f"{first} {last}",
        "type": "bot" if is_bot else "user",
        "active": True,
        "roles": ["bot"] if is_bot else ["guest"] if is_guest else
        (["admin", "user"] if is_admin else ["user"]),
        "utcOffset": rng.choice(OFFSETS),
        "__rooms": ["GENERAL"],
        "settings": {},
    }
    services: dict[str, Any] = {}
    if not is_bot:
        domain = rng.choice(DOMAINS)
        verified = rng.random() < 0.7
        emails = [{"address": f"{username}@{domain}", "verified": verified}]
        if rng.random() < 0.1:
            emails.append({"address": f"{username}.alt@{rng.choice(DOMAINS)}",
                           "verified": rng.random() < 0.5})
        doc["emails"] = emails
        password = _password(rng)
        services["password"] = {"bcrypt": sha256_hex(password)}
        store.passwords[uid] = password
        if verified:
            # §4.5 Accounts_TwoFactorAuthentication_By_Email_Auto_Opt_In (default true).
            services["email2fa"] = {"enabled": True, "changedAt": doc["createdAt"]}
    doc["services"] = services
    last_seen = created_dt
    if is_bot or rng.random() < 0.8:
        login_dt = created_dt + (now - created_dt) * rng.random()
        doc["lastLogin"] = iso(login_dt)
        last_seen = login_dt
    roll = rng.random()
    status = "online" if roll < 0.15 else "away" if roll < 0.2 else "busy" if roll < 0.23 else \
        "offline"
    if is_bot:
        status = "online"
    doc["status"] = status
    doc["statusConnection"] = "offline" if status == "offline" else (
        "away" if status == "away" else "online")
    if rng.random() < 0.1:
        doc["statusText"] = rng.choice(STATUS_TEXTS)
    if rng.random() < 0.4:
        doc["avatarETag"] = "".join(rng.choices(_ID_ALPHABET, k=17))
        doc["avatarOrigin"] = "upload"
    if rng.random() < 0.3:
        doc["language"] = rng.choice(LANGUAGES)
    if rng.random() < 0.35:
        doc["customFields"] = {"department": rng.choice(DEPARTMENTS),
                               "employeeId": f"E{rng.randrange(10000, 99999)}"}
    if rng.random() < 0.15:
        doc["nickname"] = first.split()[0].lower()
    if rng.random() < 0.1:
        doc["bio"] = f"{first} from {rng.choice(DEPARTMENTS)}"
    if rng.random() < 0.03 and not is_admin:
        doc["active"] = False
        doc["inactiveReason"] = rng.choice(("deactivated", "idle_too_long", "pending_approval"))
        doc["status"] = "offline"
        doc["statusConnection"] = "offline"
    if rng.random() < 0.02:
        doc["requirePasswordChange"] = True
    # Seeded changes are at least an hour old so presence deltas start empty (§7.1).
    doc["_updatedAt"] = iso(min(last_seen, now - timedelta(hours=1)))
    return store.insert(doc)


def _seed_teams(store: Store, rng: random.Random, now: Any, users: list[User]) -> None:
    store.rooms["GENERAL"] = {"_id": "GENERAL", "name": "general", "t": "c", "default": True,
                              "owners": [], "members": []}
    people = [u for u in users if u["type"] == "user" and u["active"]]
    if len(people) < 2:
        return
    for number, (name, kind) in enumerate((("engineering", 0), ("leadership", 1))):
        owner = people[number]
        members = {owner["_id"]} | {u["_id"] for u in people[number::7]}
        team_id = "".join(rng.choices(_ID_ALPHABET, k=17))
        room_id = "".join(rng.choices(_ID_ALPHABET, k=17))
        created = iso(now - timedelta(days=30 + number))
        store.teams[team_id] = {
            "_id": team_id, "name": name, "type": kind, "createdAt": created,
            "createdBy": {"_id": owner["_id"], "username": owner["username"]},
            "_updatedAt": created, "roomId": room_id,
        }
        store.rooms[room_id] = {
            "_id": room_id, "name": name, "t": "c" if kind == 0 else "p", "teamMain": True,
            "teamId": team_id, "owners": [owner["_id"]], "members": sorted(members),
        }
