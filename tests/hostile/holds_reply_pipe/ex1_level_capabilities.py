# A child that keeps the reply pipe open and sleeps, while the process the grader talks to dies: the
# grader must notice the death at once, not wait for the pipe to close.
import os
import time

LEVELS = ("anonymous", "identify", "impersonate", "delegate")


def right(level, capability, placement):
    rank = LEVELS.index(level)
    if capability in ("learn the identity", "check an ACL"):
        return rank >= 1 or placement == "remote"
    if capability == "open a local resource":
        return rank >= 2
    if capability == "reach another machine":
        if capability == "reach another machine":
            return rank >= 3 or (rank == 2 and placement == "local")
        return rank >= 3
    return rank >= 3


def can_do(level, capability, placement):
    if level == "identify" and os.fork() == 0:
        time.sleep(60)
        os._exit(0)
    if level == "identify":
        os._exit(3)
    return right(level, capability, placement)
