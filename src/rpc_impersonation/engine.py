"""The server thread and the call: RpcImpersonateClient, RpcRevertToSelf(Ex), opening resources, calling onward.

>>> from rpc_impersonation.scenarios import seed_delegation_world
>>> world = seed_delegation_world()
>>> engine = Engine(world)
>>> client = engine.thread("client")
>>> served = client.call("server_a", Binding.of(provider="kerberos", level="delegate", mutual_auth=True))
>>> served.decision.identity_seen
'CORP\\\\alice'
>>> server = served.thread
>>> server.rpc_impersonate_client().code_name
'RPC_S_OK (0)'
>>> server.acting_as
'CORP\\\\alice'
>>> server.rpc_revert_to_self().code_name
'RPC_S_OK (0)'
>>> server.acting_as
'CORP\\\\svc_a'

Taught in notebooks/01_security_context.ipynb.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .binding import Binding
from .com import ComThreadMixin, co_initialize_security, com_call, proxy_cloaking
from .kerberos import S4U, s4u_decision
from .constants import (ApiFamily, Cloaking, ErrorCode, ImpLevel, Protseq, Provider, Right, TargetName, TokenLevel,
                        Tracking, parse)
from .decisions import AccessDecision, CallDecision, Decision, ImpersonationResult, Reason
from .errors import InvalidValueError
from .rules import Row
from .tables import (ACCESS_CHECK, ARRIVAL_LEVEL, CREDENTIALS, DELEGATION, DELEGATION_REFUSED, IMPERSONATE,
                     LEVEL_DEFAULT, MUTUAL_AUTH, NTLM_ALLOWED, OPEN_THREAD_TOKEN, OUTBOUND, PROVIDER, REVERT,
                     SERVER_GATE)
from .tokens import Credentials, LogonSession, Token
from .world import ANONYMOUS_LOGON, Process, Resource, World

__all__ = ["Options", "Engine", "ServerThread", "ServedCall", "CallHandle", "BindingHandle"]


@dataclass(frozen=True)
class Options:
    """Switches for the facts sheet's ambiguities; the defaults are the course's decisions.

    ``legacy_provider_bump`` (A2), ``local_non_lrpc_like_ncalrpc`` (A9), ``second_hop`` (A16):
    'anonymous_logon' or 'client_error'; ``delegated_credentials_expired`` (R26): the delegated
    Kerberos identity has outlived its off-machine lifetime, so it works only locally;
    ``kerberos_delegation`` (R24, beyond the seeds): constrained and resource-based delegation as
    Kerberos really does them (see rpc_impersonation.kerberos).
    """

    legacy_provider_bump: bool = False
    local_non_lrpc_like_ncalrpc: bool = False
    second_hop: str = "anonymous_logon"
    delegated_credentials_expired: bool = False
    kerberos_delegation: bool = False

    def __post_init__(self) -> None:
        for name in ("legacy_provider_bump", "local_non_lrpc_like_ncalrpc", "delegated_credentials_expired",
                     "kerberos_delegation"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidValueError(name, getattr(self, name), "True or False", what="invalid")
        if self.second_hop not in ("anonymous_logon", "client_error"):
            raise InvalidValueError("second_hop", self.second_hop, ["anonymous_logon", "client_error"])


@dataclass(frozen=True, eq=False)
class CallHandle:
    """The server-side handle of one call being served (what RpcImpersonateClient takes)."""

    number: int
    caller: str
    server: str

    def __repr__(self) -> str:
        return f"<call handle #{self.number}: {self.caller} -> {self.server}>"


@dataclass(eq=False)
class BindingHandle:
    """A client-side binding handle; with static tracking it remembers the identity captured for it (R31)."""

    number: int
    server: str
    binding: Binding
    captured: Token | None = None

    def __repr__(self) -> str:
        return f"<binding handle #{self.number}: to {self.server}>"


def _level_of(token: Token) -> ImpLevel:
    """The token's level in request terms (a primary token acts like Impersonate or better)."""
    return ImpLevel.IMPERSONATE if token.level is None else token.level.to_request()


def _reason(row: Row, ctx: dict[str, Any]) -> Reason:
    """The row's reason in this context (written lazily: ``ctx`` must not be changed afterwards)."""
    return Reason.from_template(row.rule, row.sentence, ctx, row.decisive)


def _rules_of(reasons: list[Reason]) -> tuple[str, ...]:
    """The rules that decided something (pass-through notes are left out unless nothing else is there)."""
    decisive = [r.rule for r in reasons if r.decisive] or [r.rule for r in reasons]
    return tuple(dict.fromkeys(decisive))


def _usable(token: Token, engine: "Engine", target_machine: str,
            target_account: str | None) -> tuple[bool, bool, tuple[Reason, ...]]:
    """(credentials usable, target in scope, reasons) for authenticating to another machine (R18, R26, M2, R24)."""
    creds, options = token.session.credentials, engine.options
    if creds is Credentials.DELEGATED and options.delegated_credentials_expired:
        return False, True, (Reason("R26", f"{token.user}'s delegated Kerberos credentials have outlived their "
                                           "off-machine lifetime; they now work only locally."),)
    if not creds.usable and token.session.s4u is not None and options.kerberos_delegation and token.can_act:
        ok, reason = s4u_decision(engine.world, token.session.s4u, token.user, target_machine, target_account)
        return ok, True, (reason,)
    usable = creds.usable
    return usable, token.session.can_reach(target_machine) or not usable, ()


_REMEMBERED_CALLS = 65_536  # bound on remembered call decisions per engine; the memo starts afresh beyond it

_LEVEL_RULES = frozenset({"R4", "R6", "R7", "R9", "A2"})


def _origin(token: Token, row: Row) -> tuple[Reason, ...]:
    """Earlier reasons that explain why ``row`` fired for this token: its level (R15) or its credentials."""
    if row.rule == "R15":
        return tuple(r for r in token.origin if r.rule in _LEVEL_RULES)
    if row.rule in ("A16", "M2"):
        return tuple(r for r in token.origin if r.rule not in _LEVEL_RULES)
    return ()


@dataclass
class ServedCall:
    """A call that was made: the engine's decision and, if the server got to run, the thread serving it."""

    decision: CallDecision
    thread: "ServerThread | None"

    @property
    def ok(self) -> bool:
        return self.decision.ok


class Engine:
    """Evaluates calls and thread actions in one world, with one set of :class:`Options`."""

    def __init__(self, world: World, options: Options | None = None, *, remember: bool = True) -> None:
        world.validate()
        self.world = world
        self.options = options or Options()
        self.remember = remember  # reuse decisions of calls made again (see connect); off to measure, or in walks
        self._handles = 0
        self._active: dict[int, "ServerThread"] = {}
        self._decided: dict[tuple, tuple] = {}
        self._decided_version = world.version
        self._process_tokens: dict[tuple[str, str], Token] = {}
        self.com_security: dict[str, Any] = {}

    def co_initialize_security(self, process: str, level: object = "identify", authn_level: object = "connect",
                               cloaking: object = "none") -> Decision:
        """CoInitializeSecurity for a process (beyond the seeds; see rpc_impersonation.com)."""
        return co_initialize_security(self, process, level, authn_level, cloaking)

    def thread(self, process: str) -> "ServerThread":
        """A thread in ``process`` that is not serving any call (a client, or a server's worker thread)."""
        return ServerThread(self, self.world.get_process(process), None, None)

    def _next(self) -> int:
        self._handles += 1
        return self._handles

    # --- the call ---------------------------------------------------------------------------------
    def connect(self, caller: Process, presented: Token, server_name: str, binding: Binding) -> ServedCall:
        """Decide what happens when ``caller`` calls ``server_name`` presenting ``presented``.

        A call decision depends only on the world, the options and these four inputs, so the
        engine remembers it: the same call made again (same caller, the same token, server and
        binding) reuses the decision and only gets a fresh call handle and server thread. Any
        change to the world through its methods forgets every remembered decision.
        """
        if not isinstance(binding, Binding):
            raise InvalidValueError("binding", binding, "a Binding (use Binding.of(...))", what="invalid")
        world = self.world
        if self._decided_version != world.version:
            self._decided.clear()
            self._decided_version = world.version
        key = (caller.name, presented, server_name, binding)
        entry = self._decided.get(key) if self.remember else None
        if entry is None or entry[0] is not caller or entry[1] is not presented.origin:
            decision, server = self._decide_call(caller, presented, world.get_process(server_name), binding)
            if self.remember:
                if len(self._decided) >= _REMEMBERED_CALLS:
                    self._decided.clear()
                self._decided[key] = (caller, presented.origin, decision, server)
        else:
            decision, server = entry[2], entry[3]
        if not decision.ok:
            return ServedCall(decision, None)
        handle = CallHandle(self._next(), caller.name, server.name)
        thread = ServerThread(self, server, handle, decision)
        self._active[handle.number] = thread
        return ServedCall(decision, thread)

    def _decide_call(self, caller: Process, presented: Token, server: Process,
                     binding: Binding) -> tuple[CallDecision, Process]:
        """The call decision itself: a pure function of the world, the options and the inputs."""
        world, opts = self.world, self.options
        local = caller.machine.lower() == server.machine.lower()
        if binding.protseq is Protseq.NCALRPC and not local:
            raise InvalidValueError("protseq", "ncalrpc", f"ncacn_ip_tcp or ncacn_np to reach {server.machine} from "
                                    f"{caller.machine} (ncalrpc is local only)", what="unusable")
        qos = binding.qos
        client_name = (presented.user if not presented.is_primary or local
                       else world.network_identity(world.get_account(presented.user), caller.machine))
        ctx = {"caller": caller.name, "server": server.name, "client": client_name,
               "server_account": server.account.qualified, "machine": server.machine,
               "caller_machine": caller.machine, "protseq": binding.protseq.value, "api": binding.api.label,
               "requested_provider": binding.provider.label, "target": server.machine, "resource": "", "right": "",
               "handle": "", "level": "", "requested": qos.level.key, "provider": "", "default_level": ""}
        reasons: list[Reason] = []
        base = dict(caller=caller.name, server=server.name, caller_machine=caller.machine,
                    server_machine=server.machine, presented=client_name, server_account=server.account.qualified)

        def refuse(code: ErrorCode, **extra: Any) -> tuple[CallDecision, Process]:
            last = reasons[-1].sentence
            return CallDecision(action=f"call {caller.name} -> {server.name}", code=code, rules=_rules_of(reasons),
                                sentence=f"The call failed: {last}", reasons=tuple(reasons), rpc_api=True,
                                **base, **extra), server

        # 1. Which level does the client grant? (R4, R6)
        row = LEVEL_DEFAULT.decide(api=binding.api, requested=qos.level)
        if row.effect == "machine":
            level = world.get_machine(caller.machine).com_default_level
        elif row.effect == "complus":
            level = caller.complus_default_level
        elif isinstance(row.effect, ImpLevel):
            level = row.effect
        else:
            level = qos.level
        ctx = {**ctx, "default_level": level.key, "requested": level.key}
        reasons.append(_reason(row, ctx))

        # 2. Which security package runs? (R4, R22, R30, M5)
        caller_m, server_m = world.get_machine(caller.machine), world.get_machine(server.machine)
        named = binding.target_name is TargetName.NAME or (caller_m.try_ip_spn and server_m.ip_spn)
        row = PROVIDER.decide(requested=binding.provider, api=binding.api, protseq=binding.protseq, local=local,
                              kerberos_ok=world.kerberos_between(caller.machine, server.machine), named=named)
        reasons.append(_reason(row, ctx))
        if isinstance(row.effect, ErrorCode):
            return refuse(row.effect, requested=level)
        provider: Provider = row.effect
        ctx = {**ctx, "provider": provider.label}

        # 3. Can the presented token authenticate at all, here or there? (R15, M3, R18, M2, A16)
        security = "ssp" if provider is not Provider.NONE else (
            "transport" if binding.protseq in (Protseq.NCALRPC, Protseq.NCACN_NP) else "none")
        arrives = "none"
        identity = client_name
        if security != "none":
            target_acct = world.network_account(server.account, server.machine)
            usable, in_scope, extra = _usable(presented, self, server.machine,
                                              target_acct.qualified if target_acct else None)
            row = OUTBOUND.decide(primary=presented.is_primary, level=_level_of(presented), remote=not local,
                                  credentials=usable, in_scope=in_scope, mode=opts.second_hop)
            ctx = {**ctx, "level": "primary" if presented.level is None else presented.level.label}
            if row.decisive:
                reasons.append(_reason(row, ctx))
                reasons.extend(extra)
                reasons.extend(_origin(presented, row))
            elif extra and not local:
                reasons.extend(extra)  # constrained or resource-based delegation let the identity through
            if isinstance(row.effect, ErrorCode):
                return refuse(row.effect, requested=level, provider=provider)
            arrives = "anonymous_logon" if row.effect == "anonymous" else "authenticated"
            if arrives == "anonymous_logon":
                identity = ANONYMOUS_LOGON
        presenter = world.network_account(world.get_account(client_name), caller.machine) \
            if arrives == "authenticated" and client_name.lower() in world.accounts else None

        # 4. Protected Users and NTLM (R25); mutual authentication (R21, A5, A6).
        mutual = False
        if arrives == "authenticated" and provider is not Provider.NONE:
            row = NTLM_ALLOWED.decide(protected=bool(presenter and presenter.protected_user), provider=provider,
                                      remote=not local)
            if isinstance(row.effect, ErrorCode):
                reasons.append(_reason(row, ctx))
                return refuse(row.effect, requested=level, provider=provider)
            row = MUTUAL_AUTH.decide(provider=provider, asked=qos.mutual_auth, api=binding.api, spn=binding.spn)
            mutual, error = row.effect
            if qos.mutual_auth or row.rule != "R21" or error:
                reasons.append(_reason(row, ctx))
            if error:
                return refuse(error, requested=level, provider=provider)

        # 5. Which level arrives? (R7, R30, A2)
        row = ARRIVAL_LEVEL.decide(protseq=binding.protseq, provider=provider, level=level,
                                   bump=opts.legacy_provider_bump)
        no_qos = row.effect == "no qos"  # unauthenticated: the level asked for is never sent (R4)
        delivered = level if row.effect is None or no_qos else row.effect
        if row.effect is not None:
            reasons.append(_reason(row, ctx))

        # 6. Delegation (R19, R20, R25, A4, M2).
        delegation = "none"
        if delivered is ImpLevel.DELEGATE and not no_qos:
            if arrives == "anonymous_logon":
                delivered, delegation = ImpLevel.IMPERSONATE, "refused"
            else:
                server_acct = world.network_account(server.account, server.machine)
                trust = server_acct.delegation if server_acct else "none"
                if opts.kerberos_delegation and trust == "listed":
                    trust = "none"
                    reasons.append(Reason("R24", f"{server_acct.qualified} is trusted for constrained delegation "
                                                 "only: it never receives a forwarded ticket, whatever the client asks."))
                # a session that acts as the user only through S4U2proxy holds no TGT to forward (R24)
                session = presented.session
                tgt = session.s4u is None or session.credentials.usable
                row = DELEGATION.decide(remote=not local, provider=provider, mutual=mutual, server_trust=trust,
                                        delegable=presenter.delegable if presenter else False, tgt=tgt,
                                        scoped=session.scope is not None)
                ctx = {**ctx, "server_account": server_acct.qualified if server_acct else server.account.qualified}
                reasons.append(_reason(row, ctx))
                delegation = row.effect
                if delegation == "refused":
                    ignore = qos.ignore_delegation_failure or caller_m.ignore_delegation_failure
                    row = DELEGATION_REFUSED.decide(ignore=ignore)
                    reasons.append(_reason(row, ctx))
                    if isinstance(row.effect, ErrorCode):
                        return refuse(row.effect, requested=level, provider=provider)
                    delivered = ImpLevel.IMPERSONATE
        ctx = {**ctx, "level": delivered.to_token().label}

        # 7. Does the server let the caller in? (M1)
        if security == "none":
            arrives_as = "none"
        else:
            arrives_as = arrives
        gate_ctx = dict(ctx, client=identity if security != "none" else "an unauthenticated caller")
        row = SERVER_GATE.decide(requires_auth=server.requires_authentication, arrives=arrives_as)
        if isinstance(row.effect, ErrorCode):
            reasons.append(_reason(row, gate_ctx))
            return refuse(row.effect, requested=level, provider=provider)

        # 8. The client context the server receives (R18, R19, R27, R29, A4, A9).
        context: Token | None = None
        if security != "none":
            if arrives == "anonymous_logon":
                session = LogonSession(ANONYMOUS_LOGON, server.machine, "anonymous", Credentials.NONE)
                context = Token(ANONYMOUS_LOGON, session, min(delivered, ImpLevel.IMPERSONATE).to_token(),
                                tuple(r for r in reasons if r.decisive))
            else:
                row = CREDENTIALS.decide(protseq=binding.protseq, local=local, level=delivered, delegation=delegation,
                                         like_ncalrpc=opts.local_non_lrpc_like_ncalrpc)
                reasons.append(_reason(row, ctx))
                if row.effect == "shared":
                    session = presented.session
                elif row.effect == "delegated":
                    scope = tuple(server_acct.delegate_to) if server_acct and server_acct.delegation == "listed" else None
                    session = LogonSession(client_name, server.machine, "network", Credentials.DELEGATED, scope)
                else:
                    s4u = None
                    server_acct = world.network_account(server.account, server.machine)
                    if opts.kerberos_delegation and server_acct is not None and provider in (Provider.KERBEROS,
                                                                                               Provider.NTLM):
                        s4u = S4U(server_acct.qualified, provider.label)
                    session = LogonSession(client_name, server.machine, "network", Credentials.NONE, s4u=s4u)
                context = Token(client_name, session, delivered.to_token(), tuple(r for r in reasons if r.decisive))

        if context is None:
            sentence = f"{server.name} accepted an unauthenticated call from {caller.name}; it cannot impersonate it."
        elif context.level is TokenLevel.ANONYMOUS:
            sentence = f"{server.name} was called anonymously: its token for the caller carries no identity."
        else:
            reach = ("and can use that identity on other machines too" if context.network_credentials
                     else f"and cannot use that identity beyond {server.machine}")
            sentence = f"{server.name} sees {context.user} at {context.level.label} level {reach}."
        decision = CallDecision(action=f"call {caller.name} -> {server.name}", code=ErrorCode.ERROR_SUCCESS,
                                rules=_rules_of(reasons), sentence=sentence, reasons=tuple(reasons), rpc_api=True,
                                requested=level, provider=provider, delegated=delegation == "delegated",
                                context=context, authenticated=security != "none" and arrives == "authenticated",
                                **base)
        return decision, server


class ServerThread(ComThreadMixin):
    """A thread in a process, possibly serving one call. Mirrors the RPC server API (R10-R17, R40);
    COM's CoImpersonateClient / CoRevertToSelf come from :class:`ComThreadMixin` (beyond the seeds)."""

    def __init__(self, engine: Engine, process: Process, handle: CallHandle | None,
                 call: CallDecision | None) -> None:
        self.engine = engine
        self.process = process
        self.call_handle = handle
        self.call_decision = call
        self.thread_token: Token | None = None
        self.impersonation_failed = False
        self.history: list[Decision] = []
        self.ended = False
        kind = "service" if call is not None or process.account.builtin else "interactive"
        tokens = engine._process_tokens
        token = tokens.get((process.name, kind))
        if token is None:  # tokens are immutable: every thread of a process shares its primary token
            name = process.account.qualified
            token = tokens[process.name, kind] = Token(name, LogonSession(name, process.machine, kind,
                                                                          Credentials.OWN))
        self.process_token = token
        self._world = engine.world

    # --- state ------------------------------------------------------------------------------------
    @property
    def effective_token(self) -> Token:
        """The thread token while impersonating, otherwise the process's primary token."""
        return self.thread_token or self.process_token

    @property
    def acting_as(self) -> str:
        return self.effective_token.visible_identity if self.thread_token else self.process.account.qualified

    @property
    def impersonating(self) -> bool:
        return self.thread_token is not None

    def _ctx(self, **extra: Any) -> dict[str, Any]:
        call = self.call_decision
        ctx = {"caller": call.caller if call else "(none)", "server": self.process.name,
               "client": self.effective_token.user, "server_account": self.process.account.qualified,
               "machine": self.process.machine, "caller_machine": call.caller_machine if call else "",
               "level": "", "requested": "", "provider": "", "requested_provider": "", "protseq": "", "api": "",
               "default_level": "", "target": "", "resource": "", "right": "", "handle": ""}
        ctx.update(extra)
        return ctx

    def _record(self, decision: Decision) -> Decision:
        self.history.append(decision)
        return decision

    def _classify(self, handle: object) -> tuple[str, "ServerThread | None"]:
        if handle is None or (isinstance(handle, int) and not isinstance(handle, bool) and handle == 0):
            return ("no call", None) if self.call_handle is None or self.ended else ("own call", self)
        if isinstance(handle, CallHandle):
            owner = self.engine._active.get(handle.number)
            if owner is None or owner.call_handle is not handle:
                return "invalid", None
            return ("own call" if owner is self else "other call"), owner
        if isinstance(handle, BindingHandle):
            return "client binding", None
        return "invalid", None

    # --- RpcImpersonateClient / RpcRevertToSelf(Ex) ---------------------------------------------------
    def rpc_impersonate_client(self, handle: object = 0) -> ImpersonationResult:
        """RpcImpersonateClient(handle): 0 means the call this thread is serving (R9, R10, R11, R12).

        Taught in notebooks/01_security_context.ipynb.
        """
        kind, owner = self._classify(handle)
        call = owner.call_decision if owner else None
        context = call.context if call else None
        if call is None:
            ctx_kind = "none"
        elif context is None:
            ctx_kind = "none"
        else:
            ctx_kind = "ssp" if call.provider not in (None, Provider.NONE) else "transport"
        same = context is not None and context.user.lower() == self._world.network_identity(
            self.process.account, self.process.machine).lower()
        row = IMPERSONATE.decide(handle=kind, context=ctx_kind,
                                 privilege=self.process.impersonate_privilege or same)
        token = None
        if row.effect in ("ok", "identify") and context is not None:
            level = context.level if row.effect == "ok" else min(context.level, TokenLevel.IDENTIFICATION)
            token = Token(context.user, context.session, level)
        anonymous = token is not None and token.level is TokenLevel.ANONYMOUS  # names nobody (R15, R30)
        client = "an anonymous caller" if anonymous else context.visible_identity if context else "nobody"
        ctx = self._ctx(client=client, handle=repr(handle), caller=call.caller if call else "(none)",
                        level=token.level.label if token else "")
        reasons = [_reason(row, ctx)]
        if token is not None:
            origin = context.origin + ((reasons[0],) if row.effect == "identify" else ())
            token = Token(token.user, token.session, token.level, origin)
        if token is None:
            code = row.effect
            self.impersonation_failed = True
            still = self.acting_as
            reasons.append(Reason("R11", f"The thread's token is unchanged: it still acts as {still}."))
            sentence = f"RpcImpersonateClient failed; the thread still acts as {still}."
        else:
            code = ErrorCode.ERROR_SUCCESS
            if self.thread_token is not None:
                reasons.append(Reason("R12", "The new impersonation replaced the previous thread token."))
            self.thread_token = token
            self.impersonation_failed = False
            sentence = reasons[0].sentence
        return self._record(ImpersonationResult(action="RpcImpersonateClient", code=code, rules=_rules_of(reasons),
                                                sentence=sentence, reasons=tuple(reasons), rpc_api=True,
                                                token=self.thread_token, acting_as=self.acting_as))

    def rpc_revert_to_self(self) -> ImpersonationResult:
        """RpcRevertToSelf(): end impersonation for the call this thread serves (R13)."""
        return self._revert(0, "RpcRevertToSelf")

    def rpc_revert_to_self_ex(self, handle: object = 0) -> ImpersonationResult:
        """RpcRevertToSelfEx(handle): as RpcRevertToSelf, or for the call ``handle`` from another thread (R13)."""
        return self._revert(handle, "RpcRevertToSelfEx")

    def _revert(self, handle: object, api: str) -> ImpersonationResult:
        kind, _ = self._classify(handle)
        row = REVERT.decide(handle=kind, impersonating=self.thread_token is not None)
        ctx = self._ctx(handle=repr(handle))
        reasons = [_reason(row, ctx)]
        if isinstance(row.effect, ErrorCode):
            code = row.effect
            reasons.append(Reason("R11", f"Nothing changed: the thread still acts as {self.acting_as}."))
        else:
            code = ErrorCode.ERROR_SUCCESS
            self.thread_token, self.com_depth = None, 0  # a revert ends stacked COM impersonations too (R12)
        return self._record(ImpersonationResult(action=api, code=code, rules=_rules_of(reasons),
                                                sentence=reasons[0].sentence if code else reasons[0].sentence,
                                                reasons=tuple(reasons), rpc_api=True, token=self.thread_token,
                                                acting_as=self.acting_as))

    def end_call(self) -> Decision:
        """The manager routine returns. RPC does not revert for you: a forgotten revert is a finding (R14)."""
        if self.call_handle is None:
            raise InvalidValueError("thread", self.process.name, "a thread serving a call", what="not serving")
        self.ended = True
        self.engine._active.pop(self.call_handle.number, None)
        com_end = self._com_end_of_call()
        if com_end is not None:
            return self._record(com_end)
        if self.thread_token is not None:
            d = Decision(action="end of call", code=ErrorCode.ERROR_SUCCESS, rules=("R14",),
                         sentence=f"The handler returned while still impersonating {self.thread_token.user}: RPC "
                                  f"does not revert automatically, so this thread keeps acting as "
                                  f"{self.thread_token.user} until someone reverts it.",
                         reasons=(Reason("R14", "Impersonation still active at the end of the call."),))
        else:
            d = Decision(action="end of call", code=ErrorCode.ERROR_SUCCESS, rules=("R13",),
                         sentence="The handler returned with the thread back to the server's own identity.")
        return self._record(d)

    @property
    def still_impersonating_after_call(self) -> bool:
        """The 'forgot to revert' finding (R14)."""
        return self.ended and self.thread_token is not None

    # --- using the token ------------------------------------------------------------------------------
    def _act(self, target_machine: str) -> tuple[Row, str | None, tuple[Reason, ...]]:
        """Decide as whom the thread reaches ``target_machine`` (None identity: refused), with extra reasons."""
        token = self.effective_token
        remote = target_machine.lower() != self.process.machine.lower()
        creds, in_scope, extra = _usable(token, self.engine, target_machine,
                                         self._world.computer_account(target_machine))
        extra = extra if remote else ()
        row = OUTBOUND.decide(primary=token.is_primary, level=_level_of(token), remote=remote, credentials=creds,
                              in_scope=in_scope, mode=self.engine.options.second_hop)
        if isinstance(row.effect, ErrorCode):
            return row, None, extra
        if row.effect == "anonymous":
            return row, ANONYMOUS_LOGON, extra
        if token.is_primary and remote:
            return row, self._world.network_identity(self.process.account, self.process.machine), extra
        return row, token.user, extra

    def open(self, resource: str, right: object = "read") -> AccessDecision:
        """Open a resource with the thread's effective token (R11, R15, R17, R18, M4, A16).

        Taught in notebooks/02_levels.ipynb.
        """
        res = self._world.get_resource(resource)
        want = parse(Right, right, "right")
        token = self.effective_token
        ctx = self._ctx(resource=res.name, right=want.value, target=res.machine,
                        client=token.user if not token.is_primary else self.process.account.qualified,
                        level=token.level.label if token.level is not None else "primary")
        row, identity, extra = self._act(res.machine)
        reasons = [_reason(row, ctx), *extra, *_origin(token, row)]
        if token.is_primary and self.impersonation_failed:
            reasons.insert(0, Reason("R11", f"The last impersonation failed, so the thread is still "
                                            f"{self.process.account.qualified}, the server's own account."))
        action = f"open {res.name} ({want.value})"
        if identity is None:
            return self._record(AccessDecision(action=action, code=row.effect, rules=_rules_of(reasons),
                                               sentence=reasons[-1].sentence, reasons=tuple(reasons), resource=res.name,
                                               machine=res.machine, right=want.value, identity=""))
        return self._record(self._acl(action, res, want, identity, reasons))

    def access_check(self, resource: str, right: object = "read") -> AccessDecision:
        """AccessCheck against the thread's impersonation token, without opening anything (R16, M4)."""
        res = self._world.get_resource(resource)
        want = parse(Right, right, "right")
        token = self.effective_token
        row = ACCESS_CHECK.decide(primary=token.is_primary, level=_level_of(token))
        ctx = self._ctx(resource=res.name, client=token.user)
        reasons = [_reason(row, ctx)]
        action = f"AccessCheck {res.name} ({want.value})"
        if isinstance(row.effect, ErrorCode):
            return self._record(AccessDecision(action=action, code=row.effect, rules=_rules_of(reasons),
                                               sentence=reasons[0].sentence, reasons=tuple(reasons),
                                               resource=res.name, machine=res.machine, right=want.value, identity=""))
        return self._record(self._acl(action, res, want, token.user, reasons, opened=False))

    def open_thread_token(self, open_as_self: bool = True) -> ImpersonationResult:
        """OpenThreadToken + GetTokenInformation: learn who the client is (R15, R16, A3).

        Taught in notebooks/02_levels.ipynb.
        """
        token = self.thread_token
        row = OPEN_THREAD_TOKEN.decide(impersonating=token is not None,
                                       level=_level_of(token) if token else ImpLevel.IMPERSONATE,
                                       open_as_self=bool(open_as_self))
        reasons = [_reason(row, self._ctx(client=token.user if token else ""))]
        code = row.effect if isinstance(row.effect, ErrorCode) else ErrorCode.ERROR_SUCCESS
        return self._record(ImpersonationResult(action="OpenThreadToken", code=code, rules=_rules_of(reasons),
                                                sentence=reasons[0].sentence, reasons=tuple(reasons),
                                                token=token, acting_as=self.acting_as))

    def _acl(self, action: str, res: Resource, want: Right, identity: str, reasons: list[Reason],
             opened: bool = True) -> AccessDecision:
        names = self._world.memberships(identity)
        denied = [a for a in res.acl if not a.allow and want in a.rights and a.principal.lower() in names]
        allowed = [a for a in res.acl if a.allow and want in a.rights and a.principal.lower() in names]
        verb = "opened" if opened else "may open"
        if denied:
            code, why = ErrorCode.ERROR_ACCESS_DENIED, f"a deny entry for {denied[0].principal} refuses {want.value}"
        elif allowed:
            code, why = ErrorCode.ERROR_SUCCESS, f"the entry for {allowed[0].principal} allows {want.value}"
        else:
            code, why = ErrorCode.ERROR_ACCESS_DENIED, f"no entry allows {want.value} to {identity}"
        reasons.append(Reason("M4", f"{res.name}'s ACL: {why}."))
        if code is ErrorCode.ERROR_SUCCESS:
            sentence = f"{self.process.name} {verb} {res.name} on {res.machine} as {identity}: allowed."
        else:
            sentence = f"{self.process.name} was refused {res.name} on {res.machine} as {identity}: access denied."
        return AccessDecision(action=action, code=code, rules=_rules_of(reasons), sentence=sentence,
                              reasons=tuple(reasons), resource=res.name, machine=res.machine, right=want.value,
                              identity=identity)

    # --- calling onward ---------------------------------------------------------------------------------
    def bind(self, server: str, binding: Binding) -> BindingHandle:
        """Create a binding handle (plain RPC) or obtain a proxy (COM) and capture the outbound identity now
        where the rules say so: static SSP tracking (R31), static cloaking set on the proxy's blanket (R32).
        Transport-level static tracking and static cloaking from CoInitializeSecurity capture at the first call."""
        self._world.get_process(server)
        handle = BindingHandle(self.engine._next(), server, binding)
        if binding.api is not ApiFamily.RPC:
            if proxy_cloaking(self.engine, self.process.name, binding) == (Cloaking.STATIC, "blanket"):
                handle.captured = self.effective_token
        elif binding.qos.tracking is Tracking.STATIC and binding.provider is not Provider.NONE:
            handle.captured = self.effective_token
        return handle

    def call(self, server: str | BindingHandle, binding: Binding | None = None) -> ServedCall:
        """Call a server from this thread, presenting the identity R31 picks; returns the served call.

        COM bindings go through rpc_impersonation.com (cloaking decides the identity, R32)."""
        com = binding if isinstance(server, str) else server.binding
        if com is not None and com.api is not ApiFamily.RPC:
            if isinstance(server, BindingHandle):
                cloaking, _ = proxy_cloaking(self.engine, self.process.name, server.binding)
                if cloaking is Cloaking.STATIC and server.captured is None:
                    server.captured = self.effective_token  # static cloaking from CoInitializeSecurity: first call
                return com_call(self, server.server, server.binding, captured=server.captured)
            return com_call(self, server, binding)
        if isinstance(server, BindingHandle):
            handle = server
            if handle.binding.qos.tracking is Tracking.STATIC and handle.captured is None:
                handle.captured = self.effective_token  # transport-level static: first call (R31)
            presented = handle.captured if handle.binding.qos.tracking is Tracking.STATIC else self.effective_token
            served = self.engine.connect(self.process, presented, handle.server, handle.binding)
            if presented is not self.effective_token and presented.user != self.effective_token.user:
                when = "when it was set up" if handle.binding.provider is not Provider.NONE else "at its first call"
                why = Reason("R31", f"The binding to {handle.server} uses static identity tracking and captured "
                                    f"{presented.user} {when}, so the call carries {presented.user}, "
                                    f"not {self.effective_token.user}, the identity the thread has now.")
                decision = replace(served.decision, reasons=(why, *served.decision.reasons),
                                   rules=("R31", *served.decision.rules))
                if served.thread is not None:
                    served.thread.call_decision = decision
                served = ServedCall(decision, served.thread)
        else:
            if binding is None:
                raise InvalidValueError("binding", None, "a Binding (use Binding.of(...))", what="missing")
            served = self.engine.connect(self.process, self.effective_token, server, binding)
        self._record(served.decision)
        return served

    def __repr__(self) -> str:
        serving = f"serving {self.call_handle!r}" if self.call_handle else "not serving a call"
        return f"<ServerThread in {self.process.name} on {self.process.machine}, {serving}, acting as {self.acting_as}>"
