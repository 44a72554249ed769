"""The engine's switches for the facts sheet's ambiguities (kept apart so the call pipeline can read them)."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InvalidValueError

__all__ = ["Options"]


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
        for name in (
            "legacy_provider_bump",
            "local_non_lrpc_like_ncalrpc",
            "delegated_credentials_expired",
            "kerberos_delegation",
        ):
            if not isinstance(getattr(self, name), bool):
                raise InvalidValueError(name, getattr(self, name), "True or False", what="invalid")
        if self.second_hop not in ("anonymous_logon", "client_error"):
            raise InvalidValueError("second_hop", self.second_hop, ["anonymous_logon", "client_error"])
