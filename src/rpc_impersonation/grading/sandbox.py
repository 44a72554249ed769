"""The sandbox child: runs the student's module, one request at a time, under limits.

It talks JSON over a multiprocessing connection: ("call", function, args) -> ("ok", value) or
("error", kind, message); ("drive", driver, args) runs a trusted driver from .drivers that calls
the student's code. Nothing but JSON goes back, so the grader never unpickles student objects.
"""

from __future__ import annotations

import enum
import importlib.util
import io
import json
import os
import sys
import traceback

__all__ = ["child_main", "Limits"]


class Limits:
    memory_bytes = 1024 * 1024 * 1024
    output_chars = 20_000
    file_bytes = 1024 * 1024
    recursion = 3000


class _Capped(io.TextIOBase):
    def __init__(self, limit: int) -> None:
        self.limit, self.parts, self.size, self.dropped = limit, [], 0, 0

    def write(self, s: str) -> int:
        if self.size < self.limit:
            keep = s[: self.limit - self.size]
            self.parts.append(keep)
            self.size += len(keep)
            self.dropped += len(s) - len(keep)
        else:
            self.dropped += len(s)
        return len(s)

    def take(self) -> str:
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n[... {self.dropped} more characters of output dropped]"
        self.parts, self.size, self.dropped = [], 0, 0
        return text


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    raise TypeError(type(value).__name__)


def _limit() -> None:
    try:
        import resource
    except ImportError:  # Windows: no rlimits
        return
    for name, value in (("RLIMIT_AS", Limits.memory_bytes), ("RLIMIT_FSIZE", Limits.file_bytes),
                        ("RLIMIT_CORE", 0)):
        limit = getattr(resource, name, None)
        if limit is not None:
            try:
                resource.setrlimit(limit, (value, value))
            except (ValueError, OSError):
                pass
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Graders often run as root (CI, Gradescope): drop to nobody so the student's code cannot
        # write the grader's files.
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
        except OSError:
            pass


def child_main(conn, scratch: str, module_name: str, forbid: tuple[str, ...] = (),
               allow: tuple[str, ...] | None = None) -> None:
    """Entry point of the sandbox process."""
    os.chdir(scratch)
    os.environ["HOME"] = scratch
    os.environ["TMPDIR"] = scratch
    # C-level writes to fds 1 and 2 go to a capped file in the scratch folder, never to the grader.
    sink = os.open(os.path.join(scratch, ".output"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(sink, 1)
    os.dup2(sink, 2)
    captured = _Capped(Limits.output_chars)
    sys.stdout = sys.stderr = captured
    sys.stdin = io.StringIO("")
    _limit()
    sys.setrecursionlimit(Limits.recursion)
    from . import drivers

    drivers.snapshot()
    for dotted in forbid:
        drivers.forbid(dotted)
    if allow is not None:
        from .allow import restrict_imports

        restrict_imports(tuple(allow))

    def reply(*message) -> None:
        try:
            data = json.dumps(message, default=_plain)
        except (TypeError, ValueError) as exc:
            data = json.dumps(["error", "wrong type", f"returned a value that is not plain data ({exc})",
                               captured.take()])
        conn.send_bytes(data.encode())

    module = None
    try:
        path = os.path.join(scratch, module_name + ".py")
        if not os.path.exists(path):
            raise FileNotFoundError(f"{module_name}.py is missing from the submission")
        sys.path.insert(0, scratch)
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        reply("ready", captured.take())
    except SystemExit as exc:
        reply("import error", f"the module called sys.exit({exc.code}) while being imported", captured.take())
        return
    except BaseException as exc:  # noqa: BLE001 - every failure of student code is reported, none escapes
        reply("import error", _describe(exc), captured.take())
        return

    while True:
        try:
            raw = conn.recv_bytes()
        except (EOFError, OSError):
            return
        kind, name, args = json.loads(raw)
        try:
            if kind == "call":
                fn = getattr(module, name, None)
                if fn is None or not callable(fn):
                    reply("error", "missing", f"function {name}() is missing from {module_name}.py",
                          captured.take())
                    continue
                value = fn(*args)
            else:
                value = drivers.DRIVERS[name](module, *args)
            reply("ok", value, captured.take())
        except NotImplementedError:
            reply("error", "not implemented", f"{name} is not implemented yet", captured.take())
        except SystemExit as exc:
            reply("error", "exit", f"your code called sys.exit({exc.code})", captured.take())
        except RecursionError:
            reply("error", "recursion", "your code recursed too deeply (RecursionError)", captured.take())
        except MemoryError:
            reply("error", "memory", "your code ran out of memory (over the sandbox's limit)", captured.take())
        except BaseException as exc:  # noqa: BLE001
            reply("error", "exception", _describe(exc), captured.take())


def _describe(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "rpc_impersonation" not in f.filename]
    where = ""
    if isinstance(exc, SyntaxError):
        where = f" (line {exc.lineno})"
    elif frames:
        where = f" (line {frames[-1].lineno}, in {frames[-1].name})"
    return f"{type(exc).__name__}: {exc}{where}"
