"""Visible tests of ex4 (generated from its master; do not edit).

Run them with: python -m rpc_impersonation.grading check ex4
"""
import itertools
from functools import lru_cache

from rpc_impersonation.binding import Binding
from rpc_impersonation.engine import Engine
from rpc_impersonation.grading.spec import expect, test
from rpc_impersonation.world import World


@lru_cache(maxsize=None)
def engine_says(api, requested, protseq, machine_default):
    w = World("CORP")
    w.machine("WS1", com_default_level=machine_default)
    w.machine("SRV1")
    w.account("alice")
    w.account("svc", trusted_for_delegation=True)
    w.process("client", on="WS1", runs_as="alice")
    w.process("server", on="WS1" if protseq == "ncalrpc" else "SRV1", runs_as="svc")
    if protseq == "ncalrpc":
        binding = Binding.of(api=api, protseq="ncalrpc", provider="ntlm" if api == "rpc" else "default",
                             level=requested)
    else:
        binding = Binding.of(api=api, provider="kerberos", level=requested, mutual_auth=True)
    served = Engine(w).thread("client").call("server", binding)
    thread = served.thread
    result = thread.rpc_impersonate_client()
    return result.token.level.label.lower(), served.decision


def check(run, api, requested, protseq, machine_default):
    expected, why = engine_says(api, requested, protseq, machine_default)
    got = run("effective_level", api, requested, protseq, machine_default)
    expect(got, expected, f"effective_level({api!r}, {requested!r}, {protseq!r}, {machine_default!r})", why)


@test("plain RPC default over TCP")
def _(run):
    check(run, "rpc", "default", "ncacn_ip_tcp", "identify")


@test("COM client with no level, machine default untouched")
def _(run):
    check(run, "com", "default", "ncacn_ip_tcp", "identify")


@test("COM client after an administrator raised the machine-wide level")
def _(run):
    check(run, "com", "default", "ncacn_ip_tcp", "impersonate")
