"""What a server thread does over time, checked against a small model written here (issue 18).

The chain checks cover every 2- and 3-hop chain; this file covers *sequences* of operations on one
server process: calls arriving (plain RPC or COM; from alice, from bob, or unauthenticated),
RpcImpersonateClient / CoImpersonateClient, RpcRevertToSelf(Ex) / CoRevertToSelf, making a binding
handle or a COM proxy in every tracking and cloaking mode, onward calls through it and the end of the
call. Two checks drive the engine and this file's model side by side and compare after every step:

* a hypothesis ``RuleBasedStateMachine`` (random sequences, shrunk to the shortest failing one);
* an exhaustive walk of every sequence of up to ``WALK_LENGTH`` operations (identical situations are
  evaluated once, as the chain walks do).

The model is independent of the engine: it reads no engine code and only names identities. It states
R12 (a new impersonation replaces the token; revert returns to the process token), R13 (revert inside
a call clears the token; outside a call 1725), R14 (RPC does not revert at the end of a call), R31
(static SSP tracking captures when the binding is made, transport-level static at the first call,
dynamic at every call), R32 (COM without cloaking presents the process identity; static cloaking
captures once: when CoSetProxyBlanket sets it, or at the proxy's first call when it comes from
CoInitializeSecurity; dynamic follows the thread), R36 (CoImpersonateClient needs an authenticated
COM call), R37 (one CoRevertToSelf ends every impersonation; it needs a COM call) and R38 (COM
reverts when the method returns), plus R10/R11/A15 for failed impersonations.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from rpc_impersonation import Binding, Engine, World

SVC, ALICE, BOB = "CORP\\svc_mid", "CORP\\alice", "CORP\\bob"

# --- the model ------------------------------------------------------------------------------------------
#: arrival name -> (api, client identity or None for an unauthenticated call)
ARRIVALS = {
    "rpc call from alice": ("rpc", ALICE),
    "rpc call from bob": ("rpc", BOB),
    "rpc call unauthenticated": ("rpc", None),
    "com call from alice": ("com", ALICE),
    "com call from bob": ("com", BOB),
    "com call unauthenticated": ("com", None),
}

#: handle mode -> (when the identity is captured: "bind", "first call", "every call" or "process")
#: where "process" means the process identity is always presented; "cis" is decided by CoInitializeSecurity.
MODES = {
    "rpc static": "bind",  # SSP-level static tracking: RpcBindingSetAuthInfo (R31)
    "rpc dynamic": "every call",
    "rpc transport static": "first call",  # transport-level static tracking (R31)
    "rpc transport dynamic": "every call",
    "com blanket no cloaking": "process",  # R32
    "com blanket static": "bind",  # static cloaking set with CoSetProxyBlanket: at SetBlanket time
    "com blanket dynamic": "every call",
    "com cloaking from CoInitializeSecurity": "cis",
}
CIS_CAPTURE = {"none": "process", "static": "first call", "dynamic": "every call"}


@dataclass(frozen=True)
class Call:
    api: str
    client: str | None
    ended: bool = False


@dataclass(frozen=True)
class Model:
    """The thread serving the latest call, and the process's binding handles / proxies.

    Each arriving call is served by a thread of its own that starts with no thread token (what an earlier
    call's thread forgot to revert stays on that thread, R14); binding handles and proxies belong to the
    process and are used from whichever thread is current."""

    cis: str  # the cloaking mid set with CoInitializeSecurity
    call: Call | None = None  # None: a worker thread that never served a call
    token: str | None = None  # the thread token's identity; None: the process token
    handles: tuple[tuple[str, str | None], ...] = ()  # (mode, captured identity or None)

    @property
    def acting_as(self) -> str:
        return self.token or SVC

    @property
    def in_call(self) -> bool:
        return self.call is not None and not self.call.ended

    @property
    def in_com_call(self) -> bool:
        return self.in_call and self.call.api == "com"

    def capture(self, mode: str) -> str:
        how = MODES[mode]
        return CIS_CAPTURE[self.cis] if how == "cis" else how


def model_step(m: Model, op: tuple) -> tuple[Model, object]:
    """The model's answer to one operation: the new state and what the engine must report."""
    kind = op[0]
    if kind == "arrive":
        api, client = ARRIVALS[op[1]]
        return replace(m, call=Call(api, client), token=None), None
    if kind in ("RpcImpersonateClient", "CoImpersonateClient"):
        if kind == "CoImpersonateClient" and not m.in_com_call:
            return m, "E_FAIL"  # R36: no COM call on the thread
        if not m.in_call:
            return m, "RPC_S_NO_CALL_ACTIVE"  # R10, R11
        if m.call.client is None:
            return m, "E_FAIL" if kind == "CoImpersonateClient" else "RPC_S_NO_CONTEXT_AVAILABLE"  # R36, A15
        return replace(m, token=m.call.client), "ERROR_SUCCESS"  # R12: replaces any earlier token
    if kind in ("RpcRevertToSelf", "RpcRevertToSelfEx(0)"):
        if not m.in_call:
            return m, "RPC_S_NO_CALL_ACTIVE"  # R13
        return replace(m, token=None), "ERROR_SUCCESS"
    if kind == "RpcRevertToSelfEx(own call)":
        if m.call.ended:
            return m, "RPC_S_INVALID_BINDING"  # the call's handle is gone with the call (R13)
        return replace(m, token=None), "ERROR_SUCCESS"
    if kind == "CoRevertToSelf":
        if not m.in_com_call:
            return m, "E_FAIL"  # R37: needs a COM call
        return replace(m, token=None), "ERROR_SUCCESS"
    if kind == "bind":
        mode = op[1]
        captured = m.acting_as if m.capture(mode) == "bind" else None
        return replace(m, handles=m.handles + ((mode, captured),)), None
    if kind == "call":
        i = op[1]
        mode, captured = m.handles[i]
        how = m.capture(mode)
        if how == "process":
            return m, SVC
        if how == "every call":
            return m, m.acting_as
        if captured is None:  # first call: capture now
            captured = m.acting_as
            handles = m.handles[:i] + ((mode, captured),) + m.handles[i + 1 :]
            m = replace(m, handles=handles)
        return m, captured
    if kind == "end":
        if m.call.api == "com":
            return replace(m, call=replace(m.call, ended=True), token=None), ("R38",)  # R38
        return replace(m, call=replace(m.call, ended=True)), ("R14",) if m.token else ("R13",)  # R14
    raise AssertionError(f"unknown operation {op!r}")


def enabled(m: Model, max_handles: int) -> list[tuple]:
    """Every operation that makes sense now (what a program could call)."""
    ops: list[tuple] = [("arrive", a) for a in ARRIVALS]
    ops += [
        ("RpcImpersonateClient",),
        ("CoImpersonateClient",),
        ("RpcRevertToSelf",),
        ("RpcRevertToSelfEx(0)",),
        ("CoRevertToSelf",),
    ]
    if m.call is not None:
        ops.append(("RpcRevertToSelfEx(own call)",))
    if m.in_call:
        ops.append(("end",))
    if len(m.handles) < max_handles:
        ops += [("bind", mode) for mode in MODES]
    ops += [("call", i) for i in range(len(m.handles))]
    return ops


# --- the engine, driven the same way -----------------------------------------------------------------------
def sequence_world() -> World:
    """alice and bob on WS1 call mid on MID; mid calls back, on MID too, so what back sees is exactly the
    identity mid presented (no second machine, no delegation)."""
    w = World("CORP", name="thread-sequences")
    w.machine("WS1")
    w.machine("MID")
    for account in ("alice", "bob", "svc_mid", "svc_back"):
        w.account(account)
    w.process("alice_app", on="WS1", runs_as="alice")
    w.process("bob_app", on="WS1", runs_as="bob")
    w.process("mid", on="MID", runs_as="svc_mid")
    w.process("back", on="MID", runs_as="svc_back")
    return w


WORLD = sequence_world()
ARRIVAL_BINDINGS = {
    "rpc call from alice": ("alice_app", Binding.of(provider="ntlm", level="impersonate")),
    "rpc call from bob": ("bob_app", Binding.of(provider="ntlm", level="impersonate")),
    "rpc call unauthenticated": ("alice_app", Binding.of(provider="none")),
    "com call from alice": ("alice_app", Binding.of(api="com", provider="ntlm", level="impersonate")),
    "com call from bob": ("bob_app", Binding.of(api="com", provider="ntlm", level="impersonate")),
    "com call unauthenticated": ("alice_app", Binding.of(api="com", provider="none", authn_level="none")),
}
COM = dict(api="com", provider="ntlm", level="impersonate")
MODE_BINDINGS = {
    "rpc static": Binding.of(provider="ntlm", level="impersonate", tracking="static"),
    "rpc dynamic": Binding.of(provider="ntlm", level="impersonate", tracking="dynamic"),
    "rpc transport static": Binding.of(protseq="ncalrpc", provider="none", level="impersonate", tracking="static"),
    "rpc transport dynamic": Binding.of(protseq="ncalrpc", provider="none", level="impersonate", tracking="dynamic"),
    "com blanket no cloaking": Binding.of(**COM, cloaking="none"),
    "com blanket static": Binding.of(**COM, cloaking="static"),
    "com blanket dynamic": Binding.of(**COM, cloaking="dynamic"),
    "com cloaking from CoInitializeSecurity": Binding.of(**COM),
}
assert set(ARRIVAL_BINDINGS) == set(ARRIVALS) and set(MODE_BINDINGS) == set(MODES)


class Driver:
    """One engine and the model, stepped together; ``step`` raises AssertionError on any difference."""

    def __init__(self, cis: str) -> None:
        self.engine = Engine(WORLD)
        # mid accepts unauthenticated COM calls (R34), and its proxies' default cloaking is ``cis`` (R32)
        assert self.engine.co_initialize_security("mid", level="impersonate", authn_level="none", cloaking=cis).ok
        self.thread = self.engine.thread("mid")
        self.handles: list = []
        self.model = Model(cis)
        self.ops: list[tuple] = []

    def engine_step(self, op: tuple) -> object:
        kind, t = op[0], self.thread
        if kind == "arrive":
            client, binding = ARRIVAL_BINDINGS[op[1]]
            served = self.engine.thread(client).call("mid", binding)
            assert served.ok, served.decision.explain()
            self.thread = served.thread
            return None
        if kind == "bind":
            self.handles.append(t.bind("back", MODE_BINDINGS[op[1]]))
            return None
        if kind == "call":
            d = t.call(self.handles[op[1]]).decision
            assert d.ok, d.explain()
            return d.identity_seen
        if kind == "end":
            return t.end_call().rules
        result = {
            "RpcImpersonateClient": t.rpc_impersonate_client,
            "CoImpersonateClient": t.co_impersonate_client,
            "RpcRevertToSelf": t.rpc_revert_to_self,
            "CoRevertToSelf": t.co_revert_to_self,
            "RpcRevertToSelfEx(0)": lambda: t.rpc_revert_to_self_ex(0),
            "RpcRevertToSelfEx(own call)": lambda: t.rpc_revert_to_self_ex(t.call_handle),
        }[kind]()
        assert result.acting_as == t.acting_as
        return result.code.name

    def step(self, op: tuple) -> object:
        """Do ``op`` on the engine and in the model; returns what the engine reported."""
        self.ops.append(op)
        self.model, expected = model_step(self.model, op)
        got = self.engine_step(op)
        if got != expected:
            raise AssertionError(f"{self.where()}\n  engine: {got!r}\n  model:  {expected!r}")
        if self.thread.acting_as != self.model.acting_as:
            raise AssertionError(
                f"{self.where()}\n  engine thread acts as {self.thread.acting_as}, model: {self.model.acting_as}"
            )
        return got

    def where(self) -> str:
        return f"cis={self.model.cis}: " + " ; ".join(" ".join(map(str, o)) for o in self.ops)

    # prefix sharing for the walk: every object an operation can change, saved and put back
    @staticmethod
    def _copy(attrs: dict) -> dict:
        # the engine's remembered call decisions are a pure function of their key: shared, never copied
        return {k: (v.copy() if isinstance(v, (list, dict)) and k != "_decided" else v) for k, v in attrs.items()}

    def save(self) -> tuple:
        state = [(o, self._copy(vars(o))) for o in (self.engine, self.thread, *self.handles)]
        return state, self.thread, list(self.handles), self.model, len(self.ops)

    def restore(self, saved: tuple) -> None:
        state, self.thread, handles, self.model, n = saved
        self.handles = list(handles)
        for obj, attrs in state:
            vars(obj).clear()
            vars(obj).update(self._copy(attrs))  # a fresh copy: the saved one serves every later sibling too
        del self.ops[n:]

    def fingerprint(self) -> tuple:
        """Everything of the engine's state a later operation can depend on."""
        t = self.thread
        call = t.call_decision
        return (
            t.thread_token,
            t.ended,
            t.com_depth,
            t.impersonation_failed,
            None if call is None else (call.caller, call.com_api, call.context),
            tuple((h.binding, h.captured) for h in self.handles),
        )


# --- check 1: hypothesis' state machine ---------------------------------------------------------------------
def weighted(m: Model, max_handles: int) -> list[tuple]:
    """The enabled operations, repeated so that each kind of operation comes up about equally often: eight
    binding modes against one end of call would otherwise make a random program mostly bind."""
    ops = enabled(m, max_handles)
    counts = {"arrive": 1, "bind": 1, "call": 0, "end": 3}
    out: list[tuple] = []
    for op in ops:
        out += [op] * counts.get(op[0], 2)
    calls = [op for op in ops if op[0] == "call"]
    for op in calls:
        out += [op] * (12 // len(calls))
    return out


class ThreadSequences(RuleBasedStateMachine):
    """Random programs of thread operations; hypothesis shrinks a failure to the shortest program."""

    @initialize(cis=st.sampled_from(sorted(CIS_CAPTURE)), first=st.sampled_from([None, *sorted(ARRIVALS)]))
    def set_up(self, cis: str, first: str | None) -> None:
        self.driver = Driver(cis)
        if first is not None:  # usually a call is being served from the start (None: a worker thread)
            self.driver.step(("arrive", first))

    @rule(data=st.data())
    def operation(self, data) -> None:
        op = data.draw(st.sampled_from(weighted(self.driver.model, 6)), label="operation")
        self.driver.step(op)


# Derandomized, so CI runs the same 300 programs of up to 20 operations every time (47 s on a busy two-core
# machine); with either cloaking bug of issue 18 put back, it finds and shrinks it.
TestThreadSequences = pytest.mark.slow(ThreadSequences.TestCase)
TestThreadSequences.settings = settings(
    max_examples=300,
    stateful_step_count=20,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


# --- check 2: every sequence up to WALK_LENGTH ---------------------------------------------------------------
#: Six operations: the issue's two wrong answers need four (call arrives, proxy, impersonate, call: bug 2)
#: and five (call arrives, impersonate, proxy, revert, call: bug 1); six is the longest story the issue
#: tells (call arrives, proxy, impersonate, call, revert, call), the one where a captured identity must
#: outlive a change of the thread's identity. One handle: a handle's identity depends only on its own
#: mode, its capture and the thread, never on another handle, so one handle per sequence shows every
#: mode's behaviour (made in one call and used in a later one included); the state machine above mixes
#: up to six. Timings are printed by the test (run pytest with -s) and recorded in the issue's note.
WALK_LENGTH = 6
WALK_HANDLES = 1


def walk(cis: str, length: int = WALK_LENGTH, max_handles: int = WALK_HANDLES) -> tuple[int, int]:
    """Check every sequence of up to ``length`` operations from a fresh process; returns (sequences, situations).

    Depth first with prefix sharing; a situation (model state, engine state, steps left) met again is not
    expanded again, because what follows depends only on it. The lengths are walked in turn, 1 to
    ``length``, so a failure is reported with the shortest sequence that shows it (the shorter walks are
    mostly remembered situations). ``sequences`` counts every sequence the walk stands for,
    ``situations`` those actually evaluated."""
    driver = Driver(cis)
    seen: dict[tuple, int] = {}

    def expand(left: int) -> int:
        key = (left, driver.model, driver.fingerprint())
        if key in seen:
            return seen[key]
        total = 1  # the sequence that stops here
        if left:
            saved = driver.save()
            for op in enabled(driver.model, max_handles):
                driver.step(op)
                total += expand(left - 1)
                driver.restore(saved)
        seen[key] = total
        return total

    for shorter in range(1, length):
        expand(shorter)
    return expand(length), len(seen)


@pytest.mark.slow
@pytest.mark.parametrize("cis", sorted(CIS_CAPTURE))
def test_every_sequence_of_six_operations_agrees_with_the_model(cis):
    started = time.perf_counter()
    sequences, situations = walk(cis)
    elapsed = time.perf_counter() - started
    print(
        f"cis={cis}: {sequences} sequences of up to {WALK_LENGTH} operations, {situations} situations, {elapsed:.1f} s"
    )
    assert sequences > 10**7 and situations > 1000  # the walk really branched
    assert elapsed < 300, "the walk got too slow to stay in the suite"


# --- the model itself, on the cases the issue names ------------------------------------------------------
@pytest.mark.parametrize(
    "cis,ops,presented",
    [
        # bug 1: static cloaking from the blanket keeps alice after the revert
        (
            "none",
            [
                ("arrive", "com call from alice"),
                ("CoImpersonateClient",),
                ("bind", "com blanket static"),
                ("CoRevertToSelf",),
                ("call", 0),
            ],
            ALICE,
        ),
        # bug 2: static cloaking from CoInitializeSecurity captures at the first call, while impersonating
        (
            "static",
            [
                ("arrive", "com call from alice"),
                ("bind", "com cloaking from CoInitializeSecurity"),
                ("CoImpersonateClient",),
                ("call", 0),
            ],
            ALICE,
        ),
        (
            "static",
            [
                ("arrive", "com call from alice"),
                ("bind", "com cloaking from CoInitializeSecurity"),
                ("CoImpersonateClient",),
                ("call", 0),
                ("CoRevertToSelf",),
                ("call", 0),
            ],
            ALICE,
        ),
        (
            "dynamic",
            [
                ("arrive", "com call from alice"),
                ("bind", "com cloaking from CoInitializeSecurity"),
                ("CoImpersonateClient",),
                ("call", 0),
                ("CoRevertToSelf",),
                ("call", 0),
            ],
            SVC,
        ),
    ],
)
def test_the_sequences_of_the_issue(cis, ops, presented):
    driver = Driver(cis)
    seen = [driver.step(op) for op in ops]
    assert seen[-1] == presented


def test_a_wrong_engine_answer_is_reported_with_its_sequence():
    """The comparison can fail: a model that forgets R38 disagrees with the engine at the end of a COM call."""
    driver = Driver("none")
    for op in [("arrive", "com call from alice"), ("CoImpersonateClient",)]:
        driver.step(op)
    driver.model = replace(driver.model, call=Call("rpc", ALICE))  # pretend it was an RPC call
    with pytest.raises(AssertionError, match="com call from alice ; CoImpersonateClient ; end"):
        driver.step(("end",))
