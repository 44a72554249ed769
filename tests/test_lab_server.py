"""The course's Jupyter server extension: kernel messages reach the browser without Nagle's delay.

Found in the browser (docs/benchmarks.md, "What a learner feels"): Tornado leaves Nagle's algorithm on for
websockets, so of the burst of small kernel messages a widget change causes, each waited for the
browser's delayed acknowledgement of the one before (40 ms, sometimes 200 ms).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("jupyter_server", reason="jupyter_server comes with the course extra (scripts/setup.sh)")

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

from rpc_impersonation import lab_server

ROOT = Path(__file__).resolve().parents[1]
SWITCH = "jupyter-config/jupyter_server_config.d/rpc_impersonation.json"


def probe(*argv: str, scratch: Path) -> dict:
    """A real server, kernel and websocket (tests/lab_server_probe.py); no config file is read."""
    env = {**os.environ, "JUPYTER_NO_CONFIG": "1", "JUPYTER_RUNTIME_DIR": str(scratch), "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "lab_server_probe.py"), *argv],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


EXTENSION = "--ServerApp.jpserver_extensions={'rpc_impersonation.lab_server': True}"


def test_with_the_extension_the_kernel_websocket_has_nagle_off(tmp_path):
    assert probe(EXTENSION, scratch=tmp_path) == {"class": "PromptKernelConnection", "nodelay": [1], "answered": True}


def test_a_stock_server_leaves_nagle_on(tmp_path):
    """The control: without the extension the same probe sees the option off (so the test above can fail)."""
    assert probe(scratch=tmp_path) == {"class": "ZMQChannelsWebsocketConnection", "nodelay": [0], "answered": True}


def test_a_refused_option_still_leaves_a_working_kernel_connection(tmp_path):
    """Setting the option failing (an odd socket, a future Tornado) costs the speed-up, never the kernel."""
    assert probe(EXTENSION, "--refuse-nodelay", scratch=tmp_path) == {
        "class": "PromptKernelConnection",
        "nodelay": [0],
        "answered": True,
    }


def _server(connection_class):
    logged: list[str] = []
    app = SimpleNamespace(
        web_app=SimpleNamespace(settings={lab_server.SETTING: connection_class}),
        log=SimpleNamespace(info=logged.append),
    )
    return app, logged


def test_the_extension_replaces_only_the_stock_connection_class():
    app, logged = _server(ZMQChannelsWebsocketConnection)
    lab_server._load_jupyter_server_extension(app)
    assert app.web_app.settings[lab_server.SETTING] is lab_server.PromptKernelConnection
    assert "TCP_NODELAY" in logged[0]

    class GatewayLike(ZMQChannelsWebsocketConnection):
        pass

    app, logged = _server(GatewayLike)
    lab_server._load_jupyter_server_extension(app)
    assert app.web_app.settings[lab_server.SETTING] is GatewayLike, "another extension's class must be kept"
    assert "left as they are" in logged[0]


def test_every_server_of_the_environment_loads_it():
    """The switch is shipped in the wheel (pyproject's data files) and put into .venv by scripts/setup.sh."""
    switch = json.loads((ROOT / SWITCH).read_text())
    assert switch == {"ServerApp": {"jpserver_extensions": {"rpc_impersonation.lab_server": True}}}
    assert SWITCH in (ROOT / "pyproject.toml").read_text()
    assert SWITCH in (ROOT / "scripts" / "setup.sh").read_text()
    installed = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.d" / "rpc_impersonation.json"
    assert installed.is_file(), f"{installed} is missing: run scripts/setup.sh"
    assert json.loads(installed.read_text()) == switch
