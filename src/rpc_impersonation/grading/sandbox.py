"""Where student code runs: a bubblewrap sandbox per submission, a fresh process per exercise view.

Isolation levels, strongest first (``choose_isolation`` picks one and says which):

* ``bubblewrap`` (the grader runs as root, as on CI and Gradescope): one ``bwrap`` per submission
  with its own PID, network, IPC and UTS namespaces and nothing of the host but the Python runtime
  and ``/usr``, read-only. Each exercise view (``exN-v`` for the visible tests, ``exN-h`` for the
  hidden ones) is a small root of its own: the runtime, a package view holding only the modules the
  exercise allows, the student's file, a private size-capped ``/tmp``. The trusted harness forks a
  child per view, which enters fresh IPC and network namespaces, chroots into the view, sets its
  rlimits and drops to the worker slot's own unprivileged uid before the student's module is
  imported. Memory and process counts are also capped per slot with cgroups where they are writable.
* ``bubblewrap-user`` (not root, unprivileged user namespaces available): one sandbox per view;
  the student's code runs as the grader's own uid inside the namespaces.
* ``process`` (no bubblewrap): a plain child process with rlimits, the package view and
  ``python -I -S``; the host's files are visible to it. Refused for untrusted code unless the
  instructor allows it explicitly; the students' self-check uses it when nothing better exists.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ImpersonationError

__all__ = ["Limits", "Isolation", "Sandbox", "SandboxFault", "choose_isolation", "View", "Slot", "MAX_FRAME",
           "decode_frame"]

MAX_FRAME = 256 * 1024
MAX_DEPTH = 64
_HEADER = struct.Struct(">I")
_PACKAGE = Path(__file__).resolve().parent.parent
_HARNESS = Path(__file__).resolve().parent / "harness.py"
#: the harness's files, copied together into the sandbox (harness.py loads the others from its folder)
_HARNESS_FILES = ("harness.py", "harness_wording.py", "harness_seccomp.py", "harness_drive.py")
#: Standard-library modules a student's code may reasonably use: the preflight imports them all.
PREFLIGHT_MODULES = ("json", "re", "math", "itertools", "functools", "collections", "dataclasses", "enum",
                     "typing", "string", "textwrap", "copy", "operator", "decimal", "fractions", "random",
                     "statistics", "datetime", "abc", "contextlib", "heapq", "bisect", "types", "traceback",
                     "importlib.util", "ctypes", "resource")


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 1024 * 1024 * 1024   # per process (RLIMIT_AS) and, with cgroups, per sandbox
    processes: int = 48                      # processes and threads of one worker slot's uid
    file_bytes: int = 4 * 1024 * 1024        # largest file the student's code may write
    tmp_bytes: int = 16 * 1024 * 1024        # size of each view's private /tmp
    open_files: int = 64
    cpu_seconds: int = 120                   # backstop; the grader's wall-clock limits come first
    output_chars: int = 4000                 # of what the student's code prints, per view
    recursion: int = 3000

    def rlimits(self) -> dict[str, int]:
        return {"RLIMIT_AS": self.memory_bytes, "RLIMIT_NPROC": self.processes, "RLIMIT_FSIZE": self.file_bytes,
                "RLIMIT_NOFILE": self.open_files, "RLIMIT_CPU": self.cpu_seconds, "RLIMIT_CORE": 0,
                "RLIMIT_MEMLOCK": 0, "RLIMIT_MSGQUEUE": 0}


class SandboxFault(Exception):
    """The sandbox or the student's process sent something unreadable, or stopped answering."""

    def __init__(self, message: str, kind: str = "protocol") -> None:
        super().__init__(message)
        self.kind = kind


# --- frames -----------------------------------------------------------------------------------------------
_OPS = {"zygote": {"pid": int}, "ready": {"output": str}, "import error": {"message": str, "output": str},
        "ok": {"output": str}, "error": {"kind": str, "message": str, "output": str},
        "callback": {"name": str, "args": list}, "ended": {}, "stopped": {}, "fault": {"message": str}}
_SURROGATES = re.compile("[\ud800-\udfff]")


def _depth(value: Any) -> int:
    """How deeply lists and dicts nest in ``value`` (iteratively: no recursion on the student's data)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, level)
            if deepest > MAX_DEPTH:
                return deepest
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def _clean(value: Any) -> Any:
    """``value`` with every lone surrogate (unencodable as UTF-8) replaced by U+FFFD; depth already capped."""
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    return value


def decode_frame(data: bytes) -> dict[str, Any]:
    """A frame from the sandbox as a checked dict; SandboxFault for anything else (never a crash).

    Parsed by ``json.loads`` alone (linear; no pre-scan a crafted frame can make quadratic): nesting
    beyond the C parser's recursion guard, integers beyond Python's digit limit and bad UTF-8 are
    refused; the depth is checked on the parsed value; lone surrogates become U+FFFD, so nothing the
    student sent can break a UTF-8 report later."""
    if len(data) > MAX_FRAME:
        raise SandboxFault(f"a reply of {len(data)} bytes (at most {MAX_FRAME} are accepted)")
    try:
        message = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise SandboxFault(f"a reply nested too deeply to read (at most {MAX_DEPTH} levels are accepted)") from None
    except (ValueError, MemoryError) as exc:
        raise SandboxFault(f"an unreadable reply ({type(exc).__name__}: {str(exc)[:200]})") from None
    deepest = _depth(message)
    if deepest > MAX_DEPTH:
        raise SandboxFault(f"a reply nested more than {MAX_DEPTH} levels deep (at most {MAX_DEPTH} are accepted)")
    message = _clean(message)
    if not isinstance(message, dict) or message.get("op") not in _OPS:
        raise SandboxFault("a reply that is not one the grader asked for")
    for key, kind in _OPS[message["op"]].items():
        if not isinstance(message.get(key, kind()), kind):
            raise SandboxFault(f"a reply whose field {key!r} is not a {kind.__name__}")
    return message


# --- package views ----------------------------------------------------------------------------------------
def _imports_of(path: Path) -> set[str]:
    """Package modules a module imports at its top level (not inside functions)."""
    from .masters import parse

    tree = parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(_PACKAGE.parent).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    found = set()
    for node in tree.body:
        if isinstance(node, ast.If):  # TYPE_CHECKING blocks are not run
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            if mod.startswith("rpc_impersonation"):
                found.add(mod)
                found.update(f"{mod}.{a.name}" for a in node.names)  # `from . import x` may name a module
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("rpc_impersonation"))
    return found


def _source_of(module: str) -> Path | None:
    rel = Path(*module.split(".")[1:])
    for candidate in (_PACKAGE / rel.with_suffix(".py"), _PACKAGE / rel / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def view_modules(allow: tuple[str, ...]) -> list[str]:
    """The allowed modules and every package module they import at their top level."""
    todo, seen = list(allow), set()
    while todo:
        name = todo.pop()
        if name in seen or name == "rpc_impersonation":
            continue
        source = _source_of(name)
        if source is None:
            continue
        seen.add(name)
        todo.extend(_imports_of(source))
    return sorted(seen)


def _package_init(modules: list[str]) -> str:
    """The view's rpc_impersonation/__init__.py: the real one's names, from modules in the view only,
    each imported when first used (so importing a small module does not import every allowed one)."""
    from .masters import parse

    tree = parse((_PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    here, refused = {}, {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            target = here if f"rpc_impersonation.{node.module}" in modules else refused
            target.update({a.name: f"rpc_impersonation.{node.module}" for a in node.names})
    return ('"""The package as this exercise sees it: only the modules it allows (generated by the grader)."""\n'
            f"import importlib\n\n_HERE = {here!r}\n_NOT_HERE = {refused!r}\n\n\n"
            "def __getattr__(name):\n"
            "    if name in _HERE:\n"
            "        return getattr(importlib.import_module(_HERE[name]), name)\n"
            "    where = _NOT_HERE.get(name, 'rpc_impersonation.' + name)\n"
            "    raise ImportError(f'{name} ({where}) is not allowed in this exercise')\n")


_VIEWS: dict[tuple[str, ...], Path] = {}
_VIEWS_LOCK = threading.Lock()
_RUN_DIR: Path | None = None


def _run_dir() -> Path:
    global _RUN_DIR
    if _RUN_DIR is None:
        _RUN_DIR = Path(tempfile.mkdtemp(prefix="rpc-grading-"))
        os.chmod(_RUN_DIR, 0o755)
        import atexit

        atexit.register(shutil.rmtree, _RUN_DIR, True)
    return _RUN_DIR


def package_view(allow: tuple[str, ...]) -> Path:
    """A folder holding ``rpc_impersonation/`` with only the allowed modules (built once per set), compiled."""
    key = tuple(sorted(allow))
    with _VIEWS_LOCK:
        if key in _VIEWS:
            return _VIEWS[key]
        modules = view_modules(key)
        folder = _run_dir() / "views" / hashlib.sha256(repr(key).encode()).hexdigest()[:12]
        target = folder / "rpc_impersonation"
        target.mkdir(parents=True)
        (target / "__init__.py").write_text(_package_init(modules), encoding="utf-8")
        for name in modules:
            source = _source_of(name)
            rel = source.relative_to(_PACKAGE)
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)
            for parent in rel.parents:  # subpackages whose __init__ is not allowed get an empty one
                init = target / parent / "__init__.py"
                if parent != Path(".") and not init.exists():
                    init.write_text("", encoding="utf-8")
        subprocess.run([_python(), "-I", "-S", "-m", "compileall", "-q", str(target)], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for path in [folder, *folder.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        _VIEWS[key] = folder
        return folder


def _harness_dir() -> Path:
    folder = _run_dir() / "harness"
    if not all((folder / name).exists() for name in _HARNESS_FILES):
        folder.mkdir(exist_ok=True)
        for name in _HARNESS_FILES:
            shutil.copy2(_HARNESS.parent / name, folder / name)
            os.chmod(folder / name, 0o644)
        os.chmod(folder, 0o755)
    return folder


def _python() -> str:
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


def _runtime_mounts() -> list[str]:
    """Host folders the interpreter needs, besides /usr: its prefix (e.g. a pyenv under /root)."""
    prefixes = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.base_exec_prefix)}
    exe = Path(_python())
    prefixes.add(str(exe.parent.parent))
    return sorted(p for p in prefixes if not p.startswith("/usr/") and p != "/usr")


def _site_packages() -> list[str]:
    import sysconfig

    found = []
    for key in ("purelib", "platlib"):
        path = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_exec_prefix}).get(key)
        if path and os.path.isdir(path) and path not in found:
            found.append(path)
    return found


# --- isolation ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class View:
    """What one student process sees of the package: the allowed modules (and their imports)."""

    allow: tuple[str, ...]


class _Slots:
    """Worker slots: each has its own unprivileged uid (rlimits count per uid) and student folder."""

    def __init__(self, base: int, count: int = 64) -> None:
        self.free = list(range(base + count - 1, base - 1, -1))
        self.ready = threading.Condition()

    def take(self) -> int:
        with self.ready:  # the most recently freed first: its sandboxes are warm
            if not self.ready.wait_for(lambda: self.free, timeout=600):
                raise ImpersonationError("no free worker slot in 10 minutes")
            return self.free.pop()

    def give(self, uid: int) -> None:
        with self.ready:
            self.free.append(uid)
            self.ready.notify()


class Slot:
    """One worker's turn: the folder the student's files go into, and the sandboxes to run them in.

    With privileged bubblewrap the sandboxes (one per package view) live as long as the run and
    serve one student after another: each student process mounts only the current student's folder.
    Otherwise a sandbox serves one student's one exercise and is closed after it."""

    _serial = 0
    _lock = threading.Lock()

    def __init__(self, isolation: "Isolation") -> None:
        self.isolation = isolation
        self.uid = isolation.take_uid()
        with Slot._lock:
            Slot._serial += 1
            self.name = f"s{Slot._serial}"
        home = _run_dir() / "slots" / (str(self.uid) if self.uid is not None else f"own-{self.name}")
        home.mkdir(parents=True, exist_ok=True)
        os.chmod(home, 0o711)  # traversable, not listable
        self.home = home
        self.folder = home / self.name
        self.folder.mkdir(mode=0o700)
        self._protect(self.folder, 0o550)
        self.own: list[Sandbox] = []

    def _protect(self, path: Path, mode: int) -> None:
        """Only the slot's uid (and root, by group: the sandbox's root has no CAP_DAC_OVERRIDE) may read a
        staged file: no other local user reads a classmate's code during the run. Without a slot uid the
        student's code runs as the grader's own uid, so owner-only modes do."""
        if self.uid is not None:
            os.chown(path, self.uid, 0)
            os.chmod(path, mode)
        else:
            os.chmod(path, mode & 0o700)

    def write(self, module: str, source: str) -> None:
        path = self.folder / f"{module}.py"
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with open(fd, "w", encoding="utf-8", errors="replace") as fh:
            fh.write(source)
        self._protect(path, 0o440)

    def sandbox(self, allow: tuple[str, ...]) -> "Sandbox":
        if self.isolation.shared_sandboxes:
            return self.isolation.shared_sandbox(self.uid, self.home, allow)
        for box in self.own:
            if box.allow == allow and box.alive:
                return box
        box = Sandbox(self.isolation, self.uid, self.folder, allow)
        self.own.append(box)
        return box

    def close(self) -> None:
        for box in self.own:
            box.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.isolation.give_uid(self.uid)


@dataclass
class Isolation:
    name: str                      # bubblewrap, bubblewrap-user, process
    limits: Limits = field(default_factory=Limits)
    uid_base: int = int(os.environ.get("RPC_GRADING_UID_BASE", "61000"))
    _slots: _Slots | None = field(default=None, repr=False)
    _cgroups: bool | None = field(default=None, repr=False)
    _shared: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def shared_sandboxes(self) -> bool:
        """Whether sandboxes serve many students (each student process mounts its own files)."""
        return self.name == "bubblewrap"

    @property
    def drops_uid(self) -> bool:
        return hasattr(os, "geteuid") and os.geteuid() == 0

    def describe(self) -> str:
        if self.name == "bubblewrap":
            memory = "cgroup memory and process caps" if self.cgroups else "rlimits only (no writable cgroups)"
            return ("bubblewrap sandbox (namespaces: pid, net, ipc, uts, mount; only the Python runtime, the allowed "
                    f"modules and the student's own files, read-only; unprivileged uid per worker; seccomp filter; "
                    f"{memory})")
        if self.name == "bubblewrap-user":
            return ("bubblewrap sandbox in a user namespace (pid, net, ipc, mount namespaces; only the runtime, the "
                    "allowed modules and the student's files; student code runs as the grader's own uid)")
        return ("WEAK: a plain child process with rlimits" + (" and an unprivileged uid" if self.drops_uid else "")
                + "; it can read the host's files")

    @property
    def cgroups(self) -> bool:
        if self._cgroups is None:
            self._cgroups = self.name == "bubblewrap" and _Cgroup.available()
        return self._cgroups

    def take_uid(self) -> int | None:
        if not self.drops_uid:
            return None
        with self._lock:
            if self._slots is None:
                self._slots = _Slots(self.uid_base)
        return self._slots.take()

    def give_uid(self, uid: int | None) -> None:
        if uid is not None and self._slots is not None:
            self._slots.give(uid)

    def slot(self) -> Slot:
        return Slot(self)

    def shared_sandbox(self, uid: int | None, home: Path, allow: tuple[str, ...]) -> "Sandbox":
        key = (uid, allow)
        with self._lock:
            box = self._shared.get(key)
            if box is not None and box.alive:
                return box
            if box is not None:
                box.close()
        box = Sandbox(self, uid, home, allow, shared=True)
        with self._lock:
            self._shared[key] = box
        return box

    def close(self) -> None:
        """End every long-lived sandbox (the end of a run)."""
        with self._lock:
            boxes, self._shared = list(self._shared.values()), {}
        for box in boxes:
            box.close()


_CHOSEN: dict[tuple[bool, bool], Isolation] = {}
_CHOOSE_LOCK = threading.Lock()


def choose_isolation(untrusted: bool = True, allow_weak: bool = False, limits: Limits = Limits()) -> Isolation:
    """The strongest isolation that works here, checked by importing the stdlib inside it (preflight).

    Fails loudly when the sandbox starts but cannot import what student code needs (a Python under a
    folder the sandbox user cannot read, say), and for untrusted code when only weak isolation works
    and ``allow_weak`` is False.
    """
    forced = os.environ.get("RPC_GRADING_ISOLATION")
    key = (untrusted, allow_weak)
    with _CHOOSE_LOCK:
        if key in _CHOSEN:
            return _CHOSEN[key]
        problems = []
        candidates = ["bubblewrap" if os.geteuid() == 0 else "bubblewrap-user", "process"] \
            if hasattr(os, "geteuid") else ["process"]
        if forced:
            candidates = [forced]
        chosen = None
        for name in candidates:
            if name.startswith("bubblewrap") and not shutil.which("bwrap"):
                problems.append("bubblewrap (bwrap) is not installed")
                continue
            iso = Isolation(name, limits)
            try:
                _preflight(iso)
            except SandboxFault as exc:
                problems.append(f"{name}: {exc}")
                if name == "bubblewrap" and "cannot import" in str(exc):
                    raise ImpersonationError(f"the sandbox starts but student code could not import the "
                                             f"standard library: {exc}") from None
                continue
            chosen = iso
            break
        if chosen is None:
            raise ImpersonationError("no way to run student code works here: " + "; ".join(problems))
        if chosen.name == "process" and untrusted and not allow_weak:
            raise ImpersonationError(
                "refusing to grade untrusted code without a sandbox: bubblewrap is not usable here ("
                + "; ".join(problems) + "). Install bubblewrap (apt-get install bubblewrap) or pass "
                "--allow-weak-isolation to accept a plain child process that can read this machine's files")
        _CHOSEN[key] = chosen
        return chosen


def _preflight(iso: Isolation) -> None:
    from .masters import DEFAULT_ALLOW

    slot = iso.slot()
    try:
        slot.write("preflight_probe", "")
        box = slot.sandbox(DEFAULT_ALLOW)
        box.start(slot.name, "preflight_probe", timeout=20)
        failed = box.request({"op": "preflight", "name": "preflight",
                              "args": [*PREFLIGHT_MODULES, *view_modules(DEFAULT_ALLOW)]}, timeout=20)
        box.stop()
        if failed.get("op") != "ok":
            raise SandboxFault(f"the probe failed: {failed.get('message', failed)}")
        if failed.get("value"):
            raise SandboxFault("cannot import " + "; ".join(map(str, failed["value"]))[:1500])
    except OSError as exc:
        raise SandboxFault(f"could not start ({exc})") from None
    finally:
        slot.close()
        iso.close()


# --- cgroups (optional) -------------------------------------------------------------------------------------
class _Cgroup:
    """A cgroup-v1 memory and pids group per sandbox, where /sys/fs/cgroup is writable."""

    ROOT = Path("/sys/fs/cgroup")

    def __init__(self, name: str, limits: Limits) -> None:
        self.dirs = []
        for controller, settings in (("memory", {"memory.limit_in_bytes": limits.memory_bytes,
                                                 "memory.memsw.limit_in_bytes": None}),
                                     ("pids", {"pids.max": limits.processes * 2})):
            d = self.ROOT / controller / "rpc-grading" / name
            d.mkdir(parents=True, exist_ok=True)
            for key, value in settings.items():
                if value is not None:
                    (d / key).write_text(str(value))
            self.dirs.append(d)

    @classmethod
    def available(cls) -> bool:
        try:
            probe = cls(f"probe-{os.getpid()}", Limits())
            probe.remove()
            return True
        except OSError:
            return False

    def add(self, pid: int) -> None:
        for d in self.dirs:
            (d / "cgroup.procs").write_text(str(pid))

    def remove(self) -> None:
        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except OSError:
                    time.sleep(0.01)


# --- one sandbox ---------------------------------------------------------------------------------------------
class Sandbox:
    """A running zygote (in bubblewrap or not) for one package view; one student process at a time."""

    _count = 0
    _count_lock = threading.Lock()

    def __init__(self, isolation: Isolation, uid: int | None, folder: Path, allow: tuple[str, ...],
                 shared: bool = False) -> None:
        self.isolation, self.uid, self.folder, self.allow, self.shared = isolation, uid, folder, allow, shared
        self.pkg = package_view(allow)
        self.cgroup = None
        self.buffer = self.data_buffer = b""
        self.process = None
        self.closed = False
        with Sandbox._count_lock:
            Sandbox._count += 1
            self.serial = Sandbox._count
        try:
            self._spawn()
        except BaseException:
            self.close()
            raise

    # the bwrap command line -----------------------------------------------------------------------------
    def _bwrap(self, to_grader: int, from_grader: int) -> list[str]:
        """The sandbox's whole file system: the runtime, /dev's null, zero and random, the harness, the
        package view and the student's folder (all read-only) and a /tmp; each student process gets a
        fresh /tmp and, when shared, mounts the current student's folder as /student itself."""
        python, runtime, hidden = _python(), _runtime_mounts(), _site_packages()
        privileged = self.isolation.name == "bubblewrap"
        args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net", "--unshare-ipc",
                "--unshare-uts", "--hostname", "sandbox", "--clearenv", "--setenv", "LANG", "C.UTF-8"]
        if privileged:
            for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_SYS_ADMIN"):
                args += ["--cap-add", cap]
        else:
            args += ["--unshare-user", "--disable-userns"]
        args += ["--ro-bind", "/usr", "/usr"]
        for link in ("lib", "lib64", "bin", "lib32"):
            if os.path.islink(f"/{link}"):
                args += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
            elif os.path.isdir(f"/{link}"):
                args += ["--ro-bind", f"/{link}", f"/{link}"]
        for r in runtime:
            # the folders above it are made traversable here (attack: a Python under /root, mode 700)
            for parent in reversed(Path(r).parents[:-1]):
                args += ["--perms", "0755", "--dir", str(parent)]
            args += ["--ro-bind", r, r]
        for h in hidden:  # the runtime's installed packages are not the student's to import
            args += ["--tmpfs", h]
        args += ["--perms", "0755", "--dir", "/dev"]
        for dev in ("null", "zero", "random", "urandom"):
            args += ["--dev-bind", f"/dev/{dev}", f"/dev/{dev}"]
        args += ["--ro-bind", str(_harness_dir()), "/grader", "--ro-bind", str(self.pkg), "/pkg"]
        if self.shared:
            args += ["--ro-bind", str(self.folder), "/students", "--perms", "0755", "--dir", "/student",
                     "--perms", "0755", "--dir", "/tmp"]
        else:
            args += ["--ro-bind", str(self.folder), "/student", "--size", str(self.isolation.limits.tmp_bytes),
                     "--tmpfs", "/tmp", "--chmod", "1777", "/tmp"]
        args += ["--chdir", "/", "--", python, "-I", "-S", "-B", "/grader/harness.py", str(to_grader),
                 str(from_grader)]
        return args

    def _spawn(self) -> None:
        to_grader_r, to_grader_w = os.pipe()
        from_grader_r, from_grader_w = os.pipe()
        data_in_r, data_in_w = os.pipe()      # requests to the student process
        data_out_r, data_out_w = os.pipe()    # its replies
        kind = self.isolation.name
        limits = self.isolation.limits
        config: dict[str, Any] = {"limits": limits.rlimits(), "uid": self.uid, "output_chars": limits.output_chars,
                                  "recursion": limits.recursion, "tmp_bytes": limits.tmp_bytes,
                                  "preload": view_modules(self.allow), "data": [data_in_r, data_out_w]}
        if kind.startswith("bubblewrap"):
            command = self._bwrap(to_grader_w, from_grader_r)
            config.update(pidns=True, root="/", mount=self.shared)
        else:
            base = Path(tempfile.mkdtemp(prefix="sandbox-", dir=_run_dir()))
            os.chmod(base, 0o711)
            (base / "pkg").symlink_to(self.pkg)
            (base / "student").symlink_to(self.folder)
            (base / "tmp").mkdir()
            if self.uid is not None:
                os.chown(base / "tmp", self.uid, self.uid)
            os.chmod(base / "tmp", 0o700)
            self.base = base
            config.update(root=str(base))
            command = [_python(), "-I", "-S", "-B", str(_harness_dir() / "harness.py"), str(to_grader_w),
                       str(from_grader_r)]
        self.stderr = tempfile.TemporaryFile()
        try:
            self.process = subprocess.Popen(command, pass_fds=(to_grader_w, from_grader_r, data_in_r, data_out_w),
                                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.stderr,
                                            close_fds=True, start_new_session=True)
        finally:
            for fd in (to_grader_w, from_grader_r, data_in_r, data_out_w):
                os.close(fd)
        self.reader, self.writer = to_grader_r, from_grader_w
        self.data_reader, self.data_writer = data_out_r, data_in_w
        os.set_blocking(self.data_writer, False)
        if self.isolation.cgroups:
            try:
                self.cgroup = _Cgroup(f"{os.getpid()}-{self.serial}", self.isolation.limits)
                self.cgroup.add(self.process.pid)
            except OSError:
                self.cgroup = None
        self._send(config)
        hello = self._receive(timeout=30)
        if hello.get("op") != "zygote":
            raise SandboxFault(f"the sandbox did not start: {self._stderr()}", kind="sandbox")

    def _stderr(self) -> str:
        try:
            self.stderr.seek(0)
            return self.stderr.read(2000).decode("utf-8", "replace").strip() or "no message"
        except (OSError, ValueError):
            return "no message"

    # frames ---------------------------------------------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        """A control frame to the zygote."""
        data = json.dumps(message, separators=(",", ":")).encode("utf-8")
        try:
            view = memoryview(_HEADER.pack(len(data)) + data)
            while view:
                view = view[os.write(self.writer, view):]
        except OSError:
            raise SandboxFault("the sandbox is gone", kind="sandbox") from None

    def _send_data(self, message: dict[str, Any], deadline: float) -> None:
        """A frame to the student process (never blocks past the deadline if it stops reading)."""
        data = json.dumps(message, separators=(",", ":")).encode("utf-8")
        view = memoryview(_HEADER.pack(len(data)) + data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [self.data_writer], [], left)[1]:
                raise SandboxFault("the student's process does not read its requests", kind="timeout")
            try:
                view = view[os.write(self.data_writer, view):]
            except BlockingIOError:
                continue
            except OSError:
                raise SandboxFault("the sandbox is gone", kind="sandbox") from None

    @staticmethod
    def _take(buffer: bytes, control: bool) -> tuple[bytes | None, bytes]:
        """(one complete frame or None, the rest)."""
        if len(buffer) < 4:
            return None, buffer
        (size,) = _HEADER.unpack(buffer[:4])
        if size > MAX_FRAME:
            raise SandboxFault(f"a reply of {size} bytes (at most {MAX_FRAME} are accepted)",
                               kind="sandbox" if control else "protocol")
        if len(buffer) < 4 + size:
            return None, buffer
        return buffer[4:4 + size], buffer[4 + size:]

    def _wait(self, timeout: float, data: bool) -> tuple[str, dict[str, Any]]:
        """The next frame: ("data", frame) from the student process if ``data``, else/or ("control", frame)."""
        if self.closed:
            raise SandboxFault("the sandbox is closed", kind="sandbox")
        deadline = time.monotonic() + timeout
        while True:
            if data:
                frame, self.data_buffer = self._take(self.data_buffer, control=False)
                if frame is not None:
                    return "data", decode_frame(frame)
            try:
                frame, self.buffer = self._take(self.buffer, control=True)
            except SandboxFault:
                self.close()  # the control stream cannot be read past this
                raise
            if frame is not None:
                return "control", decode_frame(frame)
            left = deadline - time.monotonic()
            if left <= 0:
                raise SandboxFault("no answer in time", kind="timeout")
            ready, _, _ = select.select([self.reader, self.data_reader] if data else [self.reader], [], [], left)
            if self.reader in ready:
                chunk = os.read(self.reader, 65536)
                if not chunk:
                    raise SandboxFault(f"the sandbox ended ({self._stderr()})", kind="sandbox")
                self.buffer += chunk
            if self.data_reader in ready:
                chunk = os.read(self.data_reader, 65536)
                if not chunk:
                    raise SandboxFault("the sandbox ended", kind="sandbox")
                self.data_buffer += chunk
                if len(self.data_buffer) > 4 * MAX_FRAME:
                    raise SandboxFault("a reply larger than the grader accepts", kind="protocol")

    def _receive(self, timeout: float) -> dict[str, Any]:
        return self._wait(timeout, data=False)[1]

    def _drop_data(self) -> None:
        """Throw away what an ended student process (and everything it started, now gone) left unread."""
        self.data_buffer = b""
        while select.select([self.data_reader], [], [], 0)[0]:
            if not os.read(self.data_reader, 65536):
                break

    # the runner's API ---------------------------------------------------------------------------------------
    def start(self, student: str, module: str, timeout: float) -> dict[str, Any]:
        """Start a fresh student process for ``module`` of ``student`` (a folder name of the slot);
        its first frame (ready or import error), or the zygote's word that it ended."""
        self._drop_data()
        self._send({"op": "start", "student": student, "module": module, "allow": list(self.allow)})
        return self._wait(timeout, data=True)[1]

    def request(self, message: dict[str, Any], timeout: float, callback=None) -> dict[str, Any]:
        """Send a request to the student process; answer its callbacks; its final frame (or "ended")."""
        deadline = time.monotonic() + timeout
        self._send_data(message, deadline)
        while True:
            channel, reply = self._wait(max(0.0, deadline - time.monotonic()), data=True)
            if channel == "control" or reply["op"] != "callback":
                return reply
            if callback is None:
                raise SandboxFault("a callback the grader did not offer")
            self._send_data({"op": "answer", "value": callback(reply["name"], reply["args"])}, deadline)

    def stop(self, timeout: float = 5.0) -> None:
        """End the student process and everything it started; wait until the sandbox says it is done."""
        self._send({"op": "stop"})
        deadline = time.monotonic() + timeout
        while True:  # an "ended" of the process being stopped may come first
            if self._receive(max(0.0, deadline - time.monotonic()))["op"] == "stopped":
                break
        self._drop_data()

    @property
    def alive(self) -> bool:
        return not self.closed and self.process is not None and self.process.poll() is None

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.process is not None:
            try:
                self._send({"op": "exit"})
            except SandboxFault:
                pass
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for fd in ("reader", "writer", "data_reader", "data_writer"):
            if hasattr(self, fd):
                try:
                    os.close(getattr(self, fd))
                except OSError:
                    pass
        if self.cgroup is not None:
            self.cgroup.remove()
        if hasattr(self, "base"):
            shutil.rmtree(self.base, ignore_errors=True)
        if hasattr(self, "stderr"):
            self.stderr.close()
