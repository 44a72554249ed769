"""A class on JupyterHub: ten learners at once sign in, start servers and run notebook 05.

Runs hosting/classroom.py's hub (hosting/jupyterhub_config.py with a dummy authenticator and a test
spawner) on 127.0.0.1. Skipped, with the reason, when Node.js, the local proxy or JupyterHub is
missing; a hub that is installed but fails to start is a failure. Prints the time to a running kernel.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LEARNERS = 10
NOTEBOOK = ROOT / "notebooks" / "05_ncalrpc_exception.ipynb"

spec = importlib.util.spec_from_file_location("classroom", ROOT / "hosting" / "classroom.py")
classroom = importlib.util.module_from_spec(spec)
sys.modules["classroom"] = classroom  # dataclasses look their module up by name
spec.loader.exec_module(classroom)

reasons = classroom.missing_pieces()
if reasons:
    pytest.skip("JupyterHub cannot start here: " + "; ".join(reasons), allow_module_level=True)


def committed_streams(notebook: Path) -> list[str | None]:
    """Printed text of each code cell as committed (None where nbval ignores the output)."""
    out = []
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        if "nbval-ignore-output" in cell.get("metadata", {}).get("tags", []):
            out.append(None)
        else:
            out.append("".join("".join(o["text"]) for o in cell.get("outputs", []) if o["output_type"] == "stream"))
    return out


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    with classroom.running_hub(tmp_path_factory.mktemp("hub")) as running:
        yield running
    assert not classroom.processes_of(running.run_id), "processes of the hub run outlived it"


def test_ten_learners_sign_in_at_once_and_run_notebook_05(hub, capsys):
    sessions = classroom.run_class(hub, LEARNERS, NOTEBOOK)
    with capsys.disabled():
        print("\nhub: " + classroom.summary(sessions))
    assert [s.name for s in sessions] == [f"learner{i:02d}" for i in range(1, LEARNERS + 1)]
    problems = [f"{s.name}: {s.errors}" for s in sessions if s.errors]
    assert not problems, "\n".join(problems) + "\n" + hub.log_tail()
    expected = committed_streams(NOTEBOOK)
    for s in sessions:
        assert len(s.streams) == len(expected), f"{s.name} ran {len(s.streams)} of {len(expected)} code cells"
        for index, (got, want) in enumerate(zip(s.streams, expected)):
            if want is not None:
                assert got == want, f"{s.name}, code cell {index}: printed\n{got}\ninstead of the committed\n{want}"
        assert 0 < s.kernel_seconds < s.notebook_seconds
    # each learner got the course in their own home, and only the learner's part of it
    for s in sessions:
        course = hub.folder / "home" / s.name / "course"
        assert (course / "notebooks" / NOTEBOOK.name).exists() and (course / "exercises").is_dir()
        assert not (course / "solutions").exists() and not (course / "notebooks" / "source").exists()
    assert statistics.median(s.kernel_seconds for s in sessions) > 0


def test_a_second_start_keeps_the_learners_work(hub):
    """The hook copies the course only once: a learner's edited notebook survives a restart."""
    import urllib.request

    name = "returning"
    edited = hub.folder / "home" / name / "course" / "notebooks" / NOTEBOOK.name

    def call(method, path):
        req = urllib.request.Request(
            f"{hub.url}/hub/api{path}", method=method, headers={"Authorization": f"token {hub.token}"}, data=b"{}"
        )
        return urllib.request.urlopen(req, timeout=60)

    def wait_ready(ready: bool):
        import time

        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            user = json.loads(
                urllib.request.urlopen(
                    urllib.request.Request(
                        f"{hub.url}/hub/api/users/{name}", headers={"Authorization": f"token {hub.token}"}
                    ),
                    timeout=30,
                ).read()
            )
            server = (user.get("servers") or {}).get("")
            if bool(server and server.get("ready")) == ready and not (server or {}).get("pending"):
                return
            time.sleep(0.3)
        raise AssertionError(f"server of {name} did not become {'ready' if ready else 'stopped'} in 180 s")

    call("POST", f"/users/{name}")
    call("POST", f"/users/{name}/server")
    wait_ready(True)
    edited.write_text('{"my": "work"}')
    call("DELETE", f"/users/{name}/server")
    wait_ready(False)
    call("POST", f"/users/{name}/server")
    wait_ready(True)
    assert edited.read_text() == '{"my": "work"}'
    call("DELETE", f"/users/{name}/server")
