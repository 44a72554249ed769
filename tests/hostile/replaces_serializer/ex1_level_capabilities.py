# Replaces, at import time, the serializer the sandbox answers with (attack 5).
import json

json.dumps = lambda *args, **kwargs: "[[[[ not json"
json.JSONEncoder.encode = lambda self, o: "{{{{"

LEVELS = ("anonymous", "identify", "impersonate", "delegate")


def right(level, capability, placement):
    rank = LEVELS.index(level)
    if capability in ("learn the identity", "check an ACL"):
        return rank >= 1 or placement == "remote"
    if capability == "open a local resource":
        return rank >= 2
    if capability == "reach another machine":
        if capability == "reach another machine":
            return rank >= 3 or (rank == 2 and placement == "local")
        return rank >= 3
    return rank >= 3


def can_do(level, capability, placement):
    return right(level, capability, placement)
