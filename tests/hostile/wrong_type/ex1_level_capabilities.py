def can_do(level, capability, placement):
    return object()
