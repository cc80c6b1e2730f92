"""Every public name is documented: the docs site's API reference is built from these docstrings.

The rules, kept simple so that they are true of every name they cover:

- every public module, class, function, method and property has a docstring of its own;
- a function or method that returns something (its annotation is not ``None``) says what, in a
  ``Returns:`` (or ``Yields:``) section;
- a coroutine of the SDK (it talks to the server, or awaits what does) says what it raises, in a
  ``Raises:`` section. Exempt: ``close()`` / ``aclose()``, which release resources and raise
  nothing of their own, and the emulator's own coroutines (start, stop).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest

import rocketchat_users as rcu
from rocketchat_users import errors, models, paging, sync, testing
from rocketchat_users.api.moderation import ModerationAPI
from rocketchat_users.api.users import UsersAPI
from rocketchat_users.testing import pytest_plugin

# rcu.bulk is the function: the module of the same name is reached through importlib.
bulk_module = importlib.import_module("rocketchat_users.bulk")
MODULES: list[ModuleType] = [rcu, bulk_module, errors, models, paging, sync, testing,
                             pytest_plugin]
# Reached as attributes (rc.users, rc.moderation) or returned by methods (walks), not exported.
CLASSES: list[type] = [UsersAPI, ModerationAPI, paging.UserWalk, paging.PageWalk]


def public_objects() -> Iterator[tuple[str, object]]:
    """(qualified name, object) for every public module, class and function, once each."""
    seen: set[int] = set()

    def visit(name: str, obj: object) -> Iterator[tuple[str, object]]:
        if id(obj) not in seen:
            seen.add(id(obj))
            yield name, obj

    for module in MODULES:
        yield from visit(module.__name__, module)
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            # (On 3.10 inspect.isclass is true of an alias such as Callable[[str], ...].)
            if (inspect.isclass(obj) or inspect.isfunction(obj)) \
                    and getattr(obj, "__module__", "").startswith("rocketchat_users"):
                yield from visit(f"{obj.__module__}.{obj.__qualname__}", obj)
    for cls in CLASSES:
        yield from visit(f"{cls.__module__}.{cls.__qualname__}", cls)


def members(cls: type) -> Iterator[tuple[str, object]]:
    """Public methods and properties of ``cls``, its package-private bases' included."""
    done: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("rocketchat_users"):
            continue
        for name, value in vars(klass).items():
            if name.startswith("_") or name in done:
                continue
            if inspect.isfunction(value) or isinstance(value, property):
                done.add(name)
                yield f"{cls.__qualname__}.{name}", value


def own_doc(obj: object) -> str:
    doc = obj.fget.__doc__ if isinstance(obj, property) else getattr(obj, "__doc__", None)
    doc = inspect.cleandoc(doc or "")
    if inspect.isclass(obj) and doc.startswith(f"{obj.__name__}("):
        return ""  # the signature a dataclass writes for itself when it has no docstring
    return doc


def callables() -> Iterator[tuple[str, Callable[..., object]]]:
    for name, obj in public_objects():
        if inspect.isfunction(obj):
            yield name, obj
        elif inspect.isclass(obj):
            for member_name, member in members(obj):
                if inspect.isfunction(member):
                    yield f"{obj.__module__}.{member_name}", member


def documented() -> list[tuple[str, object]]:
    found = list(public_objects())
    for _name, obj in list(found):
        if inspect.isclass(obj):
            found += [(f"{obj.__module__}.{m}", v) for m, v in members(obj)]
    return found


@pytest.mark.parametrize(("name", "obj"), documented(), ids=lambda v: v if isinstance(v, str)
                         else "")
def test_has_a_docstring(name: str, obj: object) -> None:
    assert own_doc(obj), f"{name} has no docstring"


def returns_something(fn: Callable[..., object]) -> bool:
    annotation = inspect.signature(fn, eval_str=False).return_annotation
    return annotation not in ("None", None, inspect.Signature.empty)


@pytest.mark.parametrize(("name", "fn"), list(callables()), ids=lambda v: v if isinstance(v, str)
                         else "")
def test_says_what_it_returns_and_raises(name: str, fn: Callable[..., object]) -> None:
    doc = own_doc(fn)
    if returns_something(fn):
        assert "Returns:" in doc or "Yields:" in doc, f"{name}: no Returns: section"
    exempt = fn.__module__.startswith(testing.__name__) or fn.__name__ in ("close", "aclose")
    if inspect.iscoroutinefunction(fn) and not exempt:
        assert "Raises:" in doc, f"{name}: no Raises: section"


def test_the_rules_see_the_whole_surface() -> None:
    # Guards the walk above: a rule that silently covered nothing could not fail.
    names = {name for name, _ in callables()}
    assert "rocketchat_users.api.users.UsersAPI.info" in names
    assert "rocketchat_users.api.moderation.ModerationAPI.report_user" in names
    assert "rocketchat_users._session.Session.login" in names
    assert "rocketchat_users.testing._server.Emulator.password_of" in names
    assert "rocketchat_users.sync.plan" in names
    assert "rocketchat_users.bulk.bulk" in names
    assert "rocketchat_users.paging.UserWalk.aclose" in names
    assert len([n for n in names if n.startswith("rocketchat_users.api.users.")]) >= 45
