"""Widget latency: time from a value change to the updated explanation and freshly rendered SVG.

Run: .venv/bin/python benchmarks/widgets.py [--changes 100]
Target (issue 3): median <= 50 ms and 95th percentile <= 100 ms. The SVG cache is cleared before
every change, so each measurement includes a real Graphviz render.
"""

from __future__ import annotations

import argparse
import statistics
import time

from rpc_impersonation.views.display import render_svg
from rpc_impersonation.views.widgets import ChainBuilder, ImpersonationStepper, LevelExplorer


def advance(control, values) -> None:
    """Move a control to the next value, so every measured change really fires the widget's callback."""
    control.value = values[(values.index(control.value) + 1) % len(values)]


def measure(changes):
    times = []
    for change in changes:
        render_svg.cache_clear()
        start = time.perf_counter()
        change()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], max(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=100)
    n = parser.parse_args().changes

    cb = ChainBuilder()
    levels = ["delegate", "impersonate", "identify", "anonymous"]
    trust = ["trusted (any computer)", "not trusted", "trusted to SRV2 only"]
    builder = [
        (lambda i=i: advance(cb.hop_controls[i % 2]["level"], levels))
        if i % 3
        else (lambda: advance(cb.delegation["server1"], trust))
        for i in range(n)
    ]
    le = LevelExplorer()
    explorer = [lambda: advance(le.level, levels) for _ in range(n)]
    st = ImpersonationStepper()
    steps = ["impersonate", "open report", "call backend", "revert", "open admin file"]
    stepper = [(lambda i=i: st.press(steps[i % 5])) if i % 20 else (lambda: st.restart()) for i in range(n)]

    print(f"{n} changes each; SVG re-rendered by dot every time; target median <= 50 ms, p95 <= 100 ms")
    for name, changes in (("chain builder", builder), ("level explorer", explorer), ("impersonation stepper", stepper)):
        med, p95, worst = measure(changes)
        print(f"{name:22} median {med:5.1f} ms   p95 {p95:5.1f} ms   max {worst:5.1f} ms")
    assert cb.explanation and le.explanation and st.explanation


if __name__ == "__main__":
    main()
