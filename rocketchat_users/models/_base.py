"""Base Struct shared by every model, and the secret-masking variant."""

from __future__ import annotations

from typing import ClassVar, TypeAlias

import msgspec

#: Any JSON value; msgspec cannot decode recursive aliases, so nesting stays ``object``.
JSONValue: TypeAlias = str | int | float | bool | list[object] | dict[str, object] | None

MASK = "***"


# gc=False: decoded answers never form reference cycles, and a bulk job holding 10^5 Users
# should not have the cyclic collector walk each of them (msgspec's "Disabling garbage
# collection" guidance); a few percent faster to decode as well.
class Model(msgspec.Struct, kw_only=True, rename="camel", omit_defaults=True, gc=False,
            repr_omit_defaults=True):
    """Base of all models: camelCase on the wire, unknown fields ignored, defaults left out."""


class MaskedModel(Model):
    """A model whose ``__secret_fields__`` never show in ``repr()``/``str()``/rich output."""

    __secret_fields__: ClassVar[frozenset[str]] = frozenset()

    def __rich_repr__(self) -> list[tuple[str, object]]:
        # msgspec's own __rich_repr__ would hand rich the plain secret.
        return [
            (name, MASK if name in self.__secret_fields__ and isinstance(value, str) else value)
            for name, value in super().__rich_repr__()
        ]

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={value!r}" for name, value in self.__rich_repr__())
        return f"{type(self).__name__}({args})"
