def can_doo(level, capability, placement):
    return True
