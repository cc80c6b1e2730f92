"""The public surface: __all__ complete, sorted, and every name importable."""

from __future__ import annotations

import inspect
import subprocess
import sys

import msgspec

import rocketchat_users as rcu
from rocketchat_users import errors, models


def test_all_is_sorted_and_resolves() -> None:
    assert rcu.__all__ == sorted(rcu.__all__)
    for name in rcu.__all__:
        assert hasattr(rcu, name), name


def test_every_model_and_error_is_exported_at_top_level() -> None:
    structs = {n for n, v in vars(models).items()
               if inspect.isclass(v) and issubclass(v, msgspec.Struct) and not n.startswith("_")}
    raised = {n for n, v in vars(errors).items()
              if inspect.isclass(v) and issubclass(v, errors.RocketChatError)}
    assert structs <= set(rcu.__all__)
    assert raised <= set(rcu.__all__)
    assert set(errors.__all__) == raised


def test_error_tree_matches_design() -> None:
    assert issubclass(rcu.UserNotFoundError, rcu.BadRequestError)
    assert issubclass(rcu.UserNotFoundError, rcu.NotFoundError)
    assert issubclass(rcu.RequestTimeoutError, rcu.TransportError)
    for cls in (rcu.BadRequestError, rcu.TwoFactorRequiredError, rcu.AuthenticationError,
                rcu.PermissionDeniedError, rcu.NotFoundError, rcu.RateLimitError,
                rcu.ServerError):
        assert issubclass(cls, rcu.APIError)
    for base in (rcu.TransportError, rcu.ResponseDecodeError, rcu.APIError):
        assert issubclass(base, rcu.RocketChatError)


def test_import_loads_the_session_and_sync_only_when_asked() -> None:
    # A fresh interpreter: `import rocketchat_users` must stay cheap (no aiohttp client, no
    # endpoint table, no sync), and the lazy names must still resolve to the real objects.
    code = (
        "import sys, rocketchat_users as rcu\n"
        "heavy = ('rocketchat_users._session', 'rocketchat_users.sync', 'aiohttp')\n"
        "print([m for m in heavy if m in sys.modules])\n"
        "from rocketchat_users._session import Session\n"
        "print(rcu.Session is Session, rcu.sync.plan.__module__, callable(rcu.bulk))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.splitlines() == ["[]", "True rocketchat_users.sync True"]
