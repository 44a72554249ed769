# "Call the engine": asks the engine's capability matrix instead of knowing the rule.
from rpc_impersonation.capabilities import run_capability


def can_do(level, capability, placement):
    return run_capability(capability, level=level, placement=placement).allowed
