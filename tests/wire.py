"""aioresponses, made to work with aiohttp 3.14 — for tests about exact bytes on the wire.

aiohttp 3.14 added a required ``stream_writer`` argument to ``ClientResponse``; aioresponses
0.7.9 does not pass it (pnuckowski/aioresponses#289, fix pending in #288). The response class
below supplies the one attribute aiohttp reads from it, so mocked answers build again.
"""

from __future__ import annotations

import inspect
import json
from types import SimpleNamespace
from typing import Any

from aiohttp import ClientResponse
from aioresponses import aioresponses

_NEEDS_WRITER = "stream_writer" in inspect.signature(ClientResponse.__init__).parameters


class WireResponse(ClientResponse):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if _NEEDS_WRITER:
            kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(*args, **kwargs)


class Wire(aioresponses):
    """aioresponses whose answers use :class:`WireResponse`, with helpers to read requests."""

    def add(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("response_class", WireResponse)
        super().add(*args, **kwargs)

    def __enter__(self) -> Wire:
        super().__enter__()
        return self

    def sent(self) -> list[tuple[str, Any, dict[str, Any]]]:
        """Every request made, in order: (method, URL, the kwargs given to aiohttp)."""
        out: list[tuple[str, Any, dict[str, Any]]] = []
        for (method, url), calls in self.requests.items():
            out.extend((method, url, call.kwargs) for call in calls)
        return out

    def only(self) -> tuple[str, Any, dict[str, Any]]:
        requests = self.sent()
        assert len(requests) == 1, requests
        return requests[0]


def json_body(kwargs: dict[str, Any]) -> Any:
    data = kwargs.get("data")
    return json.loads(data) if data is not None else None
