# BROKE before this commit (fixed: a student process may not send the zygote's frames on its reply pipe).
# Right answers, but on the last call of the run (8 visible + 32 hidden distinct questions) it writes
# {"op": "ended"} on fd 4: the grader took it for the zygote's word that the process had ended, so it never
# stopped it. The process lived on into the next classmate's turn in the same sandbox, writing frames the
# grader read as that classmate's replies: the classmate scored 0 ("a reply of 740303478 bytes").
import json
import os
import struct
import threading
import time

LEVELS = ("anonymous", "identify", "impersonate", "delegate")
LAST_CALL = 40
calls = [0]


def right(level, capability, placement):
    rank = LEVELS.index(level)
    if capability in ("learn the identity", "check an ACL"):
        return rank >= 1 or placement == "remote"
    if capability == "open a local resource":
        return rank >= 2
    if capability == "reach another machine":
        return rank >= 3 or (rank == 2 and placement == "local")
    return rank >= 3


def _frame(**fields):
    data = json.dumps(fields).encode()
    return struct.pack(">I", len(data)) + data


def _flood():
    chunk = _frame(op="ready", output="") + _frame(op="ok", value=False, output="") * 200
    while True:
        os.write(4, chunk)


def can_do(level, capability, placement):
    calls[0] += 1
    if calls[0] == LAST_CALL:
        os.write(4, _frame(op="ended"))
        for _ in range(3):
            threading.Thread(target=_flood, daemon=True).start()
        time.sleep(1)
    return right(level, capability, placement)
