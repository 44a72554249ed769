"""Exercises and automatic grading.

Students: ``check("ex1")`` (or ``check("all")``) in a notebook, or
``python -m rpc_impersonation.grading check ex1`` in a terminal.
Instructors: ``python -m rpc_impersonation.grading assign|verify|release|grade|gradescope ...``
(see docs/grading.md).
"""

from .course import CheckReport, check

__all__ = ["check", "CheckReport"]
