# Returns 4 MiB, and fails with a 1 MiB message (attack 11: no result file may grow with them).
def can_do(level, capability, placement):
    if level == "identify":
        raise ValueError("y" * (1 << 20))
    return "x" * (4 << 20)
