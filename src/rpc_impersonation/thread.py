"""A thread in a process: RpcImpersonateClient, RpcRevertToSelf(Ex), opening resources, calling onward.

Taught in notebooks/01_security_context.ipynb and notebooks/02_levels.ipynb.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Protocol, TypeVar

from .binding import Binding
from .constants import ApiFamily, ErrorCode, Provider, Right, TokenLevel, Tracking, parse
from .decisions import AccessDecision, CallDecision, Decision, ImpersonationResult
from .errors import InvalidValueError
from .facts import context, level_of, origin, reason_of, rules_of, usable
from .handles import BindingHandle, CallHandle
from .options import Options
from .plugins import REGISTRY, PluginAttributes, ThreadState
from .reason import Reason
from .rules import Row
from .tables import ACCESS_CHECK, IMPERSONATE, OPEN_THREAD_TOKEN, OUTBOUND, REVERT, Arrives, Outcome
from .tokens import Credentials, LogonSession, Token
from .world import ANONYMOUS_LOGON, Process, Resource, World

D = TypeVar("D", bound=Decision)

__all__ = ["ServerThread", "ServedCall", "CallHandle", "BindingHandle", "EngineCore"]


class EngineCore(Protocol):
    """What a thread needs of its engine (:class:`engine.Engine` is the one implementation)."""

    world: World
    options: Options
    active: dict[int, ServerThread]
    process_tokens: dict[tuple[str, str], Token]
    state: dict[str, Any]

    def connect(self, caller: Process, presented: Token, server_name: str, binding: Binding) -> ServedCall: ...

    def next_handle(self) -> int: ...


@dataclass
class ServedCall:
    """A call that was made: the engine's decision and, if the server got to run, the thread serving it."""

    decision: CallDecision
    thread: ServerThread | None

    @property
    def ok(self) -> bool:
        return self.decision.ok

    def require_thread(self) -> ServerThread:
        """The thread serving the call; a clear error when the call was refused and no server thread ran."""
        if self.thread is None:
            raise InvalidValueError(
                "call",
                self.decision.action,
                f"a call that succeeded (this one was refused: {self.decision.code_name})",
                what="refused",
            )
        return self.thread


_REVERTED_AT_END = Decision(
    action="end of call",
    code=ErrorCode.ERROR_SUCCESS,
    rules=("R13",),
    sentence="The handler returned with the thread back to the server's own identity.",
)


def _origin_after(context: Token, downgrade: Reason | None) -> tuple[Reason, ...]:
    return context.origin + ((downgrade,) if downgrade is not None else ())


class ServerThread(PluginAttributes, operations=REGISTRY.thread_operations, state=REGISTRY.thread_state):
    """A thread in a process, possibly serving one call. Mirrors the RPC server API (R10-R17, R40);
    plug-ins add operations (COM's CoImpersonateClient / CoRevertToSelf, beyond the seeds) through
    :data:`plugins.REGISTRY`: they are reached as ``thread.name(...)``."""

    # what a new thread starts with (class defaults: a thread writes only what changes)
    thread_token: Token | None = None
    impersonation_failed = False
    ended = False

    def __init__(
        self, engine: EngineCore, process: Process, handle: CallHandle | None, call: CallDecision | None
    ) -> None:
        self.engine = engine
        self.process = process
        self.call_handle = handle
        self.call_decision = call
        self.history: list[Decision] = []
        kind = "service" if call is not None or process.account.builtin else "interactive"
        tokens = engine.process_tokens
        token = tokens.get((process.name, kind))
        if token is None:  # tokens are immutable: every thread of a process shares its primary token
            name = process.account.qualified
            token = tokens[process.name, kind] = Token(name, LogonSession(name, process.machine, kind, Credentials.OWN))
        self.process_token = token
        self._world = engine.world
        self.state: dict[str, Any] = ThreadState()

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

    def _ctx(self, **extra: str) -> dict[str, str]:
        call = self.call_decision
        return context(
            **{
                "caller": call.caller if call else "(none)",
                "server": self.process.name,
                "client": self.effective_token.user,
                "server_account": self.process.account.qualified,
                "machine": self.process.machine,
                "caller_machine": call.caller_machine if call else "",
                **extra,
            }
        )

    def _record(self, decision: D) -> D:
        self.history.append(decision)
        return decision

    def _classify(self, handle: object) -> tuple[str, ServerThread | None]:
        if handle is None or (isinstance(handle, int) and not isinstance(handle, bool) and handle == 0):
            return ("no call", None) if self.call_handle is None or self.ended else ("own call", self)
        if isinstance(handle, CallHandle):
            owner = self.engine.active.get(handle.number)
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
        same = (
            context is not None
            and context.user.lower() == self._world.network_identity(self.process.account, self.process.machine).lower()
        )
        row = IMPERSONATE.decide(handle=kind, context=ctx_kind, privilege=self.process.impersonate_privilege or same)
        token = None
        if row.effect in (Outcome.OK, Outcome.IDENTIFY) and context is not None and context.level is not None:
            level = context.level if row.effect is Outcome.OK else min(context.level, TokenLevel.IDENTIFICATION)
            token = Token(context.user, context.session, level)
        anonymous = token is not None and token.level is TokenLevel.ANONYMOUS  # names nobody (R15, R30)
        client = "an anonymous caller" if anonymous else context.visible_identity if context else "nobody"
        ctx = self._ctx(
            client=client,
            handle=repr(handle),
            caller=call.caller if call else "(none)",
            level=token.level.label if token and token.level else "",
        )
        reasons = [reason_of(row, ctx)]
        if token is not None and context is not None:  # its origin: the call's reasons, and R9's if it applied
            because = partial(_origin_after, context, reasons[0] if row.effect is Outcome.IDENTIFY else None)
            token = Token.deferred(token.user, token.session, token.level, because)
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
        return self._record(
            ImpersonationResult(
                action="RpcImpersonateClient",
                code=code,
                rules=rules_of(reasons),
                sentence=sentence,
                reasons=tuple(reasons),
                rpc_api=True,
                token=self.thread_token,
                acting_as=self.acting_as,
            )
        )

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
        reasons = [reason_of(row, ctx)]
        if isinstance(row.effect, ErrorCode):
            code = row.effect
            reasons.append(Reason("R11", f"Nothing changed: the thread still acts as {self.acting_as}."))
        else:
            code = ErrorCode.ERROR_SUCCESS
            self.thread_token = None
            for hook in REGISTRY.on_revert:  # a revert ends stacked COM impersonations too (R12)
                hook(self)
        return self._record(
            ImpersonationResult(
                action=api,
                code=code,
                rules=rules_of(reasons),
                sentence=reasons[0].sentence if code else reasons[0].sentence,
                reasons=tuple(reasons),
                rpc_api=True,
                token=self.thread_token,
                acting_as=self.acting_as,
            )
        )

    def end_call(self) -> Decision:
        """The manager routine returns. RPC does not revert for you: a forgotten revert is a finding (R14)."""
        if self.call_handle is None:
            raise InvalidValueError("thread", self.process.name, "a thread serving a call", what="not serving")
        self.ended = True
        self.engine.active.pop(self.call_handle.number, None)
        for hook in REGISTRY.end_of_call:  # COM reverts by itself when the method returns (R38)
            ended: Decision | None = hook(self)
            if ended is not None:
                return self._record(ended)
        if self.thread_token is not None:
            d = Decision(
                action="end of call",
                code=ErrorCode.ERROR_SUCCESS,
                rules=("R14",),
                sentence=f"The handler returned while still impersonating {self.thread_token.user}: RPC "
                f"does not revert automatically, so this thread keeps acting as "
                f"{self.thread_token.user} until someone reverts it.",
                reasons=(Reason("R14", "Impersonation still active at the end of the call."),),
            )
        else:
            d = _REVERTED_AT_END  # immutable and the same every time: shared
        self.history.append(d)
        return d

    @property
    def still_impersonating_after_call(self) -> bool:
        """The 'forgot to revert' finding (R14)."""
        return self.ended and self.thread_token is not None

    # --- using the token ------------------------------------------------------------------------------
    def _act(self, target_machine: str) -> tuple[Row, str | None, tuple[Reason, ...]]:
        """Decide as whom the thread reaches ``target_machine`` (None identity: refused), with extra reasons."""
        token = self.effective_token
        remote = target_machine.lower() != self.process.machine.lower()
        creds, in_scope, extra = usable(
            token, self._world, self.engine.options, target_machine, self._world.computer_account(target_machine)
        )
        extra = extra if remote else ()
        row = OUTBOUND.decide(
            primary=token.is_primary,
            level=level_of(token),
            remote=remote,
            credentials=creds,
            in_scope=in_scope,
            mode=self.engine.options.second_hop,
        )
        if isinstance(row.effect, ErrorCode):
            return row, None, extra
        if row.effect is Arrives.ANONYMOUS:
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
        ctx = self._ctx(
            resource=res.name,
            right=want.value,
            target=res.machine,
            client=token.user if not token.is_primary else self.process.account.qualified,
            level=token.level.label if token.level is not None else "primary",
        )
        row, identity, extra = self._act(res.machine)
        reasons = [reason_of(row, ctx), *extra, *origin(token, row)]
        if token.is_primary and self.impersonation_failed:
            reasons.insert(
                0,
                Reason(
                    "R11",
                    f"The last impersonation failed, so the thread is still "
                    f"{self.process.account.qualified}, the server's own account.",
                ),
            )
        action = f"open {res.name} ({want.value})"
        if identity is None:
            return self._record(
                AccessDecision(
                    action=action,
                    code=row.effect,
                    rules=rules_of(reasons),
                    sentence=reasons[-1].sentence,
                    reasons=tuple(reasons),
                    resource=res.name,
                    machine=res.machine,
                    right=want.value,
                    identity="",
                )
            )
        return self._record(self._acl(action, res, want, identity, reasons))

    def access_check(self, resource: str, right: object = "read") -> AccessDecision:
        """AccessCheck against the thread's impersonation token, without opening anything (R16, M4)."""
        res = self._world.get_resource(resource)
        want = parse(Right, right, "right")
        token = self.effective_token
        row = ACCESS_CHECK.decide(primary=token.is_primary, level=level_of(token))
        ctx = self._ctx(resource=res.name, client=token.user)
        reasons = [reason_of(row, ctx)]
        action = f"AccessCheck {res.name} ({want.value})"
        if isinstance(row.effect, ErrorCode):
            return self._record(
                AccessDecision(
                    action=action,
                    code=row.effect,
                    rules=rules_of(reasons),
                    sentence=reasons[0].sentence,
                    reasons=tuple(reasons),
                    resource=res.name,
                    machine=res.machine,
                    right=want.value,
                    identity="",
                )
            )
        return self._record(self._acl(action, res, want, token.user, reasons, opened=False))

    def open_thread_token(self, open_as_self: bool = True) -> ImpersonationResult:
        """OpenThreadToken + GetTokenInformation: learn who the client is (R15, R16, A3).

        Taught in notebooks/02_levels.ipynb.
        """
        token = self.thread_token
        row = OPEN_THREAD_TOKEN.decide(
            impersonating=token is not None,
            level=level_of(token) if token else TokenLevel.IMPERSONATION,
            open_as_self=bool(open_as_self),
        )
        reasons = [reason_of(row, self._ctx(client=token.user if token else ""))]
        code = row.effect if isinstance(row.effect, ErrorCode) else ErrorCode.ERROR_SUCCESS
        return self._record(
            ImpersonationResult(
                action="OpenThreadToken",
                code=code,
                rules=rules_of(reasons),
                sentence=reasons[0].sentence,
                reasons=tuple(reasons),
                token=token,
                acting_as=self.acting_as,
            )
        )

    def _acl(
        self, action: str, res: Resource, want: Right, identity: str, reasons: list[Reason], opened: bool = True
    ) -> AccessDecision:
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
        return AccessDecision(
            action=action,
            code=code,
            rules=rules_of(reasons),
            sentence=sentence,
            reasons=tuple(reasons),
            resource=res.name,
            machine=res.machine,
            right=want.value,
            identity=identity,
        )

    # --- calling onward ---------------------------------------------------------------------------------
    def bind(self, server: str, binding: Binding) -> BindingHandle:
        """Create a binding handle (plain RPC) or obtain a proxy (COM) and capture the outbound identity now
        where the rules say so: static SSP tracking (R31), static cloaking set on the proxy's blanket (R32).
        Transport-level static tracking and static cloaking from CoInitializeSecurity capture at the first call."""
        self._world.get_process(server)
        handle = BindingHandle(self.engine.next_handle(), server, binding)
        hook = REGISTRY.bind_hooks.get(binding.api)
        if hook is not None:
            hook(self, handle)  # COM: static cloaking set on the blanket captures now (R32)
        elif binding.api is not ApiFamily.RPC:
            raise InvalidValueError("api", binding.api.value, "an API family with a registered plug-in")
        elif binding.qos.tracking is Tracking.STATIC and binding.provider is not Provider.NONE:
            handle.captured = self.effective_token
        return handle

    def call(self, server: str | BindingHandle, binding: Binding | None = None) -> ServedCall:
        """Call a server from this thread, presenting the identity R31 picks; returns the served call.

        Other API families go to the plug-in registered for them (COM: cloaking decides the identity, R32)."""
        chosen = binding if isinstance(server, str) else server.binding
        if chosen is not None and chosen.api is not ApiFamily.RPC:
            handler = REGISTRY.call_handlers.get(chosen.api)
            if handler is None:
                raise InvalidValueError("api", chosen.api.value, "an API family with a registered plug-in")
            return handler(self, server, chosen)  # type: ignore[no-any-return]
        if isinstance(server, BindingHandle):
            handle = server
            if handle.binding.qos.tracking is Tracking.STATIC and handle.captured is None:
                handle.captured = self.effective_token  # transport-level static: first call (R31)
            presented = handle.captured if handle.captured is not None else self.effective_token
            served = self.engine.connect(self.process, presented, handle.server, handle.binding)
            if presented is not self.effective_token and presented.user != self.effective_token.user:
                when = "when it was set up" if handle.binding.provider is not Provider.NONE else "at its first call"
                why = Reason(
                    "R31",
                    f"The binding to {handle.server} uses static identity tracking and captured "
                    f"{presented.user} {when}, so the call carries {presented.user}, "
                    f"not {self.effective_token.user}, the identity the thread has now.",
                )
                decision = replace(
                    served.decision, reasons=(why, *served.decision.reasons), rules=("R31", *served.decision.rules)
                )
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
