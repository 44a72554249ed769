# Values nested thousands of levels deep (attack 4): returned normally, the sandbox's serializer
# refuses them; written straight into the reply channel, the grader's reader must refuse them too.
import os
import struct

CALLS = []


def can_do(level, capability, placement):
    CALLS.append(level)
    if len(CALLS) == 1:
        value = True
        for _ in range(5000):
            value = [value]
        return value
    data = b'{"op":"ok","value":' + b"[" * 5000 + b"true" + b"]" * 5000 + b',"output":""}'
    for fd in range(3, 10):  # the reply channel is one of these
        try:
            os.write(fd, struct.pack(">I", len(data)) + data)
        except OSError:
            pass
    return True
