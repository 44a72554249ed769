"""The trusted side of the sandbox: a standard-library-only script, run as ``python -I -S harness.py``.

The grader copies it into the sandbox (and borrows only its error wording). It starts as a small
*zygote* that imports the package modules the sandbox's view allows, never student code. For each
exercise part the grader starts, the zygote forks a student process which (with the rights for it)
enters mount and IPC namespaces of its own, mounts the current student's folder and a fresh
``/tmp``, sets its limits, drops to the slot's unprivileged uid and only then imports the student's
module. After that process ends, the zygote kills every process left in the sandbox.

Frames: 4-byte big-endian length, then UTF-8 JSON, on two channels. Control (grader <-> zygote):
``start``, ``stop``, ``exit`` in; ``zygote``, ``ended``, ``stopped``, ``fault`` out. Data (grader <->
the current student process, fds 3 and 4, straight through): ``call``, ``drive``, ``answer`` in;
``ready``, ``import error``, ``ok``, ``error``, ``callback`` out. The zygote never reads the data
channel; it ends every process before it says ``ended`` or ``stopped``, so the grader can then throw
away whatever is left on it, and it empties the requests before each new process.
"""

import json
import os
import select
import signal
import struct
import sys

MAX_FRAME = 256 * 1024
_HEADER = struct.Struct(">I")


# --- frames -----------------------------------------------------------------------------------------------
def write_frame(fd, message):
    data = json.dumps(message, separators=(",", ":")).encode("utf-8")
    if len(data) > MAX_FRAME:
        data = json.dumps({"op": "error", "kind": "too large",
                           "message": f"the reply is {len(data)} bytes; at most {MAX_FRAME} are accepted",
                           "output": ""}).encode()
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


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
    data_in, data_out = config["data"]   # requests from the grader, replies to it: every child's fds 3 and 4
    child = None                         # (pid, pidfd or None)
    in_pidns = config.get("pidns", False) and os.getpid() <= 3

    def reap():
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    def clear_leftovers():
        if in_pidns:
            # every process of the sandbox but its init and this one, again until none is left (a fork
            # bomb keeps forking while it is being killed)
            for _ in range(400):
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    break
                reap()
                select.select([], [], [], 0.0025)
        elif config.get("uid") is not None:
            _kill_uid(config["uid"])
        reap()

    def end_child():
        nonlocal child
        status = None
        if child is not None:
            pid, pidfd = child
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                _, raw = os.waitpid(pid, 0)
                status = os.waitstatus_to_exitcode(raw)
            except ChildProcessError:
                pass
            if pidfd is not None:
                os.close(pidfd)
            child = None
            clear_leftovers()
        return status

    def drain_requests():
        while select.select([data_in], [], [], 0)[0]:
            if not os.read(data_in, 65536):
                return

    while True:
        watch = [from_grader] + ([child[1]] if child is not None and child[1] is not None else [])
        ready, _, _ = select.select(watch, [], [], None if child is None or child[1] is not None else 0.05)
        if child is not None and ((child[1] is not None and child[1] in ready) or
                                  (child[1] is None and _exited(child[0]))):
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
            drain_requests()  # what the grader sent to an earlier process is not for this one
            child = _fork_child(message, config, (to_grader, from_grader), data_in, data_out)
        else:
            write_frame(to_grader, {"op": "fault", "message": f"unknown control request {op!r}"})


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _exited(pid):
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    if done:
        # put the status back for end_child: we cannot, so remember it was reaped
        return True
    return False


def _kill_uid(uid):
    """Without a PID namespace (weak isolation): kill every process of the slot's uid."""
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return
    for pid in pids:
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid and pid != os.getpid():
                os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _fork_child(message, config, grader_fds, data_in, data_out):
    pid = os.fork()
    if pid == 0:
        try:
            child_main(message, config, data_in, data_out, grader_fds)
        except BaseException as exc:  # noqa: BLE001 - the child never returns into the zygote's loop
            if _SETUP_DONE[0] is False:  # the sandbox itself failed: tell the grader why
                try:
                    write_frame(data_out if _SETUP_DONE[1] is None else _SETUP_DONE[1],
                                {"op": "fault", "message": f"setting up the student's process: "
                                                           f"{type(exc).__name__}: {exc}"[:1500]})
                except BaseException:  # noqa: BLE001
                    pass
        os._exit(70)
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    return pid, pidfd


# --- the child --------------------------------------------------------------------------------------------
_SETUP_DONE = [False, None]   # [student code may have run, the reply fd after setup]

def _setup(message, config, request, reply, grader_fds):
    """Enter the view and give up every right; nothing of the student's has run yet."""
    for fd in grader_fds:
        os.close(fd)
    root = config["root"]
    if config.get("mount"):
        # a sandbox that serves student after student: this process gets mount and IPC namespaces of its
        # own, mounts only the current student's folder as /student, a fresh /tmp, and hides the rest
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)

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
            check(libc.mount(b"tmpfs", hide, b"tmpfs", 0x2 | 0x4 | 0x8,  # MS_NOSUID | MS_NODEV | MS_NOEXEC
                             f"size={size},mode={'1777' if hide == b'/tmp' else '0755'}".encode()), "tmpfs")
    work = os.path.join(root, "tmp")
    os.chdir(work)
    # fds: 0 and 1 and 2 lead nowhere, 3 = requests, 4 = replies, nothing else stays open
    import fcntl

    null = os.open(os.path.join(root, "dev", "null") if os.path.exists(os.path.join(root, "dev", "null"))
                   else os.devnull, os.O_RDWR)
    # out of the way of 0-4 first, whatever numbers they had, so no dup2 below clobbers another
    null, request, reply = (fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in (null, request, reply))
    os.dup2(request, 3)
    os.dup2(reply, 4)
    for std in (0, 1, 2):
        os.dup2(null, std)
    os.closerange(5, 65536)
    _SETUP_DONE[1] = 4
    # built (ctypes, platform imported) while the runtime is surely readable, installed last
    seccomp = seccomp_program() if config.get("seccomp", True) else None
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
        install_seccomp(seccomp)
    return root


# --- the system-call filter -----------------------------------------------------------------------------
# Namespaces do not cover the kernel's keyrings (per uid: a hidden test could leave its inputs there
# for a later visible one), nor stop a process from making namespaces, tracing, BPF or io_uring of
# its own. A classic-BPF seccomp filter, installed last before the student's code runs, answers
# these calls with EPERM (clone3 with ENOSYS, so the C library falls back to clone, whose flags can be
# checked). Written by hand: the sandbox holds only the standard library.
_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_BIT = 0x40000000
#: x86_64 numbers of the system calls a student's code never needs
DENIED_SYSCALLS = {"ptrace": 101, "mount": 165, "umount2": 166, "pivot_root": 155, "add_key": 248,
                   "request_key": 249, "keyctl": 250, "unshare": 272, "perf_event_open": 298, "setns": 308,
                   "process_vm_readv": 310, "process_vm_writev": 311, "bpf": 321, "userfaultfd": 323,
                   "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
                   "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsmount": 432}
_CLONE, _CLONE3 = 56, 435
#: clone() flags that make namespaces (CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET)
_CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000


def seccomp_program():
    """The filter as packed ``struct sock_filter`` entries and their count (x86_64), or None elsewhere."""
    import platform
    import struct

    if not sys.platform.startswith("linux") or platform.machine() != "x86_64":
        return None
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06      # BPF_LD|W|ABS, BPF_JMP|{JEQ,JGE,JSET}|K, BPF_RET|K
    allow, eperm, enosys = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
    denied = sorted(DENIED_SYSCALLS.values())
    base = 5                                   # the first "jeq denied call"
    body = base + len(denied) + 2              # "ret allow" after the clone3 and clone tests
    flags_at, eperm_at, enosys_at = body + 1, body + 4, body + 5

    def to(target, at):                        # a jump's offset counts from the next instruction
        return target - at - 1

    prog = [(ld, 0, 0, 4),                                     # 0: A = arch
            (jeq, 1, 0, _AUDIT_ARCH_X86_64),                   # 1: x86_64 goes on to 3
            (ret, 0, 0, eperm),                                # 2: another ABI (int 0x80): refused
            (ld, 0, 0, 0),                                     # 3: A = the call's number
            (jge, to(eperm_at, 4), 0, _X32_BIT)]               # 4: the x32 ABI: refused
    for i, nr in enumerate(denied):
        prog.append((jeq, to(eperm_at, base + i), 0, nr))
    prog.append((jeq, to(enosys_at, body - 2), 0, _CLONE3))
    prog.append((jeq, to(flags_at, body - 1), 0, _CLONE))
    prog += [(ret, 0, 0, allow),                               # body
             (ld, 0, 0, 16),                                   # flags_at: A = low word of clone's flags
             (jset, 1, 0, _CLONE_NAMESPACES),
             (ret, 0, 0, allow),
             (ret, 0, 0, eperm),                               # eperm_at
             (ret, 0, 0, enosys)]                              # enosys_at
    assert len(prog) == enosys_at + 1
    return b"".join(struct.pack("=HBBI", *f) for f in prog), len(prog)


def install_seccomp(made=None):
    """Install the filter on this process and all it starts (no_new_privs first, as the kernel requires)."""
    import ctypes

    made = made or seccomp_program()
    if made is None:
        return False
    code, count = made
    libc = ctypes.CDLL(None, use_errno=True)

    class _Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    buffer = ctypes.create_string_buffer(code, len(code))
    prog = _Prog(count, ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "no_new_privs")
    if libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise OSError(ctypes.get_errno(), "seccomp filter")
    return True


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


class _Capped:
    def __init__(self, limit):
        self.limit, self.parts, self.size, self.dropped = limit, [], 0, 0
        self.encoding, self.errors = "utf-8", "strict"

    def write(self, s):
        s = str(s)
        if self.size < self.limit:
            keep = s[: self.limit - self.size]
            self.parts.append(keep)
            self.size += len(keep)
            self.dropped += len(s) - len(keep)
        else:
            self.dropped += len(s)
        return len(s)

    def flush(self):
        pass

    def isatty(self):
        return False

    def take(self):
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n[... {self.dropped} more characters of output dropped]"
        self.parts, self.size, self.dropped = [], 0, 0
        return text


class _NotAllowed:
    """Last on sys.meta_path: a clear message for a package module the view does not hold.

    Only the message: what can be imported is decided by what the view holds."""

    def __init__(self, allowed):
        self.allowed = allowed

    def find_spec(self, name, path=None, target=None):
        if name == "rpc_impersonation" or name.startswith("rpc_impersonation."):
            raise ModuleNotFoundError(
                f"{name} is not allowed in this exercise; your code may import only "
                f"{', '.join(self.allowed) or 'nothing'} from rpc_impersonation (and the standard library)",
                name=name)
        return None


def _plain(value):
    import enum

    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) if not isinstance(v, (str, int, float, bool)) else v for v in value)
    raise TypeError(f"{type(value).__name__} is not plain data (use str, int, float, bool, None, list, dict)")


def child_main(message, config, request, reply, grader_fds):
    root = _setup(message, config, request, reply, grader_fds)
    request, reply = 3, 4
    _SETUP_DONE[0] = True
    captured = _Capped(int(config.get("output_chars", 4000)))
    sys.stdout = sys.stderr = captured
    sys.stdin = open(os.devnull) if os.path.exists(os.devnull) else None
    sys.setrecursionlimit(int(config.get("recursion", 3000)))
    module_name = message["module"]
    sys.path[:0] = [os.path.join(root, "student")]
    sys.meta_path.append(_NotAllowed(tuple(message.get("allow", ()))))
    dumps, loads = json.dumps, json.loads   # the student's code may replace json's; these stay ours

    def send(**fields):
        try:
            data = dumps(fields, default=_plain, separators=(",", ":")).encode("utf-8")
        except (TypeError, ValueError, RecursionError) as exc:
            data = dumps({"op": "error", "kind": "wrong type", "message":
                          f"returned a value that is not plain data ({str(exc)[:300]})",
                          "output": captured.take()}).encode()
        if len(data) > MAX_FRAME:
            data = dumps({"op": "error", "kind": "too large", "message":
                          f"returned a value of {len(data)} bytes as JSON; at most {MAX_FRAME} are accepted",
                          "output": captured.take()}).encode()
        _write_all(reply, _HEADER.pack(len(data)) + data)

    def receive():
        (size,) = _HEADER.unpack(_read_exact(request, 4))
        return loads(_read_exact(request, size))

    import importlib.util

    path = os.path.join(root, "student", module_name + ".py")
    try:
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    except SystemExit as exc:
        send(op="import error", message=f"the module called sys.exit({_short(exc.code)}) while being imported",
             output=captured.take())
        return
    except BaseException as exc:  # noqa: BLE001 - every failure of student code is reported, none escapes
        send(op="import error", message=_describe(exc), output=captured.take())
        return
    send(op="ready", output=captured.take())
    drivers = {"handler": _drive_handler, "trace": _drive_trace}
    while True:
        try:
            req = receive()
        except (EOFError, OSError, ValueError):
            return
        name = req.get("name", "")
        try:
            if req.get("op") == "call":
                fn = getattr(module, name, None)
                if fn is None or not callable(fn):
                    send(op="error", kind="missing", message=f"function {name}() is missing from {module_name}.py",
                         output=captured.take())
                    continue
                value = fn(*req.get("args", []))
            elif req.get("op") == "drive" and name in drivers:
                value = drivers[name](module, req.get("args", []), send, receive)
            elif req.get("op") == "preflight":
                value = preflight(req.get("args", []))
            else:
                send(op="error", kind="protocol", message=f"unknown request {req.get('op')!r}", output="")
                continue
            send(op="ok", value=value, output=captured.take())
        except NotImplementedError:
            send(op="error", kind="not implemented", message=f"{name} is not implemented yet", output=captured.take())
        except SystemExit as exc:
            send(op="error", kind="exit", message=f"your code called sys.exit({_short(exc.code)})",
                 output=captured.take())
        except RecursionError:
            send(op="error", kind="recursion", message="your code recursed too deeply (RecursionError)",
                 output=captured.take())
        except MemoryError:
            send(op="error", kind="memory", message="your code ran out of memory (over the sandbox's limit)",
                 output=captured.take())
        except BaseException as exc:  # noqa: BLE001
            send(op="error", kind="exception", message=_describe(exc), output=captured.take())


def _short(value, limit=200):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _describe(exc):
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
class _Result:
    """What an API call returns to the student's handler (built from the grader's plain answer)."""

    def __init__(self, answer):
        answer = answer if isinstance(answer, dict) else {}
        self.ok = bool(answer.get("ok", False))
        self.code = answer.get("code", -1)
        self.code_name = str(answer.get("code_name", ""))
        self.sentence = str(answer.get("sentence", ""))

    def __repr__(self):
        return f"Result(ok={self.ok}, code_name={self.code_name!r})"


class _ThreadProxy:
    """The server thread as the handler sees it: each call is done by the grader, on its own engine."""

    call_handle = "call"

    def __init__(self, ask):
        self._ask = ask

    def rpc_impersonate_client(self, handle=0):
        return _Result(self._ask("rpc_impersonate_client", ["call" if handle == "call" else str(handle)]))

    def rpc_revert_to_self(self):
        return _Result(self._ask("rpc_revert_to_self", []))

    def rpc_revert_to_self_ex(self, handle=0):
        return _Result(self._ask("rpc_revert_to_self_ex", ["call" if handle == "call" else str(handle)]))

    def open(self, resource, right="read"):
        return _Result(self._ask("open", [str(resource)[:200], str(right)[:50]]))

    def access_check(self, resource, right="read"):
        return _Result(self._ask("access_check", [str(resource)[:200], str(right)[:50]]))


def _drive_handler(module, args, send, receive):
    handler = getattr(module, "handle_request", None)
    if handler is None:
        raise AttributeError("function handle_request() is missing")

    def ask(name, call_args):
        send(op="callback", name=name, args=call_args)
        answer = receive()
        if answer.get("op") != "answer":
            raise RuntimeError("the grader ended the call")
        return answer.get("value")
    return handler(_ThreadProxy(ask))


_WORLDS = {}


def _drive_trace(module, args, send, receive):
    fn = getattr(module, "trace", None)
    if fn is None:
        raise AttributeError("function trace() is missing")
    spec = args[0]
    from rpc_impersonation.binding import Binding

    key = json.dumps([spec.get("name"), spec["world"]], sort_keys=True)
    if key not in _WORLDS:  # one world per scenario, as the grader's own (its derived answers stay warm)
        _WORLDS[key] = _build_world(spec)
    hops = [(server, Binding.of(**binding)) for server, binding in spec["hops"]]
    return fn(_WORLDS[key], spec["client"], hops)


def _build_world(spec):
    from rpc_impersonation.world import World

    node = spec["world"]
    world = World(node.get("domain", "CORP"), name=spec.get("name", "world"))
    for d in node.get("domains", []):
        world.domain(**d)
    for g in node.get("groups", []):
        world.group(g)
    for key, add in (("machines", world.machine), ("accounts", world.account), ("processes", world.process),
                     ("resources", world.resource)):
        for item in node.get(key, []):
            add(**item)
    world.validate()
    return world


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
    import ctypes  # noqa: F401
    import dataclasses  # noqa: F401
    import fcntl  # noqa: F401
    import enum  # noqa: F401
    import functools  # noqa: F401
    import importlib.util  # noqa: F401
    import itertools  # noqa: F401
    import re  # noqa: F401
    import resource  # noqa: F401
    import traceback  # noqa: F401
    import typing  # noqa: F401

    to_grader, from_grader = int(sys.argv[1]), int(sys.argv[2])
    config = read_frame(from_grader)
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
