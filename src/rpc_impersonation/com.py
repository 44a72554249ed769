"""COM's security blanket and cloaking. BEYOND THE SEEDS: the two seed documents stop at levels and
delegation; this module adds R32-R38 of the facts sheet. It is a plug-in: it registers with
:data:`plugins.REGISTRY` (COM and COM+ calls and bindings, the thread operations CoImpersonateClient
and CoRevertToSelf, the engine operation CoInitializeSecurity, its hooks at a revert and at the end of a
call, and its tables); the core never imports it.

* ``CoInitializeSecurity`` sets a process's defaults once (a second call: RPC_E_TOO_LATE; DEFAULT
  level or both cloaking flags: E_INVALIDARG).
* ``CoSetProxyBlanket`` settings travel in :class:`Binding` (``api='com'``, ``cloaking``,
  ``auth_identity``); contradictory ones are refused with E_INVALIDARG (R35).
* The identity an impersonating COM server presents downstream depends on cloaking (R32): none,
  the process identity; static, the identity at the proxy's first call; dynamic, the thread's
  identity on every call.
* ``CoImpersonateClient`` fails on an unauthenticated call (R36); one ``CoRevertToSelf`` undoes any
  number of impersonations (R37); COM reverts by itself when the method returns (R38).

Taught in notebooks/07_beyond_the_seeds.ipynb.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .binding import Binding
from .com_tables import (
    CO_IMPERSONATE,
    CO_INIT,
    CO_REVERT,
    COM_AUTHN_LEVEL,
    COM_BLANKET,
    COM_IDENTITY,
    COM_TABLES,
    ComIdentity,
)
from .constants import ApiFamily, AuthnLevel, Cloaking, ErrorCode, ImpLevel, Provider, parse
from .decisions import CallDecision, Decision, ImpersonationResult
from .plugins import REGISTRY
from .reason import Reason
from .rules import Row
from .thread import BindingHandle, EngineCore, ServedCall, ServerThread
from .tokens import Credentials, LogonSession, Token
from .world import Process

__all__ = [
    "ComSecurity",
    "co_initialize_security",
    "proxy_cloaking",
    "com_call",
    "co_impersonate_client",
    "co_revert_to_self",
    "COM_TABLES",
]


@dataclass(frozen=True)
class ComSecurity:
    """What CoInitializeSecurity set for one process."""

    level: ImpLevel
    authn_level: AuthnLevel
    cloaking: Cloaking


def co_initialize_security(
    engine: EngineCore,
    process: str,
    level: object = "identify",
    authn_level: object = "connect",
    cloaking: object = "none",
) -> Decision:
    """CoInitializeSecurity for ``process`` (R6, R35)."""
    proc = engine.world.get_process(process)
    lvl = parse(ImpLevel, level, "level")
    alvl = parse(AuthnLevel, authn_level, "authn_level")
    cloak = parse(Cloaking, cloaking, "cloaking")
    if cloak is Cloaking.DEFAULT:
        cloak = Cloaking.NONE
    row = CO_INIT.decide(
        already=proc.name in _settings(engine),
        level_default=lvl is ImpLevel.DEFAULT,
        both_cloaking=cloak is Cloaking.BOTH,
    )
    sentence = row.sentence.format(
        caller=proc.name,
        server="",
        client="",
        process_identity="",
        cloaking=cloak.value,
        level=lvl.key,
        authn=alvl.key,
        server_authn="",
    )
    code = row.effect if isinstance(row.effect, ErrorCode) else ErrorCode.ERROR_SUCCESS
    if code is ErrorCode.ERROR_SUCCESS:
        _settings(engine)[proc.name] = ComSecurity(lvl, alvl, cloak)
    return Decision(
        action=f"CoInitializeSecurity in {proc.name}",
        code=code,
        rules=(row.rule,),
        sentence=sentence,
        reasons=(Reason(row.rule, sentence),),
        com_api=True,
    )


def proxy_cloaking(engine: EngineCore, process: str, binding: Binding) -> tuple[Cloaking, str]:
    """A proxy's cloaking and where it comes from: ``"blanket"`` (CoSetProxyBlanket set it) or ``"process"``
    (CoInitializeSecurity's, or the API family's default). Static cloaking captures at SetBlanket time in the
    first case and at the proxy's first call in the second (R32)."""
    if binding.cloaking is not Cloaking.DEFAULT:
        return binding.cloaking, "blanket"
    own = _settings(engine).get(process)
    if own is not None and binding.api is ApiFamily.COM:
        return own.cloaking, "process"
    return binding.effective_cloaking, "process"


def com_call(thread: ServerThread, server: str, binding: Binding, captured: Token | None = None) -> ServedCall:
    """A COM call from ``thread``: blanket, cloaking and authentication level, then the core's call."""
    engine, world = thread.engine, thread.engine.world
    reasons: list[Reason] = []
    own = _settings(engine).get(thread.process.name)
    if own is not None and binding.qos.level is ImpLevel.DEFAULT:
        binding = binding.with_(level=own.level.key)
        reasons.append(
            Reason(
                "R6",
                f"{thread.process.name} set level {own.level.key} with CoInitializeSecurity, "
                "so its COM calls use it instead of the machine-wide default.",
            )
        )
    cloaking, source = proxy_cloaking(engine, thread.process.name, binding)
    ctx: dict[str, Any] = {
        "caller": thread.process.name,
        "server": server,
        "client": "",
        "process_identity": thread.process.account.qualified,
        "cloaking": cloaking.value,
        "level": binding.qos.level.key,
    }
    row = COM_BLANKET.decide(
        cloaking=cloaking,
        explicit=bool(binding.auth_identity),
        level_none=binding.authn_level is AuthnLevel.NONE,
        service_none=binding.provider is Provider.NONE,
    )
    target = world.get_process(server)
    if isinstance(row.effect, ErrorCode):
        why = [Reason(row.rule, row.sentence.format(**ctx))]
        return _refused(thread, target, "CoSetProxyBlanket", row.effect, why)
    presented, reason = _outbound_identity(thread, binding, cloaking, source, captured, ctx)
    reasons.append(reason)
    row, negotiated = _authentication_level(engine, own, target, binding, ctx)
    reasons.append(Reason(row.rule, row.sentence.format(**ctx), row.decisive))
    if isinstance(row.effect, ErrorCode):
        return _refused(thread, target, "call", row.effect, reasons)
    if negotiated is AuthnLevel.NONE:
        binding = replace(binding, provider=Provider.NONE)
    served = engine.connect(thread.process, presented, server, binding)
    d = served.decision
    decision = replace(
        d,
        reasons=tuple(reasons) + d.reasons,
        rules=tuple(dict.fromkeys([r.rule for r in reasons if r.decisive] + list(d.rules))),
        com_api=True,
    )
    if served.thread is not None:
        served.thread.call_decision = decision
    thread._record(decision)
    return ServedCall(decision, served.thread)


def _refused(thread: ServerThread, target: Process, action: str, code: ErrorCode, why: list[Reason]) -> ServedCall:
    """A COM call refused before it reached the server (the blanket or the authentication level)."""
    decision = CallDecision(
        action=f"{action} {thread.process.name} -> {target.name}",
        code=code,
        rules=(why[-1].rule,),
        sentence=why[-1].sentence,
        reasons=tuple(why),
        com_api=True,
        caller=thread.process.name,
        server=target.name,
        caller_machine=thread.process.machine,
        server_machine=target.machine,
        presented="",
        server_account=target.account.qualified,
    )
    thread._record(decision)
    return ServedCall(decision, None)


def _outbound_identity(
    thread: ServerThread, binding: Binding, cloaking: Cloaking, source: str, captured: Token | None, ctx: dict[str, Any]
) -> tuple[Token, Reason]:
    """Which identity goes out, and why (R32); sets ``ctx["client"]``."""
    explicit: Token | None = None
    if binding.auth_identity:
        account = thread.engine.world.get_account(binding.auth_identity)
        explicit = Token(
            account.qualified,
            LogonSession(account.qualified, thread.process.machine, "explicit credentials", Credentials.OWN),
        )
    row = COM_IDENTITY.decide(
        cloaking=Cloaking.NONE if cloaking is Cloaking.BOTH else cloaking,
        explicit=bool(binding.auth_identity),
        impersonating=thread.impersonating,
        source=source,
    )
    presented = {
        ComIdentity.EXPLICIT: explicit,
        ComIdentity.PROCESS: thread.process_token,
        ComIdentity.THREAD: thread.effective_token,
        ComIdentity.CAPTURED: captured or thread.effective_token,
    }[row.effect]
    assert presented is not None  # COM_IDENTITY picks "explicit" only when an identity was given
    ctx["client"] = presented.user
    sentence = row.sentence.format(**ctx)
    now = thread.effective_token.user
    if row.effect is ComIdentity.CAPTURED and presented.user != now:
        sentence += f" The thread is {now} now; that does not change what the proxy presents."
    return presented, Reason(row.rule, sentence)


def _authentication_level(
    engine: EngineCore, own: ComSecurity | None, target: Process, binding: Binding, ctx: dict[str, Any]
) -> tuple[Row, AuthnLevel]:
    """The authentication level (R34): a level left to COM is the higher of client and server; a level set on
    the blanket is used as given, and the server refuses it if it is lower than its own. NONE: no authentication.
    Sets ``ctx["authn"]`` and ``ctx["server_authn"]``."""
    theirs = _settings(engine).get(target.name)
    server_level = theirs.authn_level if theirs is not None else AuthnLevel.CONNECT
    as_set = binding.authn_level is not AuthnLevel.DEFAULT
    mine = binding.authn_level if as_set else (own.authn_level if own is not None else AuthnLevel.CONNECT)
    negotiated = mine if as_set else max(mine, server_level)
    row = COM_AUTHN_LEVEL.decide(explicit=as_set, below=mine < server_level)
    ctx.update(authn=negotiated.key, server_authn=server_level.key)
    return row, negotiated


def _settings(engine: EngineCore) -> dict[str, ComSecurity]:
    """What CoInitializeSecurity set, per process, in this engine."""
    return engine.state["com_security"]  # type: ignore[no-any-return]


def _com_call_served(thread: ServerThread) -> bool:
    call = thread.call_decision
    return call is not None and not thread.ended and call.com_api


def co_impersonate_client(thread: ServerThread) -> ImpersonationResult:
    """CoImpersonateClient: S_OK or E_FAIL; impersonations stack until one CoRevertToSelf (R36, R37)."""
    call = thread.call_decision
    row = CO_IMPERSONATE.decide(com_call=_com_call_served(thread), authenticated=bool(call and call.context))
    ctx = {
        "caller": call.caller if call else "",
        "server": thread.process.name,
        "process_identity": "",
        "cloaking": "",
        "level": "",
        "client": call.context.user if call and call.context else "",
    }
    if isinstance(row.effect, ErrorCode):
        sentence = row.sentence.format(**ctx)
        reasons = (Reason(row.rule, sentence), Reason("R11", f"The thread still acts as {thread.acting_as}."))
        return thread._record(
            ImpersonationResult(
                action="CoImpersonateClient",
                code=row.effect,
                rules=("R36", "R11"),
                sentence=sentence,
                reasons=reasons,
                com_api=True,
                token=thread.thread_token,
                acting_as=thread.acting_as,
            )
        )
    result = thread.rpc_impersonate_client()
    if result.ok:
        thread.state["com_depth"] += 1
    thread.history.pop()  # recorded once, as CoImpersonateClient
    return thread._record(replace(result, action="CoImpersonateClient", com_api=True, rpc_api=False))


def co_revert_to_self(thread: ServerThread) -> ImpersonationResult:
    """CoRevertToSelf: one call ends every stacked impersonation (R37); without a COM call it fails (E_FAIL)."""
    row = CO_REVERT.decide(com_call=_com_call_served(thread))
    if isinstance(row.effect, ErrorCode):
        sentence = row.sentence.format(client=thread.acting_as)
        return thread._record(
            ImpersonationResult(
                action="CoRevertToSelf",
                code=row.effect,
                rules=(row.rule,),
                sentence=sentence,
                reasons=(Reason(row.rule, sentence),),
                com_api=True,
                token=thread.thread_token,
                acting_as=thread.acting_as,
            )
        )
    depth, thread.state["com_depth"] = thread.state["com_depth"], 0
    thread.thread_token = None
    sentence = (
        f"One CoRevertToSelf ended all {depth} impersonations; the thread is {thread.acting_as} again."
        if depth > 1
        else row.sentence.format(client=thread.acting_as)
    )
    return thread._record(
        ImpersonationResult(
            action="CoRevertToSelf",
            code=ErrorCode.ERROR_SUCCESS,
            rules=("R37",),
            sentence=sentence,
            reasons=(Reason("R37", sentence),),
            com_api=True,
            token=None,
            acting_as=thread.acting_as,
        )
    )


def _end_of_call(thread: ServerThread) -> Decision | None:
    """COM reverts by itself when the method returns (R38); None for plain RPC calls."""
    call = thread.call_decision
    if call is None or not call.com_api:
        return None
    was = thread.thread_token.user if thread.thread_token is not None else None
    thread.thread_token, thread.state["com_depth"] = None, 0
    sentence = (
        f"The method returned while impersonating {was}; COM reverted the thread automatically."
        if was
        else "The method returned; COM's call is over."
    )
    return Decision(
        action="end of call",
        code=ErrorCode.ERROR_SUCCESS,
        rules=("R38",),
        sentence=sentence,
        reasons=(Reason("R38", sentence),),
        com_api=True,
    )


def _on_revert(thread: ServerThread) -> None:
    thread.state["com_depth"] = 0  # a revert ends stacked COM impersonations too (R12)


def _call(thread: ServerThread, server: str | BindingHandle, binding: Binding) -> ServedCall:
    """A COM call through a proxy (a binding handle) or straight to a server by name."""
    if isinstance(server, BindingHandle):
        cloaking, _ = proxy_cloaking(thread.engine, thread.process.name, server.binding)
        if cloaking is Cloaking.STATIC and server.captured is None:
            server.captured = thread.effective_token  # static cloaking from CoInitializeSecurity: first call
        return com_call(thread, server.server, server.binding, captured=server.captured)
    return com_call(thread, server, binding)


def _bind(thread: ServerThread, handle: BindingHandle) -> None:
    """Static cloaking set with CoSetProxyBlanket captures the identity when the proxy is set up (R32)."""
    if proxy_cloaking(thread.engine, thread.process.name, handle.binding) == (Cloaking.STATIC, "blanket"):
        handle.captured = thread.effective_token


def register() -> None:
    """Attach COM to the core (idempotent)."""
    for api in (ApiFamily.COM, ApiFamily.COMPLUS):
        REGISTRY.call_handlers[api] = _call
        REGISTRY.bind_hooks[api] = _bind
    REGISTRY.thread_operations.update(co_impersonate_client=co_impersonate_client, co_revert_to_self=co_revert_to_self)
    REGISTRY.thread_state["com_depth"] = int
    REGISTRY.engine_operations["co_initialize_security"] = co_initialize_security
    REGISTRY.engine_state["com_security"] = dict
    REGISTRY.add_hook(REGISTRY.end_of_call, _end_of_call)
    REGISTRY.add_hook(REGISTRY.on_revert, _on_revert)
    REGISTRY.add_tables(*COM_TABLES)


register()
