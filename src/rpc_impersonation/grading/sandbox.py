"""Where student code runs, and how strongly it is kept apart (see docs/grading.md, "Isolation").

Isolation levels, strongest first (``choose_isolation`` picks one, checks it and says which):

* ``bubblewrap`` (the grader runs as root, as on CI and Gradescope): one long-lived ``bwrap`` per
  worker slot and *package view* (the modules an exercise allows), with its own PID, network, IPC
  and UTS namespaces and nothing of the host but ``/usr``, the Python runtime, the harness and the
  view, read-only. Its zygote forks one process per view of a submission (runner.py), which takes
  mount and IPC namespaces of its own, mounts only the current student's folder and a fresh
  size-capped ``/tmp``, sets its rlimits, drops to the slot's own unprivileged uid and installs a
  seccomp filter before the student's modules are imported. Memory and process counts are also
  capped per sandbox with cgroups where they are writable.
* ``bubblewrap-user`` (not root, unprivileged user namespaces available): a sandbox per slot, view
  and submission; the student's code runs as the grader's own uid inside the namespaces.
* ``process`` (no bubblewrap): a plain child process with rlimits, the package view and
  ``python -I -S``; the host's files are visible to it. Refused for untrusted code unless the
  instructor allows it explicitly; the students' self-check uses it when nothing better exists.
"""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ImpersonationError
from .frames import MAX_DEPTH, MAX_FRAME, SandboxFault, decode_frame
from .sandbox_files import run_dir, view_modules
from .sandbox_process import Limits, Sandbox, _Cgroup

__all__ = [
    "Limits",
    "Isolation",
    "Sandbox",
    "SandboxFault",
    "choose_isolation",
    "View",
    "Slot",
    "MAX_FRAME",
    "MAX_DEPTH",
    "decode_frame",
]

#: Standard-library modules a student's code may reasonably use: the preflight imports them all.
PREFLIGHT_MODULES = (
    "json",
    "re",
    "math",
    "itertools",
    "functools",
    "collections",
    "dataclasses",
    "enum",
    "typing",
    "string",
    "textwrap",
    "copy",
    "operator",
    "decimal",
    "fractions",
    "random",
    "statistics",
    "datetime",
    "abc",
    "contextlib",
    "heapq",
    "bisect",
    "types",
    "traceback",
    "importlib.util",
    "ctypes",
    "resource",
)


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

    def __init__(self, isolation: Isolation) -> None:
        self.isolation = isolation
        self.uid = isolation.take_uid()
        with Slot._lock:
            Slot._serial += 1
            self.name = f"s{Slot._serial}"
        home = run_dir() / "slots" / (str(self.uid) if self.uid is not None else f"own-{self.name}")
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

    def sandbox(self, allow: tuple[str, ...]) -> Sandbox:
        self.isolation._check_running()
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
    name: str  # bubblewrap, bubblewrap-user, process
    limits: Limits = field(default_factory=Limits)
    uid_base: int = int(os.environ.get("RPC_GRADING_UID_BASE", "61000"))
    _slots: _Slots | None = field(default=None, repr=False)
    _cgroups: bool | None = field(default=None, repr=False)
    _shared: dict[tuple[int | None, tuple[str, ...]], Sandbox] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    halted: bool = field(default=False, repr=False)

    def halt(self) -> None:
        """The run is being interrupted: no new slot or sandbox from now on (a worker still finishing a
        student gets a SandboxFault instead of starting processes and folders nobody will clean up)."""
        self.halted = True

    def _check_running(self) -> None:
        if self.halted:
            raise SandboxFault("grading was interrupted", kind="sandbox")

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
            return (
                "bubblewrap sandbox (namespaces: pid, net, ipc, uts, mount; only the Python runtime, the allowed "
                f"modules and the student's own files, read-only; unprivileged uid per worker; seccomp filter; "
                f"{memory})"
            )
        if self.name == "bubblewrap-user":
            return (
                "bubblewrap sandbox in a user namespace (pid, net, ipc, mount namespaces; only the runtime, the "
                "allowed modules and the student's files; student code runs as the grader's own uid)"
            )
        return (
            "WEAK: a plain child process with rlimits"
            + (" and an unprivileged uid" if self.drops_uid else "")
            + "; it can read the host's files"
        )

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
        self._check_running()
        return Slot(self)

    def shared_sandbox(self, uid: int | None, home: Path, allow: tuple[str, ...]) -> Sandbox:
        self._check_running()
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
            if _CHOSEN[key].halted:  # an interrupted run's: a fresh one of the same kind (its preflight held)
                old = _CHOSEN[key]
                _CHOSEN[key] = Isolation(old.name, old.limits, old.uid_base)
            return _CHOSEN[key]
        problems = []
        candidates = (
            ["bubblewrap" if os.geteuid() == 0 else "bubblewrap-user", "process"]
            if hasattr(os, "geteuid")
            else ["process"]
        )
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
                    raise ImpersonationError(
                        f"the sandbox starts but student code could not import the standard library: {exc}"
                    ) from None
                continue
            chosen = iso
            break
        if chosen is None:
            raise ImpersonationError("no way to run student code works here: " + "; ".join(problems))
        if chosen.name == "process" and untrusted and not allow_weak:
            raise ImpersonationError(
                "refusing to grade untrusted code without a sandbox: bubblewrap is not usable here ("
                + "; ".join(problems)
                + "). Install bubblewrap (apt-get install bubblewrap) or pass "
                "--allow-weak-isolation to accept a plain child process that can read this machine's files"
            )
        _CHOSEN[key] = chosen
        return chosen


def _preflight(iso: Isolation) -> None:
    from .masters import DEFAULT_ALLOW

    slot = iso.slot()
    try:
        slot.write("preflight_probe", "")
        box = slot.sandbox(DEFAULT_ALLOW)
        box.start(slot.name, timeout=20)
        box.request({"op": "import", "module": "preflight_probe"}, timeout=20)
        failed = box.request(
            {
                "op": "preflight",
                "name": "preflight",
                "module": "preflight_probe",
                "args": [*PREFLIGHT_MODULES, *view_modules(DEFAULT_ALLOW)],
            },
            timeout=20,
        )
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
