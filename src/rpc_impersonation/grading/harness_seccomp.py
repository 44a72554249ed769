"""The student process's system-call filter (classic BPF, x86_64): standard library only.

Part of the harness (copied into the sandbox beside ``harness.py``).

Namespaces do not cover the kernel's keyrings (per uid: a hidden test could leave its inputs there
for a later visible one), nor stop a process from making namespaces, tracing, BPF or io_uring of
its own. A classic-BPF seccomp filter, installed last before the student's code runs, answers
these calls with EPERM (clone3 with ENOSYS, so the C library falls back to clone, whose flags can be
checked). Written by hand: the sandbox holds only the standard library.
"""

import sys

__all__ = ["DENIED_SYSCALLS", "seccomp_program", "install_seccomp"]

_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_BIT = 0x40000000
#: x86_64 numbers of the system calls a student's code never needs
DENIED_SYSCALLS = {
    "ptrace": 101,
    "mount": 165,
    "umount2": 166,
    "pivot_root": 155,
    "add_key": 248,
    "request_key": 249,
    "keyctl": 250,
    "unshare": 272,
    "perf_event_open": 298,
    "setns": 308,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "bpf": 321,
    "userfaultfd": 323,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsmount": 432,
}
_CLONE, _CLONE3 = 56, 435
#: clone() flags that make namespaces (CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET)
_CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000


def seccomp_program():
    """The filter as packed ``struct sock_filter`` entries and their count (x86_64), or None elsewhere."""
    import platform
    import struct

    if not sys.platform.startswith("linux") or platform.machine() != "x86_64":
        return None
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06  # BPF_LD|W|ABS, BPF_JMP|{JEQ,JGE,JSET}|K, BPF_RET|K
    allow, eperm, enosys = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
    denied = sorted(DENIED_SYSCALLS.values())
    base = 5  # the first "jeq denied call"
    body = base + len(denied) + 2  # "ret allow" after the clone3 and clone tests
    flags_at, eperm_at, enosys_at = body + 1, body + 4, body + 5

    def to(target, at):  # a jump's offset counts from the next instruction
        return target - at - 1

    prog = [
        (ld, 0, 0, 4),  # 0: A = arch
        (jeq, 1, 0, _AUDIT_ARCH_X86_64),  # 1: x86_64 goes on to 3
        (ret, 0, 0, eperm),  # 2: another ABI (int 0x80): refused
        (ld, 0, 0, 0),  # 3: A = the call's number
        (jge, to(eperm_at, 4), 0, _X32_BIT),
    ]  # 4: the x32 ABI: refused
    for i, nr in enumerate(denied):
        prog.append((jeq, to(eperm_at, base + i), 0, nr))
    prog.append((jeq, to(enosys_at, body - 2), 0, _CLONE3))
    prog.append((jeq, to(flags_at, body - 1), 0, _CLONE))
    prog += [
        (ret, 0, 0, allow),  # body
        (ld, 0, 0, 16),  # flags_at: A = low word of clone's flags
        (jset, 1, 0, _CLONE_NAMESPACES),
        (ret, 0, 0, allow),
        (ret, 0, 0, eperm),  # eperm_at
        (ret, 0, 0, enosys),
    ]  # enosys_at
    assert len(prog) == enosys_at + 1
    return b"".join(struct.pack("=HBBI", *f) for f in prog), len(prog)


def install_seccomp(made=None, libc=None):
    """Install the filter on this process and all it starts (no_new_privs first, as the kernel requires)."""
    import ctypes

    made = made or seccomp_program()
    if made is None:
        return False
    code, count = made
    libc = libc or ctypes.CDLL(None, use_errno=True)

    class _Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    buffer = ctypes.create_string_buffer(code, len(code))
    prog = _Prog(count, ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "no_new_privs")
    if libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise OSError(ctypes.get_errno(), "seccomp filter")
    return True
