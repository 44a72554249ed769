"""The trusted side of the sandbox: a standard-library-only script, run as ``python -I -S harness.py``.

The grader copies it into the sandbox (and borrows only its error wording). It starts as a small
*zygote* that imports the package modules the sandbox's view allows, never student code. For each
student process the grader starts (one serves the exercises of a submission that share this view),
the zygote forks a process which (with the rights for it) enters mount and IPC namespaces of its
own, mounts the current student's folder and a fresh ``/tmp``, sets its limits, drops to the slot's
unprivileged uid and only then imports the student's modules, each when the grader asks. After that
process ends, the zygote kills every process left in the sandbox.

Frames: 4-byte big-endian length, then UTF-8 JSON, on two channels. Control (grader <-> zygote):
``start``, ``stop``, ``exit`` in; ``zygote``, ``ended``, ``stopped``, ``fault`` out. Data (grader <->
the current student process, fds 3 and 4, straight through): ``import``, ``call``, ``drive`` (each
naming the student's module), ``batch`` (several of them, one reply each, in order), ``answer`` in;
``ready``, ``import error``, ``ok``, ``error``, ``callback`` out. The zygote never reads the data
channel; it ends every process before it says ``ended`` or ``stopped``, so the grader can then throw
away whatever is left on it, and it empties the requests before each new process.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import select
import signal
import struct
import sys
import types

MAX_FRAME = 256 * 1024
_HEADER = struct.Struct(">I")
#: the harness's other files, copied beside this one (see :func:`_sibling`)
PARTS = ("harness_wording", "harness_seccomp", "harness_drive", "harness_student", "harness_ending")


def _sibling(name):
    """One of :data:`PARTS`, loaded from this file's folder: run as ``python -I``, that folder is not on
    sys.path (and stays off it, so the student's code finds nothing of the harness by importing)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        name, os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py")
    )
    if spec is None or spec.loader is None:  # a path ending in .py always has one
        raise ImportError(f"no loader for {name}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_wording, _seccomp, _drive, _student, _ending = (_sibling(name) for name in PARTS)
_plain, _short, _describe = _wording.plain, _wording.short, _wording.describe
DENIED_SYSCALLS, seccomp_program, install_seccomp = (
    _seccomp.DENIED_SYSCALLS,
    _seccomp.seccomp_program,
    _seccomp.install_seccomp,
)


# --- frames -----------------------------------------------------------------------------------------------
def write_frame(fd, message):
    data = json.dumps(message, separators=(",", ":")).encode("utf-8")
    if len(data) > MAX_FRAME:
        data = json.dumps(
            {
                "op": "error",
                "kind": "too large",
                "message": f"the reply is {len(data)} bytes; at most {MAX_FRAME} are accepted",
                "output": "",
            }
        ).encode()
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exact(fd, n):
    parts = []
    while n:
        chunk = os.read(fd, n)
        if not chunk:
            raise EOFError
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def read_frame(fd):
    (size,) = _HEADER.unpack(_read_exact(fd, 4))
    if size > MAX_FRAME:
        raise ValueError(f"frame of {size} bytes")
    return json.loads(_read_exact(fd, size))


# --- the zygote -------------------------------------------------------------------------------------------
def zygote(to_grader, from_grader, config):
    """Start, watch and end student processes; they talk to the grader over the data pipes directly."""
    data_in, data_out = config["data"]  # requests from the grader, replies to it: every child's fds 3 and 4
    child = None  # (pid, pidfd or None)
    in_pidns = config.get("pidns", False) and os.getpid() <= 3

    def end_child():
        nonlocal child
        status = _ending.end_child(child, config, in_pidns) if child is not None else None
        child = None
        return status

    while True:
        watch = [from_grader] + ([child[1]] if child is not None and child[1] is not None else [])
        ready, _, _ = select.select(watch, [], [], None if child is None or child[1] is not None else 0.05)
        if child is not None and (
            (child[1] is not None and child[1] in ready) or (child[1] is None and _ending.exited(child[0]))
        ):
            status = end_child()
            write_frame(to_grader, {"op": "ended", "status": status})
            continue
        if from_grader not in ready:
            continue
        try:
            message = read_frame(from_grader)
        except (EOFError, OSError, ValueError):
            end_child()
            return
        op = message.get("op")
        if op == "exit":
            end_child()
            return
        if op == "stop":
            end_child()
            write_frame(to_grader, {"op": "stopped"})
        elif op == "start":
            end_child()
            _ending.drain(data_in)  # what the grader sent to an earlier process is not for this one
            child = _fork_child(message, config, (to_grader, from_grader), data_in, data_out)
        else:
            write_frame(to_grader, {"op": "fault", "message": f"unknown control request {op!r}"})


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _fork_child(message, config, grader_fds, data_in, data_out):
    # the zygote's objects to the permanent generation: a collection in the student process then never
    # touches (and copies) their pages (a full collection there cost ~13 ms of CPU, ~1 ms frozen)
    gc.freeze()
    pid = os.fork()
    if pid == 0:
        try:
            child_main(message, config, data_in, data_out, grader_fds)
        except BaseException as exc:  # noqa: BLE001 - the child never returns into the zygote's loop
            if _SETUP_DONE[0] is False:  # the sandbox itself failed: tell the grader why
                try:
                    write_frame(
                        data_out if _SETUP_DONE[1] is None else _SETUP_DONE[1],
                        {
                            "op": "fault",
                            "message": f"setting up the student's process: {type(exc).__name__}: {exc}"[:1500],
                        },
                    )
                except BaseException:  # noqa: BLE001
                    pass
        os._exit(70)
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    return pid, pidfd


# --- the child --------------------------------------------------------------------------------------------
_SETUP_DONE: list[bool | int | None] = [False, None]  # [student code may have run, the reply fd after setup]


class _Prepared:
    """Made once in the zygote, inherited by every student process: building the filter imports ``platform``
    and loads libc (5-6 ms of each process's ~9 ms start when done in the child)."""

    libc: ctypes.CDLL  # set by _prepare, before any student process starts
    seccomp: tuple[bytes, int] | None = None  # the packed filter and its length (None: no filter)


_PREPARED = _Prepared()


def _prepare(config):
    _PREPARED.libc = ctypes.CDLL(None, use_errno=True)
    _PREPARED.seccomp = seccomp_program() if config.get("seccomp", True) else None


def _setup(message, config, request, reply, grader_fds):
    """Enter the view and give up every right; nothing of the student's has run yet."""
    for fd in grader_fds:
        os.close(fd)
    root = config["root"]
    if config.get("mount"):
        # a sandbox that serves student after student: this process gets mount and IPC namespaces of its
        # own, mounts only the current student's folder as /student, a fresh /tmp, and hides the rest
        libc = _PREPARED.libc

        def check(result, what):
            if result != 0:
                raise OSError(ctypes.get_errno(), what)

        student = message["student"]
        if not student.isalnum():
            raise ValueError(student)
        check(libc.unshare(0x00020000 | 0x08000000), "unshare")  # CLONE_NEWNS | CLONE_NEWIPC
        check(libc.mount(None, b"/", None, 0x4000 | 0x40000, None), "private mounts")  # MS_REC | MS_PRIVATE
        check(libc.mount(f"/students/{student}".encode(), b"/student", None, 0x1000, None), "student")  # MS_BIND
        check(libc.mount(None, b"/student", None, 0x1000 | 0x20 | 0x1 | 0x2 | 0x4 | 0x8, None), "read-only")
        for hide in (b"/students", b"/tmp"):
            size = int(config.get("tmp_bytes", 16 << 20)) if hide == b"/tmp" else 4096
            check(
                libc.mount(
                    b"tmpfs",
                    hide,
                    b"tmpfs",
                    0x2 | 0x4 | 0x8,  # MS_NOSUID | MS_NODEV | MS_NOEXEC
                    f"size={size},mode={'1777' if hide == b'/tmp' else '0755'}".encode(),
                ),
                "tmpfs",
            )
    work = os.path.join(root, "tmp")
    os.chdir(work)
    # fds: 0 and 1 and 2 lead nowhere, 3 = requests, 4 = replies, nothing else stays open
    import fcntl

    null = os.open(
        os.path.join(root, "dev", "null") if os.path.exists(os.path.join(root, "dev", "null")) else os.devnull,
        os.O_RDWR,
    )
    # out of the way of 0-4 first, whatever numbers they had, so no dup2 below clobbers another
    null, request, reply = (fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in (null, request, reply))
    os.dup2(request, 3)
    os.dup2(reply, 4)
    for std in (0, 1, 2):
        os.dup2(null, std)
    os.closerange(5, 65536)
    _SETUP_DONE[1] = 4
    seccomp = _PREPARED.seccomp
    uid = config.get("uid")
    limits = dict(config.get("limits", {}))
    if uid is None:
        limits.pop("RLIMIT_NPROC", None)  # counted per uid: without a uid of its own it would count the grader's
    _limits(limits)
    if uid is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        if os.geteuid() == 0 or os.getuid() == 0:
            raise OSError("still root")
    os.environ.clear()
    os.environ.update({"HOME": work, "TMPDIR": work, "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"})
    if seccomp is not None:
        install_seccomp(seccomp, _PREPARED.libc)
    return root


def _limits(limits):
    import resource

    for name, value in limits.items():
        which = getattr(resource, name, None)
        if which is not None and value is not None:
            try:
                resource.setrlimit(which, (value, value))
            except (ValueError, OSError):
                soft, hard = resource.getrlimit(which)
                if hard == resource.RLIM_INFINITY or value <= hard:
                    resource.setrlimit(which, (value, hard))


def child_main(message, config, request, reply, grader_fds):
    root = _setup(message, config, request, reply, grader_fds)
    _SETUP_DONE[0] = True
    captured = _student.Capped(int(config.get("output_chars", 4000)))
    sys.stdout = sys.stderr = captured
    sys.stdin = open(os.devnull) if os.path.exists(os.devnull) else None
    sys.setrecursionlimit(int(config.get("recursion", 3000)))
    sys.path[:0] = [os.path.join(root, "student")]
    sys.meta_path.append(_student.NotAllowed(tuple(message.get("allow", ()))))
    send, receive = _channel(captured, 3, 4)
    modules: dict[str, types.ModuleType | None] = {}  # the student's modules imported so far (None: its import failed)
    send(op="ready", output="")
    while True:
        try:
            req = receive()
        except (EOFError, OSError, ValueError):
            return
        batch = req.get("requests") if req.get("op") == "batch" else [req]
        for one in batch if isinstance(batch, list) else []:  # one reply each, in order
            _serve(one if isinstance(one, dict) else {}, modules, root, send, receive, captured)


def _serve(req, modules, root, send, receive, captured):
    """One request: ``import`` a module of the student's (``ok`` or ``import error``), or a call or drive
    into one already imported; exactly one reply."""
    name = req.get("module")
    if not isinstance(name, str) or not name.isidentifier():
        send(op="error", kind="protocol", message="a request without a module", output="")
    elif req.get("op") == "import":
        if name in modules:
            send(op="error", kind="protocol", message=f"{name} is imported already", output="")
            return
        modules[name] = _import_student(os.path.join(root, "student", name + ".py"), name, send, captured)
        if modules[name] is not None:
            send(op="ok", value=None, output=captured.take())
    elif modules.get(name) is None:
        send(op="error", kind="protocol", message=f"{name} is not imported", output="")
    else:
        _answer(req, modules[name], name, send, receive, captured)


def _channel(captured, request, reply):
    """send(**fields) and receive() on the data channel, with json's functions taken before student code runs
    (it may replace them)."""
    dumps, loads = json.dumps, json.loads

    def send(**fields):
        try:
            data = dumps(fields, default=_plain, separators=(",", ":")).encode("utf-8")
        except (TypeError, ValueError, RecursionError) as exc:
            data = dumps(
                {
                    "op": "error",
                    "kind": "wrong type",
                    "message": f"returned a value that is not plain data ({str(exc)[:300]})",
                    "output": captured.take(),
                }
            ).encode()
        if len(data) > MAX_FRAME:
            data = dumps(
                {
                    "op": "error",
                    "kind": "too large",
                    "message": f"returned a value of {len(data)} bytes as JSON; at most {MAX_FRAME} are accepted",
                    "output": captured.take(),
                }
            ).encode()
        _write_all(reply, _HEADER.pack(len(data)) + data)

    def receive():
        (size,) = _HEADER.unpack(_read_exact(request, 4))
        return loads(_read_exact(request, size))

    return send, receive


def _import_student(path, module_name, send, captured):
    """The student's module, or None after an ``import error`` reply."""
    import importlib.util

    try:
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:  # a path ending in .py always has one
            raise ImportError(f"no loader for {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    except SystemExit as exc:
        send(
            op="import error",
            message=f"the module called sys.exit({_short(exc.code)}) while being imported",
            output=captured.take(),
        )
        return None
    except BaseException as exc:  # noqa: BLE001 - every failure of student code is reported, none escapes
        send(op="import error", message=_describe(exc), output=captured.take())
        return None
    return module


def _answer(req, module, module_name, send, receive, captured):
    """Run one request against the student's module and send exactly one reply."""
    name = req.get("name", "")
    drivers = _drive.DRIVERS
    try:
        if req.get("op") == "call":
            fn = getattr(module, name, None)
            if fn is None or not callable(fn):
                send(
                    op="error",
                    kind="missing",
                    message=f"function {name}() is missing from {module_name}.py",
                    output=captured.take(),
                )
                return
            value = fn(*req.get("args", []))
        elif req.get("op") == "drive" and name in drivers:
            value = drivers[name](module, req.get("args", []), send, receive)
        elif req.get("op") == "preflight":
            value = preflight(req.get("args", []))  # the grader's own probe (preflight_probe.py is empty)
        else:
            send(op="error", kind="protocol", message=f"unknown request {req.get('op')!r}", output="")
            return
        send(op="ok", value=value, output=captured.take())
    except NotImplementedError:
        send(op="error", kind="not implemented", message=f"{name} is not implemented yet", output=captured.take())
    except SystemExit as exc:
        send(op="error", kind="exit", message=f"your code called sys.exit({_short(exc.code)})", output=captured.take())
    except RecursionError:
        send(
            op="error",
            kind="recursion",
            message="your code recursed too deeply (RecursionError)",
            output=captured.take(),
        )
    except MemoryError:
        send(
            op="error",
            kind="memory",
            message="your code ran out of memory (over the sandbox's limit)",
            output=captured.take(),
        )
    except BaseException as exc:  # noqa: BLE001
        send(op="error", kind="exception", message=_describe(exc), output=captured.take())


# --- entry point ------------------------------------------------------------------------------------------
def preflight(modules):
    """Import what student code needs; report what fails."""
    failed = []
    for name in modules:
        try:
            __import__(name)
        except BaseException as exc:  # noqa: BLE001
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
    return failed


def main():
    # what the child's own code needs, loaded before it may lose the right to read the runtime
    # (all standard library, nothing of the package: what a student may import is decided by the view)
    import collections  # noqa: F401
    import dataclasses  # noqa: F401
    import enum  # noqa: F401
    import fcntl  # noqa: F401
    import functools  # noqa: F401
    import importlib.util  # noqa: F401
    import itertools  # noqa: F401
    import re  # noqa: F401
    import resource  # noqa: F401
    import traceback  # noqa: F401
    import typing  # noqa: F401

    to_grader, from_grader = int(sys.argv[1]), int(sys.argv[2])
    config = read_frame(from_grader)
    _prepare(config)
    # the package modules this view allows, imported once here so each student process starts with them
    sys.path.insert(0, os.path.join(config["root"], "pkg"))
    for name in config.get("preload", ()):
        try:
            __import__(name)
        except Exception:  # noqa: BLE001 - the student's own import will report it
            pass
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    write_frame(to_grader, {"op": "zygote", "pid": os.getpid()})
    zygote(to_grader, from_grader, config)


if __name__ == "__main__":
    main()
