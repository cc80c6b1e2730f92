"""Shared fixtures: the official spec's examples and a wire mock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.wire import Wire

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
OPENAPI = SHARED / "openapi"


def load_spec(name: str) -> dict[str, Any]:
    path = OPENAPI / name
    if not path.is_file():
        # Loud on purpose: a missing spec must not turn its tests into silent passes.
        raise FileNotFoundError(f"{path} is missing: tests need ../shared/openapi beside the repo")
    with path.open() as f:
        return yaml.safe_load(f)  # type: ignore[no-any-return]


@pytest.fixture
def wire() -> Iterator[Wire]:
    with Wire() as mock:
        yield mock
