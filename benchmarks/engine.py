"""Engine speed: hop decisions per second on one core, and the whole 3-hop configuration space.

Run: .venv/bin/python benchmarks/engine.py [--repeat N]
Targets (issue 2): >= 100,000 hop decisions per second; the whole 3-hop space in < 2 s.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

from rpc_impersonation.binding import Binding
from rpc_impersonation.engine import Engine
from rpc_impersonation.space import HOP_OPTIONS, ChainSpace, check_all, walk


def hop_decisions(seconds: float = 2.0, remember: bool = True) -> tuple[float, int]:
    """Engine.connect calls per second, cycling through every hop option from a client thread.

    ``remember=False`` makes the engine decide every call from scratch, as it does the first
    time it meets a situation; with the default the engine reuses the decision of a call it has
    already made (same caller, token, server and binding) and only creates the new call.
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
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for server, binding in cases:
            served = engine.connect(caller, token, server, binding)
            if served.thread is not None:
                served.thread.end_call()
        n += len(cases)
    return n / (time.perf_counter() - start), n


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--enlarged", action="store_true",
                        help="also time the beyond-the-seeds spaces (delegation kinds, Negotiate, COM cloaking; ~1 min)")
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, one process (one core)")
    for remember, label in ((True, "Engine.connect, steady state"),
                            (False, "Engine.connect, every decision made from scratch")):
        rates = [hop_decisions(1.0, remember)[0] for _ in range(args.repeat)]
        print(f"hop decisions per second ({label}): median {statistics.median(rates):,.0f} "
              f"(min {min(rates):,.0f}, max {max(rates):,.0f}, n={args.repeat})"
              + ("; target >= 100,000" if remember else ""))
    for hops in (2, 3):
        runs = [whole_space(hops) for _ in range(args.repeat if hops == 2 else max(3, args.repeat // 2))]
        times = [r[0] for r in runs]
        print(f"{hops}-hop space: {runs[0][1]:,} configurations, {runs[0][2]:,} distinct evaluated paths, "
              f"median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}, n={len(runs)})"
              + ("; target < 2 s" if hops == 3 else ""))
    if args.enlarged:
        for flavour in ("delegation", "com"):
            for hops in (2, 3):
                seconds, size, options = enlarged_space(hops, flavour)
                print(f"{flavour} space, {hops} hops ({options} options a hop): {size:,} configurations checked "
                      f"in {seconds:.1f} s (check_all, n=1)")


if __name__ == "__main__":
    main()
