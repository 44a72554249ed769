import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# The hostile submissions and the cheats are data for the grader, never to be imported by pytest
# (one loops at import; the cheats import the engine the way a cheating student would).
collect_ignore_glob = ["hostile/*", "cheats/*"]


def pytest_configure(config):
    """Under pytest-xdist every worker grades with its own range of sandbox uids, so two workers'
    class runs never share a uid's process limit, keyring or clean-up (see docs/grading.md)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw") and worker[2:].isdigit():
        os.environ.setdefault("RPC_GRADING_UID_BASE", str(61000 + 256 * (int(worker[2:]) + 1)))
