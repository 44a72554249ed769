# Finds classmates' submissions through the processes it can see (the grader's command line names the
# submissions folder) and runs the first complete answer it finds (attack 8). Only `os` and builtins,
# so nothing but the sandbox's walls can stop it.
import os

CLASSMATE = []


def _folders():
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return []
    found = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        for arg in args:
            path = arg.decode(errors="ignore")
            if path.startswith("/") and os.path.isdir(path) and path not in found:
                found.append(path)
    return found


def _classmate():
    mine = os.path.realpath(__file__)
    for folder in _folders():
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for entry in entries:
            path = os.path.join(folder, entry, "ex1_level_capabilities.py")
            if os.path.realpath(path) == mine or not os.path.isfile(path):
                continue
            try:
                with open(path) as f:
                    text = f.read()
            except OSError:
                continue
            if "NotImplementedError" in text or "_classmate" in text:
                continue
            namespace = {"__name__": "classmate"}
            try:
                exec(compile(text, path, "exec"), namespace)
                return namespace["can_do"]
            except Exception:
                continue
    return None


def can_do(level, capability, placement):
    if not CLASSMATE:
        CLASSMATE.append(_classmate())
    if CLASSMATE[0] is not None:
        return CLASSMATE[0](level, capability, placement)
    return False
