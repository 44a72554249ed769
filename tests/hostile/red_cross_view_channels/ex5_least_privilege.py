# Looks, when imported, for what ex1_level_capabilities.py left, and fails with whatever it found: the
# import error is the exercise's problem, which the student reads.
import socket


def _found():
    found = []
    try:
        with open("/tmp/red-hidden-leak") as f:
            found.append("tmp: " + f.read())
    except OSError as exc:
        found.append(f"tmp: {type(exc).__name__}")
    try:
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.settimeout(1)
        client.connect("\0red-hidden-leak")
        found.append("socket: " + client.recv(65536).decode())
    except OSError as exc:
        found.append(f"socket: {type(exc).__name__}")
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        key = libc.syscall(249, b"user", b"red-hidden-leak", None, 0)  # request_key
        buffer = ctypes.create_string_buffer(4096)
        size = libc.syscall(250, 11, key, buffer, 4096)  # KEYCTL_READ
        found.append("keyring: " + (buffer.raw[:size].decode() if key > 0 and size > 0 else "none"))
    except Exception as exc:
        found.append(f"keyring: {type(exc).__name__}")
    return "; ".join(found)


raise ValueError("LOOKED FOR LEAKS: " + _found())
