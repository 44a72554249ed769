"""Visible tests of ex1 (generated from its master; do not edit).

Run them with: python -m rpc_impersonation.grading check ex1
"""
from rpc_impersonation.capabilities import run_capability
from rpc_impersonation.grading.spec import expect, test

LEVELS = ("anonymous", "identify", "impersonate", "delegate")
CAPABILITIES = ("learn the identity", "check an ACL", "open a local resource", "reach another machine",
                "let the next server go on")


def check_cell(run, level, what, placement):
    cell = run_capability(what, level=level, placement=placement)
    got = run("can_do", level, what, placement)
    expect(got, cell.allowed, f"can_do({level!r}, {what!r}, {placement!r})", cell.decision)


@test("identify can check an ACL on another machine")
def _(run):
    check_cell(run, "identify", "check an ACL", "remote")


@test("identify cannot open a local resource")
def _(run):
    check_cell(run, "identify", "open a local resource", "remote")


@test("impersonate from the client's own machine reaches the network")
def _(run):
    check_cell(run, "impersonate", "reach another machine", "local")


@test("delegate reaches another machine")
def _(run):
    check_cell(run, "delegate", "reach another machine", "remote")
