def can_do(level, capability, placement):
    return can_do(level, capability, placement)
