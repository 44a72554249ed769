# HELD since 8a1ae39 (student processes talk to the grader on a data channel the grader empties after
# each one; fds moved out of the way before dup2). Before that, this is what happened:
# Writes frames of its own on the reply pipe (fd 4): after the last visible test it answers, then
# says "stopped" before the grader asks; the real "stopped" is then read by the NEXT classmate graded
# in the same worker slot, whose exercise scores 0 ("an unexpected first reply").
import json
import os
import struct

LEVELS = ("anonymous", "identify", "impersonate", "delegate")


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


_calls = [0]


def can_do(level, capability, placement):
    value = right(level, capability, placement)
    _calls[0] += 1
    if _calls[0] == 4:  # the last visible test: answer it, then say "stopped" before the grader asks
        os.write(4, _frame(op="ok", value=value, output="") + _frame(op="stopped"))
    return value
