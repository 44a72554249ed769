"""What the course adds to the Jupyter server it runs in: kernel messages sent to the browser at once.

Every widget change is a small request answered by a burst of small kernel messages (busy, the echoed
value, the new drawing, the new text, idle). Tornado leaves Nagle's algorithm on for websockets, so the
server holds each small message back until the browser acknowledges the one before, and the browser's
end of the connection delays that acknowledgement (Linux's TCP: 40 ms, up to 200 ms). Measured in
JupyterLab on the course's chain builder, that was a 40 ms step in about half the changes and the 200 ms
ones in the slowest (docs/benchmarks.md, "What a learner feels"). This extension turns Nagle off on
kernel websockets.

It is switched on for every Jupyter server of the environment the package is installed in (JupyterLab
from ``scripts/course.sh``, a Binder image, a hub's single-user servers) by
``jupyter-config/jupyter_server_config.d/rpc_impersonation.json``; it leaves a server alone whose kernel
connections are not the stock local ones (a gateway, another extension's class).
"""

from __future__ import annotations

from typing import Any

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

__all__ = ["PromptKernelConnection", "SETTING"]

#: The Tornado setting holding the class that joins a kernel websocket to the kernel's channels.
SETTING = "kernel_websocket_connection_class"


class PromptKernelConnection(ZMQChannelsWebsocketConnection):
    """The stock kernel connection, with each websocket message sent as its own TCP segment (TCP_NODELAY)."""

    def connect(self) -> Any:  # what the stock class returns (a future, or None once disconnected)
        # The websocket is open here (connect is called from the handler's open()), so its stream exists.
        try:
            self.websocket_handler.set_nodelay(True)
        except Exception as exc:  # noqa: BLE001 - a speed-up must never cost a learner the kernel connection
            self.log.warning(f"rpc_impersonation: kernel messages may be delayed (TCP_NODELAY not set: {exc})")
        return super().connect()


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "rpc_impersonation.lab_server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    settings = serverapp.web_app.settings
    current = settings.get(SETTING)
    if current is ZMQChannelsWebsocketConnection:
        settings[SETTING] = PromptKernelConnection
        serverapp.log.info("rpc_impersonation: kernel websockets send each message at once (TCP_NODELAY)")
    else:
        serverapp.log.info(
            f"rpc_impersonation: kernel connections left as they are ({current!r} is not the stock class)"
        )
