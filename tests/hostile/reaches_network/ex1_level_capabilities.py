# Tries the network: a server on 127.0.0.1 (the port the test names) and a public address (attack 13).
import os
import socket

REACHED = []


def _try(host, port):
    try:
        with socket.create_connection((host, port), timeout=1) as s:
            s.sendall(b"hello from the sandbox")
            REACHED.append(host)
    except OSError:
        pass


def can_do(level, capability, placement):
    if not REACHED:
        _try("127.0.0.1", int(os.environ.get("HOSTILE_PORT", "0") or 0))
        _try("1.1.1.1", 53)
    return bool(REACHED)
