# Hidden tests run in a process of their own and everything they leave is killed... but the kernel
# keeps a keyring per uid (the "user keyring", KEY_SPEC_USER_KEYRING), outside every namespace bubblewrap
# makes. Each call stores its arguments there; any later process of the same worker uid (this
# student's next exercise, or the next run) prints them in its *visible* output.
import ctypes

_libc = ctypes.CDLL(None, use_errno=True)
_ADD_KEY, _KEYCTL = 248, 250           # x86_64 syscall numbers
_USER_KEYRING, _SEARCH, _READ = -4, 10, 11


def _load():
    key = _libc.syscall(_KEYCTL, _SEARCH, _USER_KEYRING, b"user", b"red-leak", 0)
    if key < 0:
        return ""
    buf = ctypes.create_string_buffer(8192)
    n = _libc.syscall(_KEYCTL, _READ, key, buf, 8192)
    return buf.raw[:max(n, 0)].decode(errors="replace")


def _store(text):
    data = text.encode()[:4000]
    _libc.syscall(_ADD_KEY, b"user", b"red-leak", data, len(data), _USER_KEYRING)


print("smuggled in:", _load())


def can_do(level, capability, placement):
    _store(_load() + f"|{level},{capability},{placement}")
    return LEVELS.index(level) >= 2


LEVELS = ("anonymous", "identify", "impersonate", "delegate")
