"""One running sandbox: the bubblewrap (or plain) process that runs the harness's zygote, its limits,
its optional cgroup, and the frames to and from it and the student process it starts."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from . import sandbox_files as files
from .frames import HEADER, MAX_FRAME, SandboxFault, decode_frame

__all__ = ["Limits", "Sandbox", "Host"]

#: what a student process may send; "ended", "stopped" and "zygote" are the zygote's word alone (on the
#: control pipe), and "fault" on the data pipe only as a new process's first frame (its setup failed)
_DATA_OPS = frozenset({"ready", "import error", "ok", "error", "callback"})


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 1024 * 1024 * 1024  # per process (RLIMIT_AS) and, with cgroups, per sandbox
    processes: int = 48  # processes and threads of one worker slot's uid
    file_bytes: int = 4 * 1024 * 1024  # largest file the student's code may write
    tmp_bytes: int = 16 * 1024 * 1024  # size of each view's private /tmp
    open_files: int = 64
    cpu_seconds: int = 120  # backstop; the grader's wall-clock limits come first
    output_chars: int = 4000  # of what the student's code prints, per view
    recursion: int = 3000

    def rlimits(self) -> dict[str, int]:
        return {
            "RLIMIT_AS": self.memory_bytes,
            "RLIMIT_NPROC": self.processes,
            "RLIMIT_FSIZE": self.file_bytes,
            "RLIMIT_NOFILE": self.open_files,
            "RLIMIT_CPU": self.cpu_seconds,
            "RLIMIT_CORE": 0,
            "RLIMIT_MEMLOCK": 0,
            "RLIMIT_MSGQUEUE": 0,
        }


class Host(Protocol):
    """What a sandbox reads of the isolation that starts it (:class:`rpc_impersonation.grading.sandbox.Isolation`)."""

    name: str
    limits: Limits

    @property
    def cgroups(self) -> bool: ...


# --- cgroups (optional) -------------------------------------------------------------------------------------
class _Cgroup:
    """A cgroup-v1 memory and pids group per sandbox, where /sys/fs/cgroup is writable."""

    ROOT = Path("/sys/fs/cgroup")

    def __init__(self, name: str, limits: Limits) -> None:
        self.dirs = []
        for controller, settings in (
            ("memory", {"memory.limit_in_bytes": limits.memory_bytes, "memory.memsw.limit_in_bytes": None}),
            ("pids", {"pids.max": limits.processes * 2}),
        ):
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

    def __init__(
        self, isolation: Host, uid: int | None, folder: Path, allow: tuple[str, ...], shared: bool = False
    ) -> None:
        self.isolation, self.uid, self.folder, self.allow, self.shared = isolation, uid, folder, allow, shared
        self.pkg = files.package_view(allow)
        self.cgroup: _Cgroup | None = None
        self.buffer = self.data_buffer = b""
        self.process: subprocess.Popen[bytes] | None = None
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
        python, runtime, hidden = files.python(), files.runtime_mounts(), files.site_packages()
        privileged = self.isolation.name == "bubblewrap"
        args = [
            "bwrap",
            "--die-with-parent",
            "--new-session",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-ipc",
            "--unshare-uts",
            "--hostname",
            "sandbox",
            "--clearenv",
            "--setenv",
            "LANG",
            "C.UTF-8",
        ]
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
        args += ["--ro-bind", str(files.harness_dir()), "/grader", "--ro-bind", str(self.pkg), "/pkg"]
        if self.shared:
            args += [
                "--ro-bind",
                str(self.folder),
                "/students",
                "--perms",
                "0755",
                "--dir",
                "/student",
                "--perms",
                "0755",
                "--dir",
                "/tmp",
            ]
        else:
            args += [
                "--ro-bind",
                str(self.folder),
                "/student",
                "--size",
                str(self.isolation.limits.tmp_bytes),
                "--tmpfs",
                "/tmp",
                "--chmod",
                "1777",
                "/tmp",
            ]
        args += ["--chdir", "/", "--", python, "-I", "-S", "-B", "/grader/harness.py", str(to_grader), str(from_grader)]
        return args

    def _spawn(self) -> None:
        to_grader_r, to_grader_w = os.pipe()
        from_grader_r, from_grader_w = os.pipe()
        data_in_r, data_in_w = os.pipe()  # requests to the student process
        data_out_r, data_out_w = os.pipe()  # its replies
        kind = self.isolation.name
        limits = self.isolation.limits
        config: dict[str, Any] = {
            "limits": limits.rlimits(),
            "uid": self.uid,
            "output_chars": limits.output_chars,
            "recursion": limits.recursion,
            "tmp_bytes": limits.tmp_bytes,
            "preload": files.view_modules(self.allow),
            "data": [data_in_r, data_out_w],
        }
        if kind.startswith("bubblewrap"):
            command = self._bwrap(to_grader_w, from_grader_r)
            config.update(pidns=True, root="/", mount=self.shared)
        else:
            base = Path(tempfile.mkdtemp(prefix="sandbox-", dir=files.run_dir()))
            os.chmod(base, 0o711)
            (base / "pkg").symlink_to(self.pkg)
            (base / "student").symlink_to(self.folder)
            (base / "tmp").mkdir()
            if self.uid is not None:
                os.chown(base / "tmp", self.uid, self.uid)
            os.chmod(base / "tmp", 0o700)
            self.base = base
            config.update(root=str(base))
            command = [
                files.python(),
                "-I",
                "-S",
                "-B",
                str(files.harness_dir() / "harness.py"),
                str(to_grader_w),
                str(from_grader_r),
            ]
        self.stderr = tempfile.TemporaryFile()
        try:
            self.process = subprocess.Popen(
                command,
                pass_fds=(to_grader_w, from_grader_r, data_in_r, data_out_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self.stderr,
                close_fds=True,
                start_new_session=True,
            )
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
            view = memoryview(HEADER.pack(len(data)) + data)
            while view:
                view = view[os.write(self.writer, view) :]
        except OSError:
            raise SandboxFault("the sandbox is gone", kind="sandbox") from None

    def _send_data(self, message: dict[str, Any], deadline: float) -> None:
        """A frame to the student process (never blocks past the deadline if it stops reading)."""
        data = json.dumps(message, separators=(",", ":")).encode("utf-8")
        view = memoryview(HEADER.pack(len(data)) + data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [self.data_writer], [], left)[1]:
                raise SandboxFault("the student's process does not read its requests", kind="timeout")
            try:
                view = view[os.write(self.data_writer, view) :]
            except BlockingIOError:
                continue
            except OSError:
                raise SandboxFault("the sandbox is gone", kind="sandbox") from None

    @staticmethod
    def _take(buffer: bytes, control: bool) -> tuple[bytes | None, bytes]:
        """(one complete frame or None, the rest)."""
        if len(buffer) < 4:
            return None, buffer
        (size,) = HEADER.unpack(buffer[:4])
        if size > MAX_FRAME:
            raise SandboxFault(
                f"a reply of {size} bytes (at most {MAX_FRAME} are accepted)", kind="sandbox" if control else "protocol"
            )
        if len(buffer) < 4 + size:
            return None, buffer
        return buffer[4 : 4 + size], buffer[4 + size :]

    def _wait(self, timeout: float, data: bool, first: bool = False) -> tuple[str, dict[str, Any]]:
        """The next frame: ("data", frame) from the student process if ``data``, else/or ("control", frame).
        A data frame that only the zygote may send is refused (``first``: a setup fault is the exception)."""
        if self.closed:
            raise SandboxFault("the sandbox is closed", kind="sandbox")
        deadline = time.monotonic() + timeout
        while True:
            if data:
                frame, self.data_buffer = self._take(self.data_buffer, control=False)
                if frame is not None:
                    message = decode_frame(frame)
                    if message["op"] not in _DATA_OPS and not (first and message["op"] == "fault"):
                        raise SandboxFault(f"a frame {message['op']!r}, which only the sandbox itself may send")
                    return "data", message
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
    def start(self, student: str, timeout: float) -> dict[str, Any]:
        """Start a fresh process for ``student`` (a folder name of the slot), which imports the student's
        modules when asked (``{"op": "import", "module": ...}``); its first frame (ready), or the zygote's
        word that it ended."""
        self._drop_data()
        self._send({"op": "start", "student": student, "allow": list(self.allow)})
        return self._wait(timeout, data=True, first=True)[1]

    def request(self, message: dict[str, Any], timeout: float, callback=None) -> dict[str, Any]:
        """Send a request to the student process; answer its callbacks; its final frame (or "ended")."""
        deadline = time.monotonic() + timeout
        self._send_data(message, deadline)
        while True:
            reply = self.reply(max(0.0, deadline - time.monotonic()))
            if reply["op"] != "callback":
                return reply
            if callback is None:
                raise SandboxFault("a callback the grader did not offer")
            self._send_data({"op": "answer", "value": callback(reply["name"], reply["args"])}, deadline)

    def send_batch(self, requests: list[dict[str, Any]], timeout: float) -> None:
        """Several requests at once (calls, and drives that make no callback): the student process answers
        them one after the other, one frame each (read them with :meth:`reply`); no round trip per request."""
        self._send_data({"op": "batch", "requests": requests}, time.monotonic() + timeout)

    def reply(self, timeout: float) -> dict[str, Any]:
        """The student process's next frame, or the zygote's word that it ended."""
        return self._wait(timeout, data=True)[1]

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
