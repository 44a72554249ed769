"""Interactive widgets. Each factory returns an object that works without a browser: set a value
(or call a method), then read ``explanation``, ``summary`` and ``dot``. Callbacks only gather
the widgets' values, call the engine and re-render; the logic lives in the engine.

>>> cb = ChainBuilder()
>>> cb.set_hop(0, level="impersonate")
>>> cb.result.reached_as("server2")
'NT AUTHORITY\\\\ANONYMOUS LOGON'
>>> cb.set_hop(0, level="delegate")
>>> cb.result.reached_as("server2")
'CORP\\\\alice'

Taught in notebooks/02_levels.ipynb, 04_delegation.ipynb, 01_security_context.ipynb, 08_review.ipynb.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..decisions import Decision
from .builder import DELEGATION, SANDBOX_SERVERS, ChainBuilder, HopChoice, build_chain, sandbox_world
from .explorer import LevelExplorer, explore_level
from .quickcheck import NOBODY, Option, QuickCheck
from .steppers import STEPS, CloakingStepper, ImpersonationStepper, cloaking_stepper, stepper_world
from .widget_base import APIS, LEVELS, PROTSEQS, PROVIDERS

__all__ = [
    "LevelExplorer",
    "ChainBuilder",
    "ImpersonationStepper",
    "QuickCheck",
    "Option",
    "level_explorer",
    "chain_builder",
    "impersonation_stepper",
    "quick_check",
    "CloakingStepper",
    "cloaking_stepper",
    "HopChoice",
    "build_chain",
    "sandbox_world",
    "explore_level",
    "stepper_world",
    "DELEGATION",
    "SANDBOX_SERVERS",
    "STEPS",
    "NOBODY",
    "LEVELS",
    "PROTSEQS",
    "PROVIDERS",
    "APIS",
]


def level_explorer(**kwargs) -> LevelExplorer:
    return LevelExplorer(**kwargs)


def chain_builder(**kwargs) -> ChainBuilder:
    return ChainBuilder(**kwargs)


def impersonation_stepper(**kwargs) -> ImpersonationStepper:
    return ImpersonationStepper(**kwargs)


def quick_check(
    question: str, choices: Sequence[str | Option], correct: str, because: Decision, **options
) -> QuickCheck:
    return QuickCheck(question, choices, correct, because, **options)
