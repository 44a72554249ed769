# Forks until it cannot (attack 12: a process cap per sandbox; nothing survives it).
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
    children = 0
    for _ in range(5000):
        try:
            if os.fork() == 0:
                time.sleep(30)
                os._exit(0)
            children += 1
        except OSError:
            break
    return right(level, capability, placement) if children < 5000 else None
