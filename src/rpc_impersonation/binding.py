"""How a client binds: protocol sequence, security provider, authentication level and QOS.

>>> Binding.of(protseq="ncacn_ip_tcp", provider="kerberos", level="delegate", mutual_auth=True).qos.level
<ImpLevel.DELEGATE: 4>
>>> Binding.of(level="impersonation")
Traceback (most recent call last):
...
rpc_impersonation.errors.InvalidValueError: unknown level 'impersonation'; expected one of default, anonymous, identify, impersonate, delegate

Taught in notebooks/03_qos.ipynb.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cached_property

from .constants import (
    ApiFamily,
    AuthnLevel,
    Cloaking,
    ImpLevel,
    Protseq,
    Provider,
    QosCapability,
    SpnChoice,
    TargetName,
    Tracking,
    parse,
)
from .errors import InvalidValueError

__all__ = ["Qos", "Binding"]


@dataclass(frozen=True)
class Qos:
    """The client's security quality of service: the level it grants and its capabilities."""

    level: ImpLevel = ImpLevel.DEFAULT
    mutual_auth: bool = False
    ignore_delegation_failure: bool = False
    tracking: Tracking = Tracking.STATIC

    @property
    def capabilities(self) -> QosCapability:
        caps = QosCapability.DEFAULT
        if self.mutual_auth:
            caps |= QosCapability.MUTUAL_AUTH
        if self.ignore_delegation_failure:
            caps |= QosCapability.IGNORE_DELEGATE_FAILURE
        return caps


@dataclass(frozen=True)
class Binding:
    """Everything the client chooses when it binds to a server."""

    protseq: Protseq = Protseq.NCACN_IP_TCP
    provider: Provider = Provider.DEFAULT
    authn_level: AuthnLevel = AuthnLevel.PKT_PRIVACY
    qos: Qos = field(default_factory=Qos)
    api: ApiFamily = ApiFamily.RPC
    spn: SpnChoice = SpnChoice.CORRECT
    target_name: TargetName = TargetName.NAME
    cloaking: Cloaking = Cloaking.DEFAULT
    auth_identity: str | None = None

    def __post_init__(self) -> None:
        if self.api is ApiFamily.RPC and (self.cloaking is not Cloaking.DEFAULT or self.auth_identity):
            field_name = "cloaking" if self.cloaking is not Cloaking.DEFAULT else "auth_identity"
            raise InvalidValueError(
                field_name,
                getattr(self, field_name),
                "unset for plain RPC (cloaking and an "
                "explicit identity are COM blanket settings; RPC uses identity tracking)",
                what="unusable",
            )

    @cached_property
    def _hash(self) -> int:
        return hash(
            (
                self.protseq,
                self.provider,
                self.authn_level,
                self.qos,
                self.api,
                self.spn,
                self.target_name,
                self.cloaking,
                self.auth_identity,
            )
        )

    def __hash__(self) -> int:
        return self._hash  # bindings key the engine's remembered decisions: hash the fields once

    @property
    def effective_cloaking(self) -> Cloaking:
        """DEFAULT resolved: none for a COM client, dynamic for a COM+ application (R32)."""
        if self.cloaking is Cloaking.DEFAULT:
            return Cloaking.DYNAMIC if self.api is ApiFamily.COMPLUS else Cloaking.NONE
        return self.cloaking

    @classmethod
    def of(
        cls,
        *,
        protseq: object = "ncacn_ip_tcp",
        provider: object = "default",
        authn_level: object = "pkt_privacy",
        level: object = "default",
        mutual_auth: bool = False,
        ignore_delegation_failure: bool = False,
        tracking: object = "static",
        api: object = "rpc",
        spn: object = "correct",
        target_name: object = "name",
        cloaking: object = "default",
        auth_identity: str | None = None,
    ) -> Binding:
        """Build a binding from plain names, checking every value."""
        for name, value in (("mutual_auth", mutual_auth), ("ignore_delegation_failure", ignore_delegation_failure)):
            if not isinstance(value, bool):
                raise InvalidValueError(name, value, ["true", "false"], what="invalid")
        qos = Qos(
            parse(ImpLevel, level, "level"),
            mutual_auth,
            ignore_delegation_failure,
            parse(Tracking, tracking, "tracking"),
        )
        return cls(
            parse(Protseq, protseq, "protseq"),
            parse(Provider, provider, "provider"),
            parse(AuthnLevel, authn_level, "authn_level"),
            qos,
            parse(ApiFamily, api, "api"),
            parse(SpnChoice, spn, "spn"),
            parse(TargetName, target_name, "target_name"),
            parse(Cloaking, cloaking, "cloaking"),
            auth_identity,
        )

    def with_(self, **changes: object) -> Binding:
        """A copy with some values changed; QOS fields may be given directly (level=, mutual_auth=, ...)."""
        qos_names = {f.name for f in fields(Qos)}
        plain = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "qos"}
        merged = {**{k: getattr(self.qos, k) for k in qos_names}, **plain, **changes}
        unknown = set(changes) - qos_names - set(plain)
        if unknown:
            raise InvalidValueError("binding field", sorted(unknown)[0], sorted(qos_names | set(plain)))
        return Binding.of(**merged)

    def describe(self) -> str:
        """A one-line summary, e.g. 'ncacn_ip_tcp, Kerberos, level delegate, mutual auth'."""
        parts = [self.protseq.value, self.provider.label, f"level {self.qos.level.key}"]
        if self.api is not ApiFamily.RPC:
            parts.insert(0, self.api.label)
        if self.qos.mutual_auth:
            parts.append("mutual auth")
        if self.qos.ignore_delegation_failure:
            parts.append("ignore delegation failure")
        if self.qos.tracking is Tracking.DYNAMIC:
            parts.append("dynamic tracking")
        if self.spn is not SpnChoice.CORRECT:
            parts.append(f"{self.spn.value} SPN")
        if self.target_name is TargetName.IP:
            parts.append("server named by IP")
        if self.api is not ApiFamily.RPC:
            parts.append(f"{self.effective_cloaking.value} cloaking")
        if self.auth_identity:
            parts.append(f"explicit identity {self.auth_identity}")
        return ", ".join(parts)
