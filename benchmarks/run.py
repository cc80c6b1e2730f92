"""The benchmark suite: the SDK side by side with the bare floor and the peer, one command.

    python benchmarks/run.py            # the full run (a few minutes on 2 cores)
    python benchmarks/run.py --smoke    # everything tiny, a few seconds (CI runs this)

What it does (benchmarks/README.md says more):

1. Renders N realistic users (~520 B each, datetimes, custom fields, sorted by ``_id`` as the
   server answers ``sort={"_id":1}``) into users.list pages of 100 in a temp dir.
2. Serves them from nginx when it is installed (config written here) or else from a minimal
   raw-bytes asyncio server, plus a second server that answers each page after 20 ms.
3. Runs each contender in its own process, interleaved round by round: the SDK (``iter_list``
   and ``iter_pages`` at concurrency 1/4/8), the floor (aiohttp + a prebuilt msgspec Struct with
   the SDK ``User``'s fields, 8 pages ahead, nothing retained) and the peer ``rocketchat-api``
   (the ``bench`` extra), then prints medians with min-max of wall, CPU and peak RSS.
4. Per-call overhead (users.info), presence polling (1,000 polls from 10 tasks) and import time.

Figures only: nothing here asserts a speed. ``--smoke`` does check that every contender saw
every user and that the floor's Struct still has the SDK User's fields.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

import msgspec

PAGE = 100  # users.list's default cap (API_Upper_Count_Limit): what every contender asks for
HERE = Path(__file__).resolve()
Result = dict[str, Any]

# ---- the data set ----------------------------------------------------------------------------

FIRST = ["Zoë", "José", "Siobhán", "Ngọc", "Amélie", "Björn", "Aïsha", "Liam", "Mei", "Olu"]
LAST = ["O'Brien", "Núñez", "Müller", "Nguyễn", "Dubois", "Ólafsson", "Kowalski", "Smith"]
ID_CHARS = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"  # Meteor's Random.id


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def render_users(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """N users as an admin's users.list shows them, keys in the server's order, by ``_id``."""
    rnd = random.Random(seed)
    base = datetime(2023, 1, 1, tzinfo=timezone.utc)
    users = []
    for i in range(n):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        username = f"{first.lower().encode('ascii', 'ignore').decode()}.{last.lower()[:4]}.{i}"
        created = base + timedelta(seconds=rnd.randrange(60_000_000))
        users.append({
            "_id": "".join(rnd.choice(ID_CHARS) for _ in range(17)),
            "createdAt": _iso(created),
            "username": username,
            "emails": [{"address": f"{username}@example.org", "verified": rnd.random() < 0.8}],
            "type": "user",
            "status": rnd.choice(["online", "away", "busy", "offline"]),
            "active": rnd.random() < 0.95,
            "_updatedAt": _iso(created + timedelta(seconds=rnd.randrange(9_000_000))),
            "roles": ["user"] if rnd.random() < 0.9 else ["user", "admin"],
            "name": f"{first} {last}",
            "lastLogin": _iso(created + timedelta(seconds=rnd.randrange(20_000_000))),
            "statusConnection": "offline",
            "utcOffset": rnd.choice([0, 1, 2, -5, 5.5, 9]),
            "avatarETag": "".join(rnd.choice(ID_CHARS) for _ in range(17)),
            "nickname": first,
            "customFields": {"department": rnd.choice(["Sales", "R&D", "Support", "Ops"]),
                             "employeeId": f"E{rnd.randrange(10**6):06d}",
                             "costCenter": rnd.randrange(100, 999)},
        })
    users.sort(key=lambda user: str(user["_id"]))  # the server's sort={"_id":1}
    return users


def render_pages(root: Path, n: int) -> None:
    """``root/n{N}/{offset}.json``, plus empty pages past the end (a walker may look there).

    Pages start at every multiple of PAGE (the floor's and the peer's offsets) and of PAGE - 2:
    the SDK's exact walk asks PAGE + 2 users a page so that pages overlap by two, and with the
    server's cap of PAGE it steps by PAGE - 2 (benchmarks/iter_list.py counts those requests).
    """
    folder = root / f"n{n}"
    folder.mkdir(parents=True, exist_ok=True)
    users = render_users(n)
    encode = msgspec.json.Encoder().encode
    offsets = set(range(0, n + 8 * PAGE, PAGE)) | set(range(0, n + 8 * PAGE, PAGE - 2))
    for offset in sorted(offsets):
        chunk = users[offset: offset + PAGE]
        body = {"users": chunk, "count": len(chunk), "offset": offset, "total": n,
                "success": True}
        (folder / f"{offset}.json").write_bytes(encode(body))


# ---- the servers -----------------------------------------------------------------------------

_LIST_PATH = re.compile(r"^/(n\d+)/api/v1/users\.list$")


class _RawHTTP(asyncio.Protocol):
    """HTTP/1.1 keep-alive GETs answered with prebuilt bytes; enough for every contender."""

    connections = 0

    def __init__(self, pages: dict[tuple[str, int], bytes], fixed: dict[str, bytes],
                 delay: float) -> None:
        self.pages, self.fixed, self.delay = pages, fixed, delay
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        _RawHTTP.connections += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) != -1:
            head, self.buffer = self.buffer[:end], self.buffer[end + 4:]
            target = head.split(b" ", 2)[1].decode()
            self.answer(target)

    def answer(self, target: str) -> None:
        assert self.transport is not None
        parts = urlsplit(target)
        status, body, delay = "200 OK", b"", 0.0
        if (match := _LIST_PATH.match(parts.path)) is not None:
            offset = int(parse_qs(parts.query).get("offset", ["0"])[0])
            found = self.pages.get((match.group(1), offset))
            status, body = ("200 OK", found) if found is not None else ("404 Not Found", b"{}")
            delay = self.delay
        elif parts.path == "/__stats":
            body = json.dumps({"connections": _RawHTTP.connections}).encode()
        elif parts.path in self.fixed:
            body = self.fixed[parts.path]
        else:
            status, body = "404 Not Found", b'{"success":false,"error":"no route"}'
        head = (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nDate: {formatdate(usegmt=True)}\r\n\r\n")
        data = head.encode() + body
        if delay:
            asyncio.get_running_loop().call_later(delay, self._write, data)
        else:
            self.transport.write(data)

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


def fixed_answers() -> dict[str, bytes]:
    user = render_users(1, seed=3)[0]
    encode = msgspec.json.Encoder().encode
    return {
        "/api/v1/users.info": encode({"user": user, "success": True}),
        "/api/v1/users.presence": encode({"users": render_users(5, seed=4), "full": False,
                                          "success": True}),
    }


def _load(root: Path) -> dict[tuple[str, int], bytes]:
    return {(folder.name, int(file.stem)): file.read_bytes()
            for folder in root.iterdir() for file in folder.glob("*.json")}


async def _serve(pages: dict[tuple[str, int], bytes], delay: float) -> None:
    fixed = fixed_answers()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _RawHTTP(pages, fixed, delay), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    server.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on {port}")


@contextmanager
def raw_server(root: Path, delay: float) -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, str(HERE), "--serve", str(root), "--delay",
                             str(delay)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait()


NGINX_CONF = """\
worker_processes 1;
daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
{user}
events {{ worker_connections 1024; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    default_type application/json;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location ~ ^/(n\\d+)/api/v1/users\\.list$ {{ try_files /$1/$arg_offset.json =404; }}
    }}
}}
"""


@contextmanager
def nginx_server(root: Path, tmp: Path) -> Iterator[str]:
    port = _free_port()
    conf = tmp / "nginx.conf"
    # Root runs the worker as root too: the temp dir is private to this user.
    user = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(NGINX_CONF.format(tmp=tmp, root=root, port=port, user=user))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen([nginx, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "e.log")],
                            stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait()


def have_nginx() -> bool:
    return shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists()


# ---- the contenders (each runs in its own process) -------------------------------------------

HEADERS = {"X-User-Id": "benchUserId", "X-Auth-Token": "benchToken",
           "Accept": "application/json"}


class _FloorModel(msgspec.Struct, kw_only=True, rename="camel", gc=False):
    pass


class FloorEmail(_FloorModel):
    address: str | None = None
    verified: bool | None = None


class FloorPhone(_FloorModel):
    number: str | None = None
    label: str | None = None
    primary: bool | None = None
    verified: bool | None = None


class FloorRoom(_FloorModel):
    id: str = msgspec.field(name="_id")
    rid: str | None = None
    name: str | None = None
    type: str | None = msgspec.field(default=None, name="t")
    roles: list[str] | None = None
    unread: int | None = None
    federated: bool | None = None


class FloorUser(_FloorModel):
    """The SDK User's fields, names and types (``--smoke`` checks they stay the same)."""

    id: str = msgspec.field(name="_id")
    created_at: datetime | None = None
    username: str | None = None
    emails: list[FloorEmail] | None = None
    type: str | None = None
    status: str | None = None
    active: bool | None = None
    updated_at: datetime | None = msgspec.field(default=None, name="_updatedAt")
    roles: list[str] | None = None
    name: str | None = None
    require_password_change: bool | None = None
    require_password_change_reason: str | None = None
    last_login: datetime | None = None
    status_connection: str | None = None
    utc_offset: float | None = None
    status_text: str | None = None
    avatar_etag: str | None = msgspec.field(default=None, name="avatarETag")
    nickname: str | None = None
    status_default: str | None = None
    status_source: str | None = None
    status_expires_at: datetime | None = None
    language: str | None = None
    email: str | None = None
    phones: list[FloorPhone] | None = None
    bio: str | None = None
    avatar_origin: str | None = None
    avatar_url: str | None = None
    custom_fields: dict[str, Any] | None = None
    settings: dict[str, Any] | None = None
    reason: str | None = None
    inactive_reason: str | None = None
    default_room: str | None = None
    federated: bool | None = None
    free_switch_extension: str | None = None
    is_oauth_user: bool | None = msgspec.field(default=None, name="isOAuthUser")
    can_view_all_info: bool | None = None
    rooms: list[FloorRoom] | None = None


class FloorPage(msgspec.Struct, gc=False):
    users: list[FloorUser]
    count: int
    offset: int
    total: int


class FloorInfo(msgspec.Struct, gc=False):
    user: FloorUser


class FloorPresence(msgspec.Struct, gc=False):
    users: list[FloorUser]
    full: bool = False


async def floor_walk(url: str, step: int = PAGE, count: int = PAGE) -> int:
    """Bare aiohttp + msgspec: 8 pages in flight from the start, in order, nothing kept.

    ``step``/``count`` other than PAGE: the exact walk's requests (PAGE + 2 asked, stepping by
    PAGE - 2), for the instruction breakdown (``--instructions``).
    """
    import aiohttp

    decode = msgspec.json.Decoder(FloorPage).decode
    seen, total, next_offset = 0, None, 0
    async with aiohttp.ClientSession(base_url=url + "/") as http:

        async def page(offset: int) -> FloorPage:
            params = {"sort": '{"_id":1}', "offset": str(offset), "count": str(count)}
            async with http.get("api/v1/users.list", params=params, headers=HEADERS) as resp:
                return decode(await resp.read())

        ahead: deque[asyncio.Task[FloorPage]] = deque()
        while ahead or total is None or next_offset < total:
            while len(ahead) < 8 and (total is None or next_offset < total):
                ahead.append(asyncio.ensure_future(page(next_offset)))
                next_offset += step
                if total is None and next_offset >= 8 * step:
                    break
            got = await ahead.popleft()
            total = got.total
            seen += len(got.users)
        for task in ahead:
            task.cancel()
    return seen


async def sdk_walk(url: str, how: str, concurrency: int) -> int | None:
    import rocketchat_users as rcu

    seen = 0
    async with rcu.Session(url, user_id="benchUserId", auth_token="benchToken") as rc:
        if how == "iter_list":
            async for _ in rc.users.iter_list(page_size=PAGE, concurrency=concurrency):
                seen += 1
        elif how == "calls":
            # rc.users.list at the walk's offsets, scheduled like the floor: the SDK's
            # per-request cost without the walker (for --instructions).
            from rocketchat_users.paging import BY_ID

            total: int | None = None
            next_offset, step = 0, PAGE - 2
            ahead: deque[asyncio.Task[rcu.UsersPage]] = deque()
            while ahead or total is None or next_offset < total:
                while len(ahead) < concurrency and (total is None or next_offset < total):
                    ahead.append(asyncio.ensure_future(rc.users.list(
                        sort=BY_ID, offset=next_offset, count=PAGE + 2)))
                    next_offset += step
                    if total is None and next_offset >= concurrency * step:
                        break
                got = await ahead.popleft()
                total = got.total
                seen += len(got.users)
        else:
            iter_pages = getattr(rc.users, "iter_pages", None)
            if iter_pages is None:
                return None  # before the paging helper's iter_pages lands
            async for got in iter_pages(page_size=PAGE, concurrency=concurrency):
                seen += len(got.users)
    return seen


def peer_walk(url: str) -> int | None:
    try:
        from rocketchat_API.rocketchat import RocketChat
    except ImportError:
        return None
    rc = RocketChat(user_id="benchUserId", auth_token="benchToken", server_url=url)
    seen = 0
    for _ in rc.users_list(count=PAGE, sort='{"_id":1}'):
        seen += 1
    return seen


def _stats(url: str) -> int:
    with urlopen(url + "/__stats") as resp:
        return int(json.loads(resp.read())["connections"])


def bare_info(http: Any, url: str) -> Callable[[], Awaitable[FloorUser]]:
    """users.info with bare aiohttp + msgspec, on the ClientSession ``http``."""
    decode = msgspec.json.Decoder(FloorInfo).decode

    async def info() -> FloorUser:
        async with http.get(url + "/api/v1/users.info", params={"userId": "someone"},
                            headers=HEADERS) as resp:
            return decode(await resp.read()).user

    return info


async def per_call(url: str, how: str, calls: int) -> float:
    """Seconds per users.info call, one after another on a warm connection."""
    if how == "sdk":
        import rocketchat_users as rcu

        async with rcu.Session(url, user_id="benchUserId", auth_token="benchToken") as rc:
            for _ in range(20):
                await rc.users.info(user_id="someone")
            started = time.perf_counter()
            for _ in range(calls):
                await rc.users.info(user_id="someone")
            return (time.perf_counter() - started) / calls
    import aiohttp

    async with aiohttp.ClientSession() as http:
        info = bare_info(http, url)
        for _ in range(20):
            await info()
        started = time.perf_counter()
        for _ in range(calls):
            await info()
        return (time.perf_counter() - started) / calls


async def paired_calls(url: str, calls: int, blocks: int = 10) -> dict[str, list[float]]:
    """µs per users.info call, the SDK and bare aiohttp + msgspec in one process: ``blocks``
    blocks of ``calls // blocks`` calls each, alternating which goes first, so that both meet
    the same machine (a shared box drifts by more than the difference between runs)."""
    import aiohttp

    import rocketchat_users as rcu

    per: dict[str, list[float]] = {"sdk": [], "bare": []}
    async with rcu.Session(url, user_id="benchUserId", auth_token="benchToken") as rc, \
            aiohttp.ClientSession() as http:

        async def sdk() -> object:
            return await rc.users.info(user_id="someone")

        contenders = {"sdk": sdk, "bare": bare_info(http, url)}
        for call in contenders.values():
            for _ in range(20):
                await call()
        size = max(1, calls // blocks)
        for block in range(blocks):
            for how in (("sdk", "bare") if block % 2 == 0 else ("bare", "sdk")):
                call = contenders[how]
                started = time.perf_counter()
                for _ in range(size):
                    await call()
                per[how].append((time.perf_counter() - started) / size * 1e6)
    return per


async def presence(url: str, how: str, polls: int) -> tuple[float, int]:
    """(calls/s, TCP connections opened) for ``polls`` users.presence calls from 10 tasks."""
    before = _stats(url)
    started = time.perf_counter()
    if how == "sdk":
        import rocketchat_users as rcu

        async with rcu.Session(url, user_id="benchUserId", auth_token="benchToken") as rc:

            async def poll_sdk() -> None:
                for _ in range(polls // 10):
                    await rc.users.presence()

            await asyncio.gather(*(poll_sdk() for _ in range(10)))
    else:
        import aiohttp

        decode = msgspec.json.Decoder(FloorPresence).decode
        async with aiohttp.ClientSession() as http:

            async def poll_bare() -> None:
                for _ in range(polls // 10):
                    async with http.get(url + "/api/v1/users.presence",
                                        headers=HEADERS) as resp:
                        decode(await resp.read())

            await asyncio.gather(*(poll_bare() for _ in range(10)))
    seconds = time.perf_counter() - started
    opened = _stats(url) - before - 1  # the second _stats call is a connection too
    return polls // 10 * 10 / seconds, opened


def peak_rss() -> float:
    """This process's peak RSS in MiB: VmHWM, not ru_maxrss (which survives fork + exec and so
    would report the parent's peak, the rendered data set)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def client_main(args: argparse.Namespace) -> None:
    """One contender, one run: prints a JSON line (wall, CPU, peak RSS, what it saw)."""
    kind, url = args.client, args.url
    if os.environ.get("RCU_BENCH_NO_GC"):
        # --no-gc: how many collections run depends on how many pages happen to be alive at
        # once (timing), which moves instruction counts by +-0.03 M per 100 users.
        gc.disable()
    # Imports happen before the clock starts: import time is measured on its own, below.
    if kind == "peer":
        try:
            import rocketchat_API.rocketchat  # noqa: F401
        except ImportError:
            pass
    else:
        import aiohttp  # noqa: F401
    if kind.startswith(("sdk-", "info-sdk", "info-paired", "presence-sdk")):
        import rocketchat_users

        _ = rocketchat_users.Session
    cpu0, wall0 = time.process_time(), time.perf_counter()
    out: Result = {}
    if kind == "floor":
        out["seen"] = asyncio.run(floor_walk(url))
    elif kind == "floor-overlap":
        out["seen"] = asyncio.run(floor_walk(url, PAGE - 2, PAGE + 2))
    elif kind == "peer":
        out["seen"] = peer_walk(url)
    elif kind.startswith("sdk-"):
        _, how, concurrency = kind.split("-")
        out["seen"] = asyncio.run(sdk_walk(url, how, int(concurrency)))
    elif kind == "info-paired":
        out["paired"] = asyncio.run(paired_calls(url, args.calls))
    elif kind.startswith("info-"):
        out["per_call"] = asyncio.run(per_call(url, kind[5:], args.calls))
    elif kind.startswith("presence-"):
        out["rate"], out["opened"] = asyncio.run(presence(url, kind[9:], args.calls))
    out["wall"] = time.perf_counter() - wall0
    out["cpu"] = time.process_time() - cpu0
    out["rss"] = peak_rss()
    print(json.dumps(out))


# ---- the orchestra ---------------------------------------------------------------------------


def run_client(kind: str, url: str, calls: int = 0) -> Result:
    done = subprocess.run(
        [sys.executable, str(HERE), "--client", kind, "--url", url, "--calls", str(calls)],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{done.stderr}")
    result: Result = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@dataclass
class Series:
    values: list[float]

    def __str__(self) -> str:
        if not self.values:
            return "n/a"
        med = statistics.median(self.values)
        if len(self.values) == 1:
            return f"{med:.3f}"
        return f"{med:.3f} ({min(self.values):.3f}-{max(self.values):.3f})"

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None


def interleaved(kinds: list[str], url: str, rounds: int, n: int,
                check: bool) -> dict[str, list[Result]]:
    """Every contender once per round, the order rotated so no one always runs first."""
    results: dict[str, list[Result]] = {kind: [] for kind in kinds}
    for round_ in range(rounds):
        order = kinds[round_ % len(kinds):] + kinds[: round_ % len(kinds)]
        for kind in order:
            result = run_client(kind, url)
            if result["seen"] is None:
                continue  # not installed / not there yet: shown as n/a
            if check and result["seen"] != n:
                raise SystemExit(f"{kind} saw {result['seen']} users of {n}")
            results[kind].append(result)
    return results


def series(results: list[Result], key: str) -> Series:
    return Series([float(r[key]) for r in results])


def ratio(a: Series, b: Series) -> str:
    if a.median is None or b.median is None or b.median == 0:
        return "n/a"
    return f"{a.median / b.median:.2f}"


def print_walks(title: str, results: dict[str, list[Result]]) -> None:
    print(f"\n## {title}  (seconds / MiB: median (min-max))")
    print(f"{'contender':<20} {'wall s':>24} {'CPU s':>24} {'peak RSS MiB':>28}")
    for kind, runs in results.items():
        print(f"{kind:<20} {series(runs, 'wall')!s:>24} {series(runs, 'cpu')!s:>24} "
              f"{series(runs, 'rss')!s:>28}")
    floor = results.get("floor", [])
    for kind in ("sdk-iter_list-8", "sdk-iter_pages-8"):
        runs = results.get(kind, [])
        print(f"{kind} / floor: wall {ratio(series(runs, 'wall'), series(floor, 'wall'))}, "
              f"CPU {ratio(series(runs, 'cpu'), series(floor, 'cpu'))}, RSS +"
              + (f"{series(runs, 'rss').median - series(floor, 'rss').median:.1f} MiB"  # type: ignore[operator]
                 if runs and floor else "n/a"))
    sdk = series(results.get("sdk-iter_list-8", []), "wall")
    print(f"peer / sdk-iter_list-8: wall {ratio(series(results.get('peer', []), 'wall'), sdk)}")


IMPORTS = {
    "aiohttp+msgspec+anyio": "import aiohttp, msgspec, anyio",
    "import rocketchat_users": "import rocketchat_users",
    "rocketchat_users.Session": "import rocketchat_users; rocketchat_users.Session",
}


def import_times(rounds: int) -> dict[str, Series]:
    # With bytecode caches, as an installed package has them (PYTHONDONTWRITEBYTECODE would
    # make every run compile the SDK from source, ~15 ms); the first, unmeasured round writes
    # them.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    times: dict[str, list[float]] = {name: [] for name in IMPORTS}
    for round_ in range(rounds + 1):
        for name, statement in IMPORTS.items():
            code = ("import time; t = time.perf_counter(); " + statement
                    + "; print(time.perf_counter() - t)")
            done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True, env=env)
            if round_:
                times[name].append(float(done.stdout) * 1000)
    return {name: Series(values) for name, values in times.items()}


# The breakdown's contenders, each a step from the floor towards iter_list (see print_counts).
COUNTED = ["floor", "floor-overlap", "sdk-calls-8", "sdk-iter_pages-8", "sdk-iter_list-1",
           "sdk-iter_list-4", "sdk-iter_list-8"]


def instructions(kind: str, url: str, calls: int = 0) -> int:
    """What one contender's process executes, counted by valgrind's callgrind: reruns agree to
    1-3% (how the answers arrive in chunks still varies) where wall and CPU times on a shared
    box move by 5-10%."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         str(HERE), "--client", kind, "--url", url, "--calls", str(calls)],
        capture_output=True, text=True, check=False,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{kind} under callgrind failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def marginal(jobs: list[tuple[str, str, int]], scale: float) -> list[float]:
    """Instructions of each (kind, big url, small url) pair's difference, over ``scale``: the
    start-up and imports cancel out. Two processes at a time (valgrind uses one core)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        big = [pool.submit(instructions, kind, url, calls) for kind, url, calls in jobs]
        return [future.result() / scale for future in big]


def print_counts(url: str, raw: str, n: int, small: int, calls: int) -> None:
    """Instructions per 100 users for each step from the floor to iter_list, and per call."""
    jobs = [(kind, f"{url}/n{size}", 0) for kind in COUNTED for size in (n, small)]
    counts = marginal(jobs, 1.0)
    per = {kind: (counts[2 * i] - counts[2 * i + 1]) / (n - small) * PAGE / 1e6
           for i, kind in enumerate(COUNTED)}
    print(f"\n## instructions (callgrind) per {PAGE} users: a {n:,}-user walk minus a "
          f"{small:,}-user one, millions")
    for kind, value in per.items():
        print(f"{kind:<20} {value:8.3f}   / floor {value / per['floor']:.3f}")
    floor = per["floor"]
    steps = [("pages re-read by the overlap", "floor-overlap", "floor"),
             ("per request: rc.users.list over bare aiohttp", "sdk-calls-8", "floor-overlap"),
             ("the walker: verification, tasks, pages", "sdk-iter_pages-8", "sdk-calls-8"),
             ("one async-for step per user", "sdk-iter_list-8", "sdk-iter_pages-8")]
    extra = per["sdk-iter_list-8"] - floor
    print(f"sdk-iter_list-8 over the floor: +{extra:.3f} M ({extra / floor:+.1%}), of which")
    for label, a, b in steps:
        step = per[a] - per[b]
        print(f"  {label:<46} {step:+.3f} M ({step / extra:.0%})")
    info = marginal([("info-sdk", raw, calls + 200), ("info-sdk", raw, 200),
                     ("info-bare", raw, calls + 200), ("info-bare", raw, 200)], calls)
    sdk, bare = info[0] - info[1], info[2] - info[3]
    print(f"users.info per call: SDK {sdk / 1e3:.1f}k, bare aiohttp+msgspec {bare / 1e3:.1f}k, "
          f"overhead {(sdk - bare) / 1e3:.1f}k instructions")


def check_floor_fields() -> None:
    from rocketchat_users import User

    sdk = [(f.name, f.encode_name) for f in msgspec.structs.fields(User)]
    floor = [(f.name, f.encode_name) for f in msgspec.structs.fields(FloorUser)]
    if sdk != floor:
        raise SystemExit(f"the floor's Struct drifted from User: {set(sdk) ^ set(floor)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--smoke", action="store_true", help="everything tiny, a few seconds")
    parser.add_argument("--users", type=int, default=100_000, help="the big walk's size")
    parser.add_argument("--slow-users", type=int, default=20_000, help="the 20 ms walk's size")
    parser.add_argument("--latency", type=float, default=0.020, help="seconds per page")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    parser.add_argument("--raw", action="store_true", help="the raw server even with nginx")
    parser.add_argument("--no-gc", action="store_true", help="contenders run with the cycle "
                        "collector off (steadier instruction counts; not how users run)")
    parser.add_argument("--only", default="", help="comma list: walk,slow,call,presence,import;"
                        " also instructions (needs valgrind, ~5 minutes, not in the default)")
    # Internal: the server and client processes are this same script.
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--delay", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--calls", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.no_gc:
        os.environ["RCU_BENCH_NO_GC"] = "1"  # read by every contender's process
    if args.serve is not None:
        asyncio.run(_serve(_load(args.serve), args.delay))
        return
    if args.client is not None:
        client_main(args)
        return

    if args.smoke:
        args.users, args.slow_users, args.rounds = 2_000, 600, 1
    calls, polls = (200, 100) if args.smoke else (3_000, 1_000)
    parts = set(args.only.split(",")) if args.only else {"walk", "slow", "call", "presence",
                                                          "import"}
    check_floor_fields()
    kinds = ["floor", "peer"] + [f"sdk-{how}-{c}" for how in ("iter_list", "iter_pages")
                                 for c in (1, 4, 8)]
    use_nginx = have_nginx() and not args.raw
    print(f"# rocketchat-users benchmarks: Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, {args.rounds} interleaved rounds, server: "
          f"{'nginx' if use_nginx else 'raw asyncio'} / raw asyncio + {args.latency * 1000:g} ms"
          + (", cycle collector off" if args.no_gc else ""))
    with tempfile.TemporaryDirectory(prefix="rcu-bench-") as name:
        tmp = Path(name)
        www = tmp / "www"
        small = min(2_000, args.users // 5)  # the instruction counts' baseline walk
        for n in {args.users, args.slow_users} | ({small} if "instructions" in parts else set()):
            render_pages(www, n)
        size = (www / f"n{args.users}" / "0.json").stat().st_size / PAGE
        print(f"# {args.users:,} users rendered, ~{size:.0f} B each as JSON")
        with raw_server(www, 0.0) as raw, raw_server(www, args.latency) as slow:
            if parts & {"walk", "instructions"}:
                with ExitStack() as stack:
                    fast = raw
                    if use_nginx:
                        try:
                            fast = stack.enter_context(nginx_server(www, tmp))
                        except RuntimeError as exc:  # e.g. no permission to run it here
                            print(f"# nginx did not start ({exc}): the raw server instead")
                            use_nginx = False
                    if "walk" in parts:
                        walks = interleaved(kinds, f"{fast}/n{args.users}", args.rounds,
                                            args.users, args.smoke)
                        print_walks(f"{args.users:,} users, "
                                    f"{'nginx' if use_nginx else 'raw'}", walks)
                    if "instructions" in parts:
                        print_counts(fast, raw, args.users, small, calls)
            if "slow" in parts:
                walks = interleaved(kinds, f"{slow}/n{args.slow_users}", args.rounds,
                                    args.slow_users, args.smoke)
                print_walks(f"{args.slow_users:,} users, {args.latency * 1000:g} ms/page", walks)
            if "call" in parts:
                per: dict[str, list[float]] = {"sdk": [], "bare": []}
                gaps: list[float] = []
                for _ in range(args.rounds):
                    paired = run_client("info-paired", raw, calls)["paired"]
                    for how in per:
                        per[how].extend(paired[how])
                    gaps.extend(a - b for a, b in zip(paired["sdk"], paired["bare"], strict=True))
                sdk, bare = Series(per["sdk"]), Series(per["bare"])
                print(f"\n## users.info, {calls} calls in a row, SDK and bare in one process, "
                      f"alternating blocks of {max(1, calls // 10)} (µs per call, median "
                      f"(min-max) of {len(gaps)} blocks)")
                print(f"SDK {sdk}   bare aiohttp+msgspec {bare}   overhead {Series(gaps)} µs")
            if "presence" in parts:
                print(f"\n## presence polling: {polls} users.presence calls from 10 tasks")
                for how in ("sdk", "bare"):
                    runs = [run_client(f"presence-{how}", raw, polls) for _ in range(args.rounds)]
                    print(f"{how:<5} {series(runs, 'rate')!s:>28} calls/s, TCP connections "
                          f"opened: {max(int(r['opened']) for r in runs)}")
        if "import" in parts:
            imports = import_times(1 if args.smoke else 9)
            print("\n## import time in a fresh interpreter (ms)")
            for label, values in imports.items():
                print(f"{label:<26} {values}")
            over = (imports["rocketchat_users.Session"].median or 0) - (
                imports["aiohttp+msgspec+anyio"].median or 0)
            print(f"rocketchat_users.Session over aiohttp+msgspec+anyio: {over:.1f} ms")


if __name__ == "__main__":
    main()
