import faulthandler


def can_do(level, capability, placement):
    faulthandler._sigsegv()  # the interpreter dies with SIGSEGV
