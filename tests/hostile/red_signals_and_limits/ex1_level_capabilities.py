# Tries to stop the sandbox's init and the zygote (root), to raise its own limits, to become root
# again, to chroot, and to stop its whole process group; returns what worked, so a test can assert
# that only harmless things did (a student may stop itself, nothing else).
import os
import resource
import signal


def can_do(level, capability, placement):
    found = {}
    attempts = [("stop init", lambda: os.kill(1, signal.SIGSTOP)), ("stop zygote", lambda: os.kill(2, signal.SIGSTOP)),
                ("kill zygote", lambda: os.kill(2, signal.SIGKILL)),
                ("raise nproc", lambda: resource.setrlimit(resource.RLIMIT_NPROC, (10 ** 6, 10 ** 6))),
                ("raise memory", lambda: resource.setrlimit(resource.RLIMIT_AS, (-1, -1))),
                ("raise files", lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (10 ** 5, 10 ** 5))),
                ("setuid 0", lambda: os.setuid(0)), ("chroot", lambda: os.chroot("/tmp"))]
    for name, attempt in attempts:
        try:
            attempt()
            found[name] = "worked"
        except (OSError, ValueError) as exc:
            found[name] = type(exc).__name__
    return found
