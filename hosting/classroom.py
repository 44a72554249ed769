"""A class on a throwaway JupyterHub: learners sign in at once, start servers, run a notebook.

    .venv/bin/python hosting/classroom.py [--learners 10] [--notebook notebooks/05_ncalrpc_exception.ipynb]

Starts JupyterHub with hosting/jupyterhub_config.py, swapping only who may sign in (a dummy
authenticator) and where homes live (a test spawner, homes in a temporary folder), on 127.0.0.1 and
free ports. Every learner, concurrently, through the hub's REST API: is created, gets a token, starts
a server (the course copied in by the config's hook), starts a kernel on it and runs the notebook's
code cells over the kernel websocket. Prints the time from sign-in to a running kernel (median, p95)
and the time to the end of the notebook. The hub, the proxy, every server and kernel end with it,
also on failure. tests/hosting/test_hub.py runs the same thing and checks the outputs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "hosting" / "jupyterhub_config.py"
PROXY = ROOT / "hosting" / "node_modules" / ".bin" / "configurable-http-proxy"
MARKER = "COURSE_CLASSROOM_RUN"      # set in every process of one run, so the clean-up finds them all
HUB_START_SECONDS = 90
LEARNER_SECONDS = 420                # one learner's whole session, from sign-in to the last cell
CELL_SECONDS = 120


class ClassroomError(Exception):
    """The hub or a learner's session failed; the message says where."""


def missing_pieces() -> list[str]:
    """Why a hub cannot start here (empty when it can)."""
    reasons = []
    if shutil.which("node") is None:
        reasons.append("Node.js is not installed (the proxy needs it)")
    if not PROXY.exists():
        reasons.append(f"configurable-http-proxy is not installed in {PROXY.parent.parent.parent.relative_to(ROOT)}/ "
                       "(scripts/setup.sh runs npm ci there)")
    if not (Path(sys.executable).parent / "jupyterhub").exists():
        reasons.append("JupyterHub is not installed (scripts/setup.sh installs the 'hosting' extra)")
    return reasons


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Hub:
    url: str                          # http://127.0.0.1:PORT
    token: str                        # admin token of the 'classroom' service
    folder: Path
    process: subprocess.Popen
    run_id: str

    def log_tail(self, chars: int = 4000) -> str:
        path = self.folder / "hub.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""


def write_config(folder: Path, port: int, token: str, run_id: str) -> Path:
    lines = [
        "c = get_config()",
        f"load_subconfig({str(CONFIG)!r})",
        f"c.JupyterHub.bind_url = 'http://127.0.0.1:{port}'",
        f"c.JupyterHub.hub_port = {free_port()}",
        f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{free_port()}'",
        "c.JupyterHub.authenticator_class = 'dummy'",
        f"c.DummyAuthenticator.password = {secrets.token_hex(8)!r}",
        "c.Authenticator.allow_all = True",
        "c.JupyterHub.spawner_class = 'simple'",
        f"c.SimpleLocalProcessSpawner.home_dir_template = {str(folder / 'home' / '{username}')!r}",
        f"c.Spawner.environment = {{{MARKER!r}: {run_id!r}}}",
        f"c.Spawner.args = {['--allow-root'] if os.geteuid() == 0 else []!r}",
        "c.JupyterHub.services = [{'name': 'classroom', 'api_token': %r}]" % token,
        "c.JupyterHub.load_roles = [{'name': 'admin', 'services': ['classroom']}]",
        f"c.JupyterHub.db_url = 'sqlite:///{folder / 'hub.sqlite'}'",
        f"c.JupyterHub.cookie_secret_file = {str(folder / 'cookie_secret')!r}",
        f"c.ConfigurableHTTPProxy.pid_file = {str(folder / 'proxy.pid')!r}",
    ]
    path = folder / "classroom_config.py"
    path.write_text("\n".join(lines) + "\n")
    return path


def processes_of(run_id: str) -> list[int]:
    """Processes carrying this run's marker in their environment: proxy, servers, kernels."""
    wanted = f"{MARKER}={run_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if wanted in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def stop(hub: Hub) -> None:
    """The hub (it stops its servers and proxy), then anything of this run still alive."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(hub.process.pid, sig)
            hub.process.wait(wait)
            break
        except ProcessLookupError:
            break
        except subprocess.TimeoutExpired:
            continue
    deadline = time.monotonic() + 15
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in processes_of(hub.run_id):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        while processes_of(hub.run_id) and time.monotonic() < deadline:
            time.sleep(0.2)


@contextmanager
def running_hub(folder: Path | None = None):
    """A hub on 127.0.0.1 with an admin service token; everything it started ends on exit."""
    reasons = missing_pieces()
    if reasons:
        raise ClassroomError("; ".join(reasons))
    own = folder is None
    folder = Path(tempfile.mkdtemp(prefix="classroom-")) if own else folder
    port, token, run_id = free_port(), secrets.token_hex(16), uuid.uuid4().hex
    config = write_config(folder, port, token, run_id)
    env = {**os.environ, MARKER: run_id, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)       # each server must run the course as installed, not a checkout on the path
    with (folder / "hub.log").open("w") as log:
        process = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f", str(config)], cwd=folder,
                                   env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    hub = Hub(f"http://127.0.0.1:{port}", token, folder, process, run_id)
    try:
        wait_for_hub(hub)
        yield hub
    finally:
        stop(hub)
        if own:
            shutil.rmtree(folder, ignore_errors=True)


def wait_for_hub(hub: Hub) -> None:
    import urllib.request
    deadline = time.monotonic() + HUB_START_SECONDS
    while True:
        try:
            urllib.request.urlopen(f"{hub.url}/hub/api/", timeout=2)
            return
        except OSError:
            if hub.process.poll() is not None:
                raise ClassroomError(f"JupyterHub exited with {hub.process.returncode}:\n{hub.log_tail()}") from None
            if time.monotonic() > deadline:
                raise ClassroomError(f"JupyterHub did not answer within {HUB_START_SECONDS} s:\n{hub.log_tail()}") from None
            time.sleep(0.3)


# ---------------------------------------------------------------- one learner

@dataclass
class Session:
    name: str
    kernel_seconds: float = 0.0       # sign-in to a kernel that answered kernel_info
    notebook_seconds: float = 0.0     # sign-in to the last cell's reply
    streams: list[str] = field(default_factory=list)    # printed text per code cell
    errors: list[str] = field(default_factory=list)


async def api(client, method: str, url: str, token: str, body=None, ok=(200, 201, 202, 204)):
    from tornado.httpclient import HTTPClientError, HTTPRequest
    request = HTTPRequest(url, method=method, headers={"Authorization": f"token {token}"},
                          body=None if body is None and method == "GET" else json.dumps(body or {}),
                          request_timeout=60, allow_nonstandard_methods=True)
    try:
        response = await client.fetch(request, raise_error=False)
    except HTTPClientError as exc:  # pragma: no cover - raise_error=False returns most errors
        raise ClassroomError(f"{method} {url}: {exc}") from None
    if response.code not in ok:
        raise ClassroomError(f"{method} {url}: HTTP {response.code} {response.body[:300]!r}")
    return json.loads(response.body) if response.body else None


def message(msg_type: str, content: dict, session: str, channel: str = "shell") -> dict:
    return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "learner", "session": session,
                       "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "content": content, "channel": channel, "buffers": []}


async def reply_to(ws, msg_id: str, reply_type: str, deadline: float, collect=None) -> dict:
    """Read the websocket until the reply to msg_id and its kernel's idle status; collect iopub on the way."""
    reply, idle = None, False
    while not (reply and idle):
        left = deadline - time.monotonic()
        if left <= 0:
            raise ClassroomError(f"no {reply_type} within the time allowed")
        raw = await asyncio.wait_for(ws.read_message(), timeout=left)
        if raw is None:
            raise ClassroomError("the kernel websocket closed")
        msg = json.loads(raw)
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = msg["header"]["msg_type"]
        if kind == reply_type:
            reply = msg
        elif kind == "status" and msg["content"].get("execution_state") == "idle":
            idle = True
        elif collect is not None:
            collect(msg)
    return reply


async def learner(hub: Hub, name: str, cells: list[str]) -> Session:
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest
    from tornado.websocket import websocket_connect
    session = Session(name)
    client = AsyncHTTPClient(force_instance=True)
    start = time.monotonic()
    deadline = start + LEARNER_SECONDS
    try:
        await api(client, "POST", f"{hub.url}/hub/api/users/{name}", hub.token, ok=(201, 409))
        token = (await api(client, "POST", f"{hub.url}/hub/api/users/{name}/tokens", hub.token,
                           {"note": "classroom", "expires_in": 3600}))["token"]
        await api(client, "POST", f"{hub.url}/hub/api/users/{name}/server", hub.token)
        while True:
            user = await api(client, "GET", f"{hub.url}/hub/api/users/{name}", hub.token)
            server = (user.get("servers") or {}).get("")
            if server and server.get("ready"):
                break
            if time.monotonic() > deadline:
                raise ClassroomError(f"{name}: server not ready after {LEARNER_SECONDS} s")
            await asyncio.sleep(0.25)
        base = f"{hub.url}/user/{name}"
        kernel = await api(client, "POST", f"{base}/api/kernels", token, {"name": "python3"})
        ws_url = f"{base.replace('http', 'ws', 1)}/api/kernels/{kernel['id']}/channels"
        ws = await websocket_connect(HTTPRequest(ws_url, headers={"Authorization": f"token {token}"},
                                                 request_timeout=60))
        try:
            sid = uuid.uuid4().hex
            info = message("kernel_info_request", {}, sid)
            ws.write_message(json.dumps(info))
            await reply_to(ws, info["header"]["msg_id"], "kernel_info_reply", deadline)
            session.kernel_seconds = time.monotonic() - start
            for index, code in enumerate(cells):
                printed: list[str] = []

                def collect(msg, printed=printed, index=index):
                    kind, content = msg["header"]["msg_type"], msg["content"]
                    if kind == "stream":
                        printed.append(content["text"])
                    elif kind == "error":
                        session.errors.append(f"cell {index}: {content['ename']}: {content['evalue']}")

                request = message("execute_request", {"code": code, "silent": False, "store_history": True,
                                                      "allow_stdin": False, "stop_on_error": True}, sid)
                ws.write_message(json.dumps(request))
                reply = await reply_to(ws, request["header"]["msg_id"], "execute_reply",
                                       min(deadline, time.monotonic() + CELL_SECONDS), collect)
                session.streams.append("".join(printed))
                if reply["content"].get("status") != "ok":
                    session.errors.append(f"cell {index}: status {reply['content'].get('status')}")
                    break
            session.notebook_seconds = time.monotonic() - start
        finally:
            ws.close()
            await api(client, "DELETE", f"{base}/api/kernels/{kernel['id']}", token, ok=(204, 404))
    except (ClassroomError, OSError, asyncio.TimeoutError) as exc:
        session.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        client.close()
    return session


def code_cells(notebook: Path) -> list[str]:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return ["".join(cell["source"]) for cell in nb["cells"] if cell["cell_type"] == "code"]


def run_class(hub: Hub, learners: int, notebook: Path, prefix: str = "learner") -> list[Session]:
    cells = code_cells(notebook)

    async def everyone():
        return await asyncio.gather(*(learner(hub, f"{prefix}{i:02d}", cells) for i in range(1, learners + 1)))

    return asyncio.run(everyone())


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (p95 of 10 values is the 10th)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


def summary(sessions: list[Session]) -> str:
    kernel = [s.kernel_seconds for s in sessions if not s.errors]
    whole = [s.notebook_seconds for s in sessions if not s.errors]
    if not kernel:
        return "no learner reached a running kernel"
    return (f"{len(sessions)} learners, {len(kernel)} without error; sign-in to running kernel: median "
            f"{statistics.median(kernel):.1f} s, p95 {percentile(kernel, 0.95):.1f} s, max {max(kernel):.1f} s; "
            f"sign-in to end of notebook: median {statistics.median(whole):.1f} s, p95 {percentile(whole, 0.95):.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=10, choices=range(1, 51), metavar="1..50")
    parser.add_argument("--notebook", type=Path, default=ROOT / "notebooks" / "05_ncalrpc_exception.ipynb")
    args = parser.parse_args(argv)
    if not args.notebook.is_file():
        print(f"classroom: {args.notebook}: no such notebook", file=sys.stderr)
        return 2
    try:
        with running_hub() as hub:
            # the peer: one learner alone on the same hub, just before the class arrives
            solo = run_class(hub, 1, args.notebook, prefix="alone")
            sessions = run_class(hub, args.learners, args.notebook)
    except ClassroomError as exc:
        print(f"classroom: {exc}", file=sys.stderr)
        return 1
    for s in sessions:
        print(f"{s.name}: kernel {s.kernel_seconds:.1f} s, notebook {s.notebook_seconds:.1f} s"
              + (f", errors: {s.errors}" if s.errors else ""))
    print("alone: " + summary(solo))
    print("class: " + summary(sessions))
    if not solo[0].errors and all(not s.errors for s in sessions):
        median = statistics.median(s.kernel_seconds for s in sessions)
        print(f"median time to a running kernel, class vs one learner alone: {median / solo[0].kernel_seconds:.1f}x")
    return 1 if any(s.errors for s in solo + sessions) else 0


if __name__ == "__main__":
    sys.exit(main())
