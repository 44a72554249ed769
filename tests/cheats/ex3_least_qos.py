# "Call the engine": tries levels until the engine says yes.
from rpc_impersonation.capabilities import run_capability
from rpc_impersonation.grading.worlds import QOS_TASKS as TASKS


def _least(task):
    what, placement = TASKS[task]
    for level in ("anonymous", "identify", "impersonate", "delegate"):
        for mutual in (False, True):
            if run_capability(what, level=level, placement=placement, mutual_auth=mutual).allowed:
                return level, mutual


def least_level(task):
    return _least(task)[0]


def needs_mutual_auth(task):
    return _least(task)[1]
