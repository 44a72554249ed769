"""Write the pictures shown in the README to docs/images/ (diagrams via dot, plots via matplotlib).

Usage: .venv/bin/python scripts/make_images.py
"""

from pathlib import Path

from rpc_impersonation import Binding, Engine, load_named
from rpc_impersonation.views import chain_diagram, level_matrix_figure, reach_figure, thread_diagram

OUT = Path(__file__).resolve().parent.parent / "docs" / "images"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for scenario, chain in (("seed-delegation", "delegate"), ("seed-ncalrpc", "lb-impersonate"),
                            ("seed-ncalrpc", "lb-delegate"), ("double-hop", "ntlm")):
        s = load_named(scenario)
        chain_diagram(s.evaluate(chain), s.world, legend=True).save(str(OUT / f"chain-{scenario}-{chain}.png"))
    s = load_named("unchecked-impersonation")
    t = Engine(s.world).thread("good_caller").call("service", Binding.of(provider="ntlm")).thread
    t.rpc_impersonate_client()
    t.open("secrets.txt")
    t.rpc_revert_to_self()
    t.open("secrets.txt")
    t.end_call()
    thread_diagram(t.history, t.process.account.qualified).save(str(OUT / "thread-state.png"))
    for placement in ("local", "remote"):
        level_matrix_figure(placement).savefig(OUT / f"level-matrix-{placement}.png", metadata={"Software": None})
    reach_figure().savefig(OUT / "identity-reach.png", metadata={"Software": None})
    for p in sorted(OUT.glob("*.png")):
        print(p.relative_to(OUT.parent.parent))


if __name__ == "__main__":
    main()
