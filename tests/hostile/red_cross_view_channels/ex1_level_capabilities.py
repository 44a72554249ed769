# HELD: right answers; on its last hidden call (8 visible + 32 hidden distinct questions) it leaves the
# hidden inputs it was given everywhere a later student process might look: a file in /tmp, an abstract
# unix socket served by a process of its own, the kernel keyring, and frames on the reply pipe. The next
# view's exercise (ex5_least_privilege.py here) or the next classmate in the same sandbox looks for them.
import json
import os
import socket
import struct

LEVELS = ("anonymous", "identify", "impersonate", "delegate")
LAST_CALL = 40
seen = []


def right(level, capability, placement):
    rank = LEVELS.index(level)
    if capability in ("learn the identity", "check an ACL"):
        return rank >= 1 or placement == "remote"
    if capability == "open a local resource":
        return rank >= 2
    if capability == "reach another machine":
        return rank >= 3 or (rank == 2 and placement == "local")
    return rank >= 3


def _leave(text):
    data = text.encode()
    try:
        with open("/tmp/red-hidden-leak", "w") as f:
            f.write(text)
    except OSError:
        pass
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.syscall(248, b"user", b"red-hidden-leak", data, len(data), -4)  # add_key to @u
    except Exception:
        pass
    if os.fork() == 0:  # a server that outlives this process if nothing ends it
        try:
            os.setsid()
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.bind("\0red-hidden-leak")
            server.listen(8)
            while True:
                conn, _ = server.accept()
                conn.sendall(data)
                conn.close()
        finally:
            os._exit(0)
    frame = json.dumps({"op": "import error", "message": "SMUGGLED " + text, "output": ""}).encode()
    os.write(4, (struct.pack(">I", len(frame)) + frame) * 4)


def can_do(level, capability, placement):
    seen.append(level)
    if len(seen) == LAST_CALL:
        _leave(" ".join(seen))
    return right(level, capability, placement)
