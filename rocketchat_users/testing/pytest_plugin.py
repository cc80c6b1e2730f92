"""pytest plugin (registered through the ``pytest11`` entry point): an emulator per test.

The fixtures:

- ``rocketchat_emulator``: a running ``Emulator``, fresh for each test;
- ``rocketchat_session``: a ``Session`` bound to it, acting as its admin;
- ``rocketchat_emulator_options``: the Emulator's keyword arguments; override it in a
  conftest.py to seed more users or change settings:

```python
@pytest.fixture
def rocketchat_emulator_options():
    return {"users": 500, "settings": {"API_Upper_Count_Limit": 50}}
```

The async fixtures need pytest-asyncio (``asyncio_mode = "auto"`` or ``@pytest.mark.asyncio``);
without it the plugin stays inert rather than break the test run of a project that has the
package installed for other reasons.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from typing import Any

import pytest

HAVE_PYTEST_ASYNCIO = importlib.util.find_spec("pytest_asyncio") is not None


@pytest.fixture
def rocketchat_emulator_options() -> dict[str, Any]:
    """Keyword arguments for the Emulator: 50 seeded users, the server's default settings."""
    return {"users": 50, "seed": 1}


if HAVE_PYTEST_ASYNCIO:
    import pytest_asyncio

    from .. import Session
    from ._server import Emulator

    @pytest_asyncio.fixture
    async def rocketchat_emulator(
        rocketchat_emulator_options: dict[str, Any],
    ) -> AsyncIterator[Emulator]:
        """An emulated Rocket.Chat server on 127.0.0.1, fresh for each test."""
        async with Emulator(**rocketchat_emulator_options) as server:
            yield server

    @pytest_asyncio.fixture
    async def rocketchat_session(rocketchat_emulator: Emulator) -> AsyncIterator[Session]:
        """A Session bound to the emulator, acting as its admin."""
        admin = rocketchat_emulator.admin
        async with Session(
            rocketchat_emulator.url, user_id=admin.user_id, auth_token=admin.auth_token
        ) as session:
            yield session
