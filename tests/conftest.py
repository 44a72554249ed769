import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# The hostile submissions and the cheats are data for the grader, never to be imported by pytest
# (one loops at import; the cheats import the engine the way a cheating student would).
collect_ignore_glob = ["hostile/*", "cheats/*"]
