import sys


def can_do(level, capability, placement):
    sys.exit(3)
