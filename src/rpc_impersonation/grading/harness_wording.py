"""How the sandbox words a student's values and failures: standard library only.

Part of the harness (copied into the sandbox beside ``harness.py``); the in-process nbgrader export
imports it too, so both report a student's errors in the same words.
"""

__all__ = ["plain", "short", "describe"]


def plain(value):
    """``json.dumps``' default: enums by name, sets sorted; anything else is not plain data."""
    import enum

    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, (set, frozenset)):
        return sorted(plain(v) if not isinstance(v, (str, int, float, bool)) else v for v in value)
    raise TypeError(f"{type(value).__name__} is not plain data (use str, int, float, bool, None, list, dict)")


def short(value, limit=200):
    """repr() cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def describe(exc):
    """One line for a student's exception: its type, message and line in the student's file."""
    import traceback

    try:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/student/" in f.filename]
        where = ""
        if isinstance(exc, SyntaxError):
            where = f" (line {exc.lineno})"
        elif frames:
            where = f" (line {frames[-1].lineno}, in {frames[-1].name})"
        text = f"{type(exc).__name__}: {exc}"
    except BaseException:  # noqa: BLE001 - a hostile __str__ or __repr__
        return "an exception whose message could not be read"
    return (text[:1500] + " [...]" if len(text) > 1500 else text) + where


# --- sandbox-side drivers: plain data in, plain data out, engine work done by the grader ---------------------
