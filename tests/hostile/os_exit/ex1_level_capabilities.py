import os


def can_do(level, capability, placement):
    os._exit(7)
