"""An embedded Rocket.Chat 8.x server emulator for the users REST API.

``async with Emulator(users=1000, seed=1) as server:`` serves on ``server.url``
(``http://127.0.0.1:<ephemeral port>``) every endpoint of DESIGN.md §1 under ``/api/v1``,
``/api/info`` and the root ``/avatar/{subject}``, answering like a real server: auth headers and
hashed tokens, the server's error bodies and status codes, paging caps, permissions (admin vs
user vs bot), 2FA challenges, presence deltas. Behaviour follows docs/server-behavior.md; the
code imports nothing of the client SDK and keeps wire-shaped documents.

The knobs are the keyword arguments of ``Emulator`` (documented there): ``users``, ``seed``,
``host``, ``port``, ``settings``, ``remember_for``, ``latency``, ``error_rate``, ``rate_limit``,
``churn`` and ``faults`` (a :class:`Faults` plan).

The admin (``server.admin``: ``Admin(user_id, auth_token, password, username)``) has username
``admin`` — a name the server refuses for *new* users but a real first admin often has — and is
created at start, so 2FA's grace period lets its token work at once. Its login is not
2FA-challenged (no e-mail 2FA opt-in).

Test hooks on ``Emulator``: ``outbox`` (sent mails, the newest 10,000: ``to``,
``subject``, ``kind`` — ``2fa-code`` with ``code``, ``verification``/``reset-password`` with
``token``, ``welcome``, ``password``, ``invitation``), ``password_of(username)``,
``enable_totp(user_id) -> secret``, ``totp_code(user_id)``,
``set_connection_status(user_id, status)``, ``add_user(**fields)``, ``get_user(id_or_username)``,
``login_token(user_id)``, ``set_permission(permission, roles)``, ``request_log``, ``post_log``
(every POST with its body and whether it was applied), ``rate_limit_windows``,
``open_connections``, ``churn``, ``settings`` (live), ``app`` (the aiohttp Application).

Simplifications (see server-behavior.md for the real thing):

- passwords and e-mail 2FA codes are kept as SHA-256 digests instead of bcrypt;
- 2FA remember-me is per token, without the user-agent/IP fingerprint;
- ``/avatar?format=png`` is a solid square in the avatar colour, ``format=jpg`` a fixed grey
  8x8 JPEG; URL avatars are never fetched (a generated PNG is stored); no ``/avatar/room/``;
- rooms are ``GENERAL`` (everyone) plus two seeded team rooms, so autocomplete's shared-room
  rule and DM ordering have no effect; data-download operations stay ``pending``;
- not modelled: password history, ``Accounts_CustomFields`` validation, the
  ``Accounts_EmailVerification`` login block, LDAP/OAuth logins, CORS/OPTIONS, external avatar
  providers, message erasure, federation;
- versions: the emulator follows **8.8.1** (``/api/info`` says so): each users route's query or
  body is checked against 8.8.1's request schema (``_schemas.SCHEMAS``, from
  ``@rocket.chat/rest-typings@8.8.1``; routes whose schema is inline in users.ts use the
  package's request types) like 8.8.1's router: after auth, query-parser limits (500 values
  per key, 1000 parameters → ``Invalid query parameters``), then ``error-invalid-params``
  (query) / ``invalid-params`` (body) with AJV's message alone; AJV's coercion applies (a
  non-finite number, which AJV would pass on, is refused); ``users.sendConfirmationEmail`` needs
  auth (G8 snapshot); ``users.createToken`` takes ``{userId, secret}`` (8.x) and applies the 8.7
  caller rule (a token for someone else needs ``user-generate-access-token``); unknown targets
  of users.update / setActiveStatus answer ``error-invalid-user``; users.listTeams of an
  unknown id is empty; a POST's query string is not parsed (no limits there);
- bounded stores for long runs: the outbox and moderation reports keep the newest 10,000,
  each user the newest 5 e-mail verification links and 5 pending e-mail 2FA codes;
- users.update checks a ``data.active`` it cannot apply (no
  ``edit-other-user-active-status``, last admin/owner) before changing anything, where the
  server saves the other fields first and then fails.

Standalone: ``asyncio.run(serve(port=3000, users=1000, seed=1))`` serves until cancelled and
prints the admin's credentials (the CLI's ``rocketchat-users emulator`` calls it).
"""

from __future__ import annotations

from ._faults import Faults, PostRecord
from ._ratelimit import RateWindow
from ._server import SERVER_VERSION, Admin, Emulator, serve

__all__ = ["SERVER_VERSION", "Admin", "Emulator", "Faults", "PostRecord", "RateWindow", "serve"]
