"""Where each idea is taught: the one map from a section key to a notebook heading and its link.

Feedback cites sections by key (``"05.session"``); :func:`link` turns a key into the link a learner
clicks (the notebook plus the heading's anchor as JupyterLab renders it). ``tests/test_exercises.py``
checks every entry against the headings in ``notebooks/source`` so a renamed heading fails a test.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InvalidValueError

__all__ = ["SECTIONS", "link", "anchor", "headings", "missing_headings"]

#: key -> (notebook, heading text exactly as in notebooks/source/<notebook>.nb)
SECTIONS: dict[str, tuple[str, str]] = {
    "01.accounts": ("01_security_context", "Processes run as accounts"),
    "01.cycle": ("01_security_context", "Impersonate, work, revert"),
    "01.codes": ("01_security_context", "The return codes"),
    "01.unchecked": ("01_security_context", "Bug 1: not checking the result"),
    "01.revert": ("01_security_context", "Bug 2: forgetting to revert"),
    "02.levels": ("02_levels", "Four levels, least to most authority"),
    "02.matrix": ("02_levels", "Each level doing (and failing to do) things"),
    "03.binding": ("03_qos", "The grant is made at binding"),
    "03.default": ("03_qos", '"Default" is not one thing'),
    "03.machine": ("03_qos", "The machine-wide COM level, and an administrator changing it"),
    "03.mutual": ("03_qos", "Mutual authentication"),
    "04.onbehalf": ("04_delegation", "Server A asks Server B on the client's behalf"),
    "04.conditions": ("04_delegation", "What delegation needs, one condition at a time"),
    "04.limits": ("04_delegation", "Administrators limit where delegation goes"),
    "04.long": ("04_delegation", "Long chains: every hop is checked again"),
    "05.example": ("05_ncalrpc_exception", "The example, as the RPC document tells it"),
    "05.delegate": ("05_ncalrpc_exception", "With Delegate from LB to RB"),
    "05.session": ("05_ncalrpc_exception", "Why: whose logon session?"),
    "05.tcp": ("05_ncalrpc_exception", "Same machine is not enough: TCP gets no exception"),
    "06.symptom": ("06_double_hop", "The symptom"),
    "06.diagnose": ("06_double_hop", "Diagnose from the explanation"),
    "06.fix": ("06_double_hop", "The least-privilege fix"),
    "07.cloaking": ("07_beyond_the_seeds", "COM: cloaking decides whose identity goes out"),
    "07.blanket": ("07_beyond_the_seeds", "COM's blanket and its calls"),
    "07.kinds": ("07_beyond_the_seeds", "Kerberos delegation kinds"),
    "07.negotiate": ("07_beyond_the_seeds", "Negotiate falls back to NTLM"),
    "07.tracking": ("07_beyond_the_seeds", "Identity tracking in plain RPC"),
}


def anchor(heading: str) -> str:
    """The anchor JupyterLab gives a Markdown heading: its text with spaces turned into hyphens."""
    return heading.strip().replace(" ", "-")


def link(key: str) -> str:
    """``notebooks/NN_name.ipynb#Heading-anchor`` for a section key."""
    if key not in SECTIONS:
        raise InvalidValueError("section", key, sorted(SECTIONS))
    notebook, heading = SECTIONS[key]
    return f"notebooks/{notebook}.ipynb#{anchor(heading)}"


_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$")


def headings(source: str | Path) -> list[str]:
    """The Markdown headings of a notebook source file (``.nb``), outside code cells."""
    out, in_markdown = [], False
    for line in Path(source).read_text(encoding="utf-8").splitlines():
        if line.startswith("=== "):
            in_markdown = line.strip() == "=== markdown"
            continue
        m = _HEADING.match(line) if in_markdown else None
        if m:
            out.append(m.group(1))
    return out


def missing_headings(notebook_sources: str | Path) -> list[str]:
    """Sections whose heading is not (any more) in its notebook's source: ``key: notebook "heading"``."""
    folder, missing, cache = Path(notebook_sources), [], {}
    for key, (notebook, heading) in SECTIONS.items():
        path = folder / f"{notebook}.nb"
        if notebook not in cache:
            cache[notebook] = headings(path) if path.exists() else []
        if heading not in cache[notebook]:
            missing.append(f'{key}: {notebook} "{heading}"')
    return missing
