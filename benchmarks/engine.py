"""Engine speed: hop decisions per second on one core, and the whole 3-hop configuration space.

Run: .venv/bin/python benchmarks/engine.py [--repeat N]
Targets (issue 2): >= 100,000 hop decisions per second; the whole 3-hop space in < 2 s.

Side by side with another revision (issue 16: from-scratch decisions >= 3x the previous main):
    .venv/bin/python benchmarks/engine.py --compare main [--repeat 5]
checks REV out into a temporary git worktree and measures from-scratch decisions for REV and for this
tree in separate processes, alternating, and prints each median and the ratio.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rpc_impersonation.binding import Binding
from rpc_impersonation.engine import Engine
from rpc_impersonation.space import HOP_OPTIONS, ChainSpace, check_all, walk


def hop_decisions(seconds: float = 2.0, remember: bool = True, clock=time.perf_counter) -> tuple[float, int]:
    """Engine.connect calls per second, cycling through every hop option from a client thread.

    ``remember=False`` makes the engine decide every call from scratch, as it does the first
    time it meets a situation; with the default the engine reuses the decision of a call it has
    already made (same caller, token, server and binding) and only creates the new call.
    ``clock=time.process_time`` counts the CPU time of this process only (fairer on a shared, loaded machine).
    """
    space = ChainSpace(1)
    engine = Engine(space.world, remember=remember)
    caller = space.world.get_process("client_alice")
    token = engine.thread("client_alice").effective_token
    cases = []
    for opt in HOP_OPTIONS:
        machine = "M1" if opt.remote else "M0"
        binding = Binding.of(protseq=opt.protseq, provider=opt.provider, level=opt.level, mutual_auth=opt.mutual)
        cases.append((space.server_name(1, machine, opt.trusted), binding))
    n = 0
    start = clock()
    deadline = start + seconds
    while clock() < deadline:
        for server, binding in cases:
            served = engine.connect(caller, token, server, binding)
            if served.thread is not None:
                served.thread.end_call()
        n += len(cases)
    return n / (clock() - start), n


def whole_space(hops: int) -> tuple[float, int, int]:
    space = ChainSpace(hops)
    paths = [0]

    def visit(*_):
        paths[0] += 1

    start = time.perf_counter()
    total = walk(space, visit)
    return time.perf_counter() - start, total, paths[0]


def enlarged_space(hops: int, flavour: str) -> tuple[float, int, int]:
    """Time check_all over a beyond-the-seeds space with a check that asserts nothing."""
    space = ChainSpace(hops, flavour)
    start = time.perf_counter()
    covered = check_all(space, lambda state, record: state)
    assert covered == space.size
    return time.perf_counter() - start, space.size, len(space.options)


ROOT = Path(__file__).resolve().parent.parent


def _scratch_rate(src: Path, seconds: float) -> float:
    """From-scratch decisions per second, measured in a fresh process importing the package from ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONHASHSEED": "0"}
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from engine import hop_decisions; "
        "import time; print(hop_decisions(float(sys.argv[2]), remember=False, clock=time.process_time)[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent), str(seconds)],
        env=env,
        cwd=src.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def compare(rev: str, repeat: int, seconds: float) -> None:
    """From-scratch decisions of ``rev`` and of this tree, alternating in one run; prints the ratio."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="engine-compare-") as tmp:
        other = Path(tmp) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(other), commit], cwd=ROOT, check=True, capture_output=True
        )
        try:
            rates: dict[str, list[float]] = {rev: [], "this tree": []}
            for _ in range(max(3, repeat)):
                rates[rev].append(_scratch_rate(other / "src", seconds))
                rates["this tree"].append(_scratch_rate(ROOT / "src", seconds))
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, check=False, capture_output=True
            )
    print(
        f"python {platform.python_version()} on {platform.machine()}; from-scratch hop decisions per CPU second "
        f"(Engine(remember=False).connect), alternating runs of {seconds:g} s of CPU time, n={max(3, repeat)} each; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    for label, values in rates.items():
        name = f"{rev} ({commit})" if label == rev else label
        print(f"  {name}: median {statistics.median(values):,.0f} (min {min(values):,.0f}, max {max(values):,.0f})")
    ratio = statistics.median(rates["this tree"]) / statistics.median(rates[rev])
    print(f"  ratio this tree / {rev}: {ratio:.2f}x (target >= 3x)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--compare",
        metavar="REV",
        help="measure from-scratch decisions of REV (checked out in a temporary git worktree) and "
        "of this tree side by side, and print the ratio",
    )
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one measurement (with --compare)")
    parser.add_argument(
        "--enlarged",
        action="store_true",
        help="also time the beyond-the-seeds spaces (delegation kinds, Negotiate, COM cloaking; ~1 min)",
    )
    args = parser.parse_args()
    if args.compare:
        compare(args.compare, args.repeat, args.seconds)
        return
    print(f"python {platform.python_version()} on {platform.machine()}, one process (one core)")
    for remember, label in (
        (True, "Engine.connect, steady state"),
        (False, "Engine.connect, every decision made from scratch"),
    ):
        rates = [hop_decisions(1.0, remember)[0] for _ in range(args.repeat)]
        print(
            f"hop decisions per second ({label}): median {statistics.median(rates):,.0f} "
            f"(min {min(rates):,.0f}, max {max(rates):,.0f}, n={args.repeat})"
            + ("; target >= 100,000" if remember else "")
        )
    for hops in (2, 3):
        runs = [whole_space(hops) for _ in range(args.repeat if hops == 2 else max(3, args.repeat // 2))]
        times = [r[0] for r in runs]
        print(
            f"{hops}-hop space: {runs[0][1]:,} configurations, {runs[0][2]:,} distinct evaluated paths, "
            f"median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}, n={len(runs)})"
            + ("; target < 2 s" if hops == 3 else "")
        )
    if args.enlarged:
        for flavour in ("delegation", "com"):
            for hops in (2, 3):
                seconds, size, options = enlarged_space(hops, flavour)
                print(
                    f"{flavour} space, {hops} hops ({options} options a hop): {size:,} configurations checked "
                    f"in {seconds:.1f} s (check_all, n=1)"
                )


if __name__ == "__main__":
    main()
