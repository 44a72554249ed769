# Prints every input it is given and fails with messages that carry them (attack 11): nothing a hidden
# test gave it may come back in what the student sees.
SEEN = []


def can_do(level, capability, placement):
    SEEN.append((level, capability, placement))
    print("called with", level, capability, placement)
    raise ValueError(f"inputs so far: {SEEN!r}")
