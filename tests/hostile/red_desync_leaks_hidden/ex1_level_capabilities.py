# HELD since 8a1ae39 (student processes talk to the grader on a data channel the grader empties after
# each one; fds moved out of the way before dup2). Before that, this is what happened:
# Answers every test right, and on the last call of the hidden tests (40 calls for a correct answer:
# the count is the same every run) writes three frames of its own on the reply pipe (fd 4): the answer,
# a forged "stopped", and an "import error" whose message lists the hidden inputs it was called with
# (then a "stopped" and a second "import error" that keep the stream in step for the next exercise).
# The grader's stop() takes the forged "stopped"; the next student process started in the same
# sandbox (this student's next exercise, or the next classmate's) reads the "import error" as its
# first reply, and that exercise's problem line, shown to the student, lists the hidden inputs.
import json
import os
import struct

LEVELS = ("anonymous", "identify", "impersonate", "delegate")
HIDDEN_CALLS = 40
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


def _frame(**fields):
    data = json.dumps(fields).encode()
    return struct.pack(">I", len(data)) + data


def can_do(level, capability, placement):
    value = right(level, capability, placement)
    seen.append(f"{level[:4]}/{capability[:9]}/{placement[:3]}")
    if len(seen) == HIDDEN_CALLS:
        leak = _frame(op="import error", message="SMUGGLED " + " ".join(seen[-36:]), output="")
        # answer; end this process's turn early; then one "import error" + "stopped" for each of the two
        # processes of the next exercise, so the stream stays in step until that exercise is graded
        os.write(4, _frame(op="ok", value=value, output="") + _frame(op="stopped") + leak + _frame(op="stopped")
                 + _frame(op="import error", message="x", output=""))
    return value
