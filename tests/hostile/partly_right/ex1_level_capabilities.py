LEVELS = ("anonymous", "identify", "impersonate", "delegate")


def can_do(level, capability, placement):
    if level == "anonymous":
        raise ValueError("I forgot anonymous")
    rank = LEVELS.index(level)
    if capability in ("learn the identity", "check an ACL"):
        return True
    if capability == "open a local resource":
        return rank >= 2
    if capability == "reach another machine":
        return rank >= 3 or (rank == 2 and placement == "local")
    return rank >= 3
