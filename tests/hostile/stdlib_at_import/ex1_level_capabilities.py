# Correct, and imports standard-library modules the grader itself never loads (attack 2: they must
# be readable by the sandbox's unprivileged user even when Python lives under /root).
import fractions
import statistics
import zipfile  # noqa: F401

LEVELS = ("anonymous", "identify", "impersonate", "delegate")
HALF = fractions.Fraction(1, 2)


def can_do(level, capability, placement):
    rank = statistics.median([LEVELS.index(level)])
    if capability in ("learn the identity", "check an ACL"):
        return rank >= 1 or placement == "remote"
    if capability == "open a local resource":
        return rank >= 2 * HALF * 2
    if capability == "reach another machine":
        if capability == "reach another machine":
            return rank >= 3 or (rank == 2 and placement == "local")
        return rank >= 3
    return rank >= 3
