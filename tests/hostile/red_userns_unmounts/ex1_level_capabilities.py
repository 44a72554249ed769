# Creates a user namespace (allowed for the slot uid inside the root sandbox), gains CAP_SYS_ADMIN in
# it, makes a mount namespace and tries to lift the mounts that hide the other students' folders and
# the shared /tmp, and to mount a /proc. Returns what it found, so a test can assert nothing showed up.
import ctypes
import os

LEVELS = ("anonymous", "identify", "impersonate", "delegate")


def can_do(level, capability, placement):
    libc = ctypes.CDLL(None, use_errno=True)
    found = {"unshare": libc.unshare(0x10000000 | 0x00020000) == 0}   # CLONE_NEWUSER | CLONE_NEWNS
    for where in (b"/students", b"/tmp", b"/student"):
        libc.umount2(where, 2)                                          # MNT_DETACH
        found[where.decode()] = sorted(os.listdir(where.decode()))
    os.makedirs("/tmp/p", exist_ok=True)
    found["proc mounted"] = libc.mount(b"proc", b"/tmp/p", b"proc", 0, None) == 0
    found["ptrace init"] = libc.ptrace(16, 1, 0, 0) == 0                # PTRACE_ATTACH
    return found
