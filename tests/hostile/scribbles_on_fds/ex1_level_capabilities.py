# Writes garbage into every open file descriptor, then closes them (attack 6: the processes that
# serve the grader must not be reachable through inherited descriptors).
import os

for fd in range(3, 1024):
    try:
        os.write(fd, b"\xff\xff\xff\x7fgarbage" * 100)
    except OSError:
        pass
for fd in range(3, 1024):
    try:
        os.close(fd)
    except OSError:
        pass

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
    return right(level, capability, placement)
