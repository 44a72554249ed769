"""Named scenarios shipped with the package, and the JSON scenario format.

>>> {'seed-delegation', 'seed-ncalrpc', 'double-hop'} <= set(names())
True
>>> load_named("seed-ncalrpc").evaluate("lb-delegate").reached_as("C")
'CORP\\\\userA'
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import resources

from ..errors import InvalidValueError
from ..world import World
from .loader import Expectation, Scenario, load, loads

__all__ = ["Scenario", "Expectation", "load", "loads", "load_named", "names", "seed_delegation_world"]

_DATA = resources.files(__package__) / "data"


@lru_cache(maxsize=1)
def _names() -> tuple[str, ...]:
    return tuple(sorted(p.name[:-5] for p in _DATA.iterdir() if p.name.endswith(".json")))


def names() -> list[str]:
    """The names of the scenarios shipped with the package."""
    return list(_names())


@cache
def _text(name: str) -> str:
    return (_DATA / f"{name}.json").read_text(encoding="utf-8")


def load_named(name: str) -> Scenario:
    """Load a shipped scenario by name (see :func:`names`); each call builds a fresh world."""
    if name not in names():
        raise InvalidValueError("scenario", name, names())
    return loads(_text(name), source=f"{name}.json")


def seed_delegation_world() -> World:
    """The world of the first seed's client -> Server A -> Server B story."""
    return load_named("seed-delegation").world
