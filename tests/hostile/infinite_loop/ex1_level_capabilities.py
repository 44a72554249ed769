def can_do(level, capability, placement):
    while True:
        pass
