LEVELS = ("anonymous", "identify", "impersonate", "delegate")


def can_do(level, capability, placement):
    print("x" * 10_000_000)  # megabytes of output, then a correct answer
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
