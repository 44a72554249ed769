# HELD since 8a1ae39 (student processes talk to the grader on a data channel the grader empties after
# each one; fds moved out of the way before dup2). Before that, this is what happened:
# Not even hostile: correct answers, and one line written to file descriptor 1 below Python's print
# (as a subprocess, a C library or os.write do). The harness means fds 0-2 to lead to /dev/null, but
# when /dev/null is opened on fd 4 it is then replaced by the reply pipe (dup2(reply, 4)) before
# being copied to 0, 1 and 2: the line lands in the reply stream and the grader cannot read the reply.
import os

os.write(1, b"progress: starting\n")

LEVELS = ("anonymous", "identify", "impersonate", "delegate")


def can_do(level, capability, placement):
    rank = LEVELS.index(level)
    if capability in ("learn the identity", "check an ACL"):
        return rank >= 1 or placement == "remote"
    if capability == "open a local resource":
        return rank >= 2
    if capability == "reach another machine":
        return rank >= 3 or (rank == 2 and placement == "local")
    return rank >= 3
