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
import queue
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

__all__ = ["Limits", "Isolation", "Sandbox", "SandboxFault", "choose_isolation", "View", "MAX_FRAME",
           "decode_frame"]

MAX_FRAME = 256 * 1024
MAX_DEPTH = 64
_HEADER = struct.Struct(">I")
_PACKAGE = Path(__file__).resolve().parent.parent
_HARNESS = Path(__file__).resolve().parent / "harness.py"
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
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(rb"[\[\]{}]")
_OPS = {"zygote": {"pid": int}, "ready": {"output": str}, "import error": {"message": str, "output": str},
        "ok": {"output": str}, "error": {"kind": str, "message": str, "output": str},
        "callback": {"name": str, "args": list}, "ended": {}, "stopped": {}, "fault": {"message": str}}


def decode_frame(data: bytes) -> dict[str, Any]:
    """A frame from the sandbox as a checked dict; SandboxFault for anything else (never a crash)."""
    if len(data) > MAX_FRAME:
        raise SandboxFault(f"a reply of {len(data)} bytes (at most {MAX_FRAME} are accepted)")
    depth = deepest = 0
    for b in _BRACKETS.findall(_STRING.sub(b"", data)):
        depth += 1 if b in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise SandboxFault(f"a reply nested {deepest} levels deep (at most {MAX_DEPTH} are accepted)")
    try:
        message = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise SandboxFault(f"an unreadable reply ({type(exc).__name__}: {str(exc)[:200]})") from None
    if not isinstance(message, dict) or message.get("op") not in _OPS:
        raise SandboxFault("a reply that is not one the grader asked for")
    for key, kind in _OPS[message["op"]].items():
        if not isinstance(message.get(key, kind()), kind):
            raise SandboxFault(f"a reply whose field {key!r} is not a {kind.__name__}")
    return message


# --- package views ----------------------------------------------------------------------------------------
def _imports_of(path: Path) -> set[str]:
    """Package modules a module imports at its top level (not inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
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
    """The view's rpc_impersonation/__init__.py: the real one's re-exports from modules in the view only."""
    tree = ast.parse((_PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    kept, refused = [], {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            names = [a.name for a in node.names]
            if f"rpc_impersonation.{node.module}" in modules:
                kept.append(f"from .{node.module} import {', '.join(names)}")
            else:
                refused.update({n: f"rpc_impersonation.{node.module}" for n in names})
    return ('"""The package as this exercise sees it: only the modules it allows (generated by the grader)."""\n'
            + "\n".join(kept) + f"\n\n_NOT_HERE = {refused!r}\n\n\n"
            "def __getattr__(name):\n"
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
    if not (folder / "harness.py").exists():
        folder.mkdir(exist_ok=True)
        shutil.copy2(_HARNESS, folder / "harness.py")
        os.chmod(folder, 0o755)
        os.chmod(folder / "harness.py", 0o644)
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
    """One exercise view: the student's module and the package modules it may import."""

    name: str            # e.g. ex1-v
    module: str          # the student's module name
    allow: tuple[str, ...]
    source_file: Path    # the student's file on the host


class _Slots:
    """Worker slots: each running sandbox has its own unprivileged uid (rlimits count per uid)."""

    def __init__(self, base: int, count: int = 64) -> None:
        self.free: queue.SimpleQueue[int] = queue.SimpleQueue()
        for i in range(count):
            self.free.put(base + i)

    def take(self) -> int:
        return self.free.get(timeout=600)

    def give(self, uid: int) -> None:
        self.free.put(uid)


@dataclass
class Isolation:
    name: str                      # bubblewrap, bubblewrap-user, process
    limits: Limits = field(default_factory=Limits)
    uid_base: int = int(os.environ.get("RPC_GRADING_UID_BASE", "61000"))
    _slots: _Slots | None = field(default=None, repr=False)
    _cgroups: bool | None = field(default=None, repr=False)

    @property
    def views_per_sandbox(self) -> bool:
        """Whether one sandbox can hold every view of a submission (each child chroots into its own)."""
        return self.name == "bubblewrap"

    @property
    def drops_uid(self) -> bool:
        return hasattr(os, "geteuid") and os.geteuid() == 0

    def describe(self) -> str:
        if self.name == "bubblewrap":
            memory = "cgroup memory and process caps" if self.cgroups else "rlimits only (no writable cgroups)"
            return ("bubblewrap sandbox (namespaces: pid, net, ipc, uts; only the Python runtime, the allowed "
                    f"modules and the student's file, read-only; unprivileged uid per worker; {memory})")
        if self.name == "bubblewrap-user":
            return ("bubblewrap sandbox in a user namespace (pid, net, ipc namespaces; only the runtime, the allowed "
                    "modules and the student's file; student code runs as the grader's own uid)")
        return ("WEAK: a plain child process with rlimits" + (" and an unprivileged uid" if self.drops_uid else "")
                + "; it can read the host's files")

    @property
    def cgroups(self) -> bool:
        if self._cgroups is None:
            self._cgroups = self.name == "bubblewrap" and _Cgroup.available()
        return self._cgroups

    def slot(self) -> int | None:
        if not self.drops_uid:
            return None
        if self._slots is None:
            self._slots = _Slots(self.uid_base)
        return self._slots.take()

    def release(self, uid: int | None) -> None:
        if uid is not None and self._slots is not None:
            self._slots.give(uid)

    def launch(self, views: list[View]) -> "Sandbox":
        return Sandbox(self, views)


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
    probe = _run_dir() / "preflight"
    probe.mkdir(exist_ok=True)
    (probe / "preflight_probe.py").write_text("", encoding="utf-8")
    os.chmod(probe / "preflight_probe.py", 0o644)
    from .masters import DEFAULT_ALLOW

    view = View("preflight", "preflight_probe", DEFAULT_ALLOW, probe / "preflight_probe.py")
    try:
        box = iso.launch([view])
    except OSError as exc:
        raise SandboxFault(f"could not start ({exc})") from None
    try:
        box.start(view, timeout=20)
        failed = box.request({"op": "preflight", "name": "preflight",
                              "args": [*PREFLIGHT_MODULES, *view_modules(DEFAULT_ALLOW)]}, timeout=20)
        if failed.get("op") != "ok":
            raise SandboxFault(f"the probe failed: {failed.get('message', failed)}")
        if failed.get("value"):
            raise SandboxFault("cannot import " + "; ".join(map(str, failed["value"]))[:1500])
    finally:
        box.close()


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
    """A running zygote (in bubblewrap or not) holding ``views``; one student process at a time."""

    _count = 0
    _count_lock = threading.Lock()

    def __init__(self, isolation: Isolation, views: list[View]) -> None:
        self.isolation, self.views = isolation, {v.name: v for v in views}
        self.uid = isolation.slot()
        self.cgroup = None
        self.buffer = b""
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
    def _root_of(self, view: View) -> str:
        if self.isolation.name.startswith("bubblewrap"):
            return f"/v/{view.name}"
        return str(self.host_roots[view.name])

    def _bwrap(self, to_grader: int, from_grader: int) -> list[str]:
        python = _python()
        runtime = _runtime_mounts()
        hidden = _site_packages()
        privileged = self.isolation.name == "bubblewrap"
        args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net", "--unshare-ipc",
                "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox", "--clearenv",
                "--setenv", "LANG", "C.UTF-8"]
        if privileged:
            for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_SYS_ADMIN"):
                args += ["--cap-add", cap]
        else:
            args += ["--unshare-user", "--disable-userns"]

        def system(prefix: str) -> list[str]:
            out = ["--ro-bind", "/usr", f"{prefix}/usr"]
            for link in ("lib", "lib64", "bin", "lib32"):
                target = os.readlink(f"/{link}") if os.path.islink(f"/{link}") else None
                if target:
                    out += ["--symlink", target, f"{prefix}/{link}"]
                elif os.path.isdir(f"/{link}"):
                    out += ["--ro-bind", f"/{link}", f"{prefix}/{link}"]
            for r in runtime:
                # the folders above it are made traversable here (attack: a Python under /root, mode 700)
                for parent in reversed(Path(r).parents[:-1]):
                    out += ["--perms", "0755", "--dir", f"{prefix}{parent}"]
                out += ["--ro-bind", r, f"{prefix}{r}"]
            for h in hidden:  # the runtime's installed packages are not the student's to import
                if not h.startswith("/usr/") or True:
                    out += ["--tmpfs", f"{prefix}{h}"]
            return out

        args += system("")
        args += ["--ro-bind", str(_harness_dir()), "/grader"]
        args += ["--perms", "0755", "--dir", "/v"]
        for view in self.views.values():
            root = f"/v/{view.name}"
            for d in (root, f"{root}/student", f"{root}/pkg", f"{root}/tmp"):
                args += ["--perms", "0755", "--dir", d]
            if privileged:
                args += system(root)
                args += ["--dev", f"{root}/dev"]
            args += ["--ro-bind", str(package_view(view.allow)), f"{root}/pkg",
                     "--ro-bind", str(view.source_file), f"{root}/student/{view.module}.py",
                     "--size", str(self.isolation.limits.tmp_bytes), "--tmpfs", f"{root}/tmp"]
            if privileged:
                args += ["--chmod", "1777", f"{root}/tmp"]
        args += ["--chdir", "/", "--", python, "-I", "-S", "-B", "/grader/harness.py", str(to_grader),
                 str(from_grader)]
        return args

    def _spawn(self) -> None:
        to_grader_r, to_grader_w = os.pipe()
        from_grader_r, from_grader_w = os.pipe()
        kind = self.isolation.name
        config: dict[str, Any] = {"limits": self.isolation.limits.rlimits(), "uid": self.uid,
                                  "output_chars": self.isolation.limits.output_chars,
                                  "recursion": self.isolation.limits.recursion}
        if kind.startswith("bubblewrap"):
            command = self._bwrap(to_grader_w, from_grader_r)
            config.update(pidns=True, chroot=kind == "bubblewrap", namespaces=kind == "bubblewrap")
        else:
            self.host_roots = {}
            base = Path(tempfile.mkdtemp(prefix="sandbox-", dir=_run_dir()))
            os.chmod(base, 0o711)
            for view in self.views.values():
                root = base / view.name
                (root / "student").mkdir(parents=True)
                shutil.copy2(view.source_file, root / "student" / f"{view.module}.py")
                (root / "pkg").symlink_to(package_view(view.allow))
                (root / "tmp").mkdir()
                if self.uid is not None:
                    os.chown(root / "tmp", self.uid, self.uid)
                os.chmod(root / "tmp", 0o700)
                self.host_roots[view.name] = root
            self.base = base
            command = [_python(), "-I", "-S", "-B", str(_harness_dir() / "harness.py"), str(to_grader_w),
                       str(from_grader_r)]
        self.stderr = tempfile.TemporaryFile()
        try:
            self.process = subprocess.Popen(command, pass_fds=(to_grader_w, from_grader_r), stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=self.stderr, close_fds=True,
                                            start_new_session=True)
        finally:
            os.close(to_grader_w)
            os.close(from_grader_r)
        self.reader, self.writer = to_grader_r, from_grader_w
        if self.isolation.cgroups:
            try:
                self.cgroup = _Cgroup(f"{os.getpid()}-{self.serial}", self.isolation.limits)
                self.cgroup.add(self.process.pid)
            except OSError:
                self.cgroup = None
        self._send(config)
        hello = self._receive(timeout=20)
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
        data = json.dumps(message, separators=(",", ":")).encode("utf-8")
        try:
            view = memoryview(_HEADER.pack(len(data)) + data)
            while view:
                view = view[os.write(self.writer, view):]
        except OSError:
            raise SandboxFault("the sandbox is gone", kind="sandbox") from None

    def _receive(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buffer) >= 4:
                (size,) = _HEADER.unpack(self.buffer[:4])
                if size > MAX_FRAME:
                    raise SandboxFault(f"a reply of {size} bytes (at most {MAX_FRAME} are accepted)")
                if len(self.buffer) >= 4 + size:
                    data, self.buffer = self.buffer[4:4 + size], self.buffer[4 + size:]
                    return decode_frame(data)
            left = deadline - time.monotonic()
            if left <= 0:
                raise SandboxFault("no answer in time", kind="timeout")
            ready, _, _ = select.select([self.reader], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.reader, 65536)
            if not chunk:
                raise SandboxFault(f"the sandbox ended ({self._stderr()})", kind="sandbox")
            self.buffer += chunk

    # the runner's API ---------------------------------------------------------------------------------------
    def start(self, view: View, timeout: float) -> dict[str, Any]:
        """Start a fresh student process in ``view``; its first frame (ready or import error)."""
        self._send({"op": "start", "root": self._root_of(view), "module": view.module, "allow": list(view.allow)})
        return self._receive(timeout)

    def request(self, message: dict[str, Any], timeout: float, callback=None) -> dict[str, Any]:
        """Send a request to the student process; answer its callbacks; its final frame."""
        self._send(message)
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(max(0.0, deadline - time.monotonic()))
            if reply["op"] != "callback":
                return reply
            if callback is None:
                raise SandboxFault("a callback the grader did not offer")
            self._send({"op": "answer", "value": callback(reply["name"], reply["args"])})

    def stop(self, timeout: float = 5.0) -> None:
        """End the student process and everything it started; wait until the sandbox says it is done."""
        self._send({"op": "stop"})
        deadline = time.monotonic() + timeout
        while True:  # skip what the student's process wrote before it was stopped
            try:
                reply = self._receive(max(0.0, deadline - time.monotonic()))
            except SandboxFault as exc:
                if exc.kind != "protocol":
                    raise
                continue
            if reply["op"] == "stopped":
                return

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
        for fd in ("reader", "writer"):
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
        self.isolation.release(self.uid)
