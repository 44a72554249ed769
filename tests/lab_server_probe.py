"""Run by tests/test_lab_server.py in a process of its own: a Jupyter server on 127.0.0.1 (no config files,
so only what the arguments switch on), one kernel, one websocket to it; prints, as JSON, the class that
joined them, whether the server's end of that websocket has TCP_NODELAY set, and whether the kernel
answered a request sent through it. ``--refuse-nodelay`` first makes setting the option fail. Exits 1,
saying why on stderr, if the probe itself failed. Importing this file does nothing (pytest collects it)."""

import asyncio
import json
import socket
import sys
import traceback

from jupyter_server.serverapp import ServerApp
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from tornado.websocket import WebSocketHandler, websocket_connect

SERVER_ARGS = ["--ServerApp.ip=127.0.0.1", "--ServerApp.port=0", "--IdentityProvider.token=", "--no-browser"]


def record_nodelay(seen: list[int]) -> None:
    """Record, as each kernel websocket is joined to its kernel, whether its socket has TCP_NODELAY."""
    stock_connect = ZMQChannelsWebsocketConnection.connect

    def recording_connect(self):
        # the course's class sets the option and then calls this: what the socket has here is what it keeps
        sock = self.websocket_handler.ws_connection.stream.socket
        seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        return stock_connect(self)

    ZMQChannelsWebsocketConnection.connect = recording_connect  # type: ignore[method-assign]


def refuse_nodelay() -> None:
    def refuse(self, value):
        raise OSError("setsockopt refused (the probe's doing)")

    WebSocketHandler.set_nodelay = refuse  # type: ignore[method-assign]


async def kernel_answers(ws) -> bool:
    """Whether the kernel answers a kernel_info request sent through the websocket (at most 50 messages)."""
    header = {"msg_id": "probe-1", "msg_type": "kernel_info_request", "username": "", "session": "probe"}
    request = {"header": {**header, "date": "", "version": "5.3"}, "parent_header": {}, "metadata": {}}
    await ws.write_message(json.dumps({**request, "content": {}, "channel": "shell", "buffers": []}))
    for _ in range(50):
        message = await asyncio.wait_for(ws.read_message(), 10)
        if message is None:
            return False
        reply = json.loads(message)
        if reply["header"]["msg_type"] == "kernel_info_reply" and reply["parent_header"].get("msg_id") == "probe-1":
            return True
    return False


def main(argv: list[str]) -> int:
    seen: list[int] = []
    outcome: dict = {}
    record_nodelay(seen)
    if "--refuse-nodelay" in argv:
        argv = [a for a in argv if a != "--refuse-nodelay"]
        refuse_nodelay()
    app = ServerApp()
    app.initialize(argv=SERVER_ARGS + ["--allow-root"] + argv)

    async def probe() -> None:
        kernel = None
        try:
            kernel = await app.kernel_manager.start_kernel()
            ws = await websocket_connect(f"ws://127.0.0.1:{app.port}/api/kernels/{kernel}/channels")
            for _ in range(100):  # at most 10 s for the server to join the websocket to the kernel
                if seen:
                    break
                await asyncio.sleep(0.1)
            answered = await kernel_answers(ws)
            ws.close()
            used = app.web_app.settings["kernel_websocket_connection_class"]
            outcome.update({"class": used.__name__, "nodelay": seen, "answered": answered})
        except Exception:  # noqa: BLE001 - said on stderr; the exit code tells the test
            traceback.print_exc()
        finally:
            if kernel is not None:
                await app.kernel_manager.shutdown_kernel(kernel, now=True)
            app.io_loop.stop()

    app.io_loop.add_callback(probe)
    app.start()
    if not outcome:
        return 1
    print(json.dumps(outcome), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
