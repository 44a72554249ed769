# Looks for the instructor's master next to the package, on sys.path, in the working folder and at the
# place the test names, and runs its solution (attack 7).
import glob
import importlib.util
import os
import sys

FOUND = []


def _candidates():
    hint = os.environ.get("HOSTILE_TARGET", "")
    places = [hint, os.getcwd(), *sys.path]
    try:
        import rpc_impersonation
        places.append(os.path.dirname(os.path.dirname(os.path.dirname(rpc_impersonation.__file__))))
    except Exception:
        pass
    for place in places:
        for up in (place, os.path.dirname(place), os.path.dirname(os.path.dirname(place))):
            yield from glob.glob(os.path.join(up, "solutions", "ex1_level_capabilities.py"))
            yield from glob.glob(os.path.join(up, "*", "solutions", "ex1_level_capabilities.py"))


def _master():
    for path in _candidates():
        try:
            spec = importlib.util.spec_from_file_location("stolen_master", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            FOUND.append(path)
            return module
        except Exception:
            continue
    return None


MASTER = _master()


def can_do(level, capability, placement):
    if MASTER is not None:
        return MASTER.can_do(level, capability, placement)
    return True
