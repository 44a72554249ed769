"""The hosting configurations point at files that exist and hand out the learners' part only."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HOSTING = ROOT / "hosting"


def hub_config():
    traitlets = pytest.importorskip("traitlets.config", reason="traitlets is not installed: run scripts/setup.sh")
    config = traitlets.Config()
    scope = {"get_config": lambda: config, "__file__": str(HOSTING / "jupyterhub_config.py")}
    exec(compile((HOSTING / "jupyterhub_config.py").read_text(), "jupyterhub_config.py", "exec"), scope)
    return config, scope


def test_single_machine_hub_config():
    config, scope = hub_config()
    assert config.JupyterHub.bind_url.startswith("http://127.0.0.1:"), "the hub must not face the network unprotected"
    proxy = Path(config.ConfigurableHTTPProxy.command[0])
    assert proxy.parent == HOSTING / "node_modules" / ".bin", proxy
    assert Path(config.Spawner.cmd[0]).name == "jupyterhub-singleuser"
    opened = config.Spawner.default_url.removeprefix("/lab/tree/course/")
    assert (ROOT / opened).is_file(), f"the hub opens {opened}, which does not exist"
    assert set(scope["COPIED"]) == {"notebooks", "exercises"}


def test_the_start_hook_copies_the_course_once_and_never_solutions(tmp_path):
    _, scope = hub_config()

    class FakeSpawner:
        home_dir = str(tmp_path / "home" / "ada")

    scope["copy_course"](FakeSpawner())
    course = tmp_path / "home" / "ada" / "course"
    assert sorted(p.name for p in course.iterdir()) == ["exercises", "notebooks"]
    assert not (course / "notebooks" / "source").exists()
    assert {p.name for p in (course / "notebooks").glob("*.ipynb")} == {
        p.name for p in (ROOT / "notebooks").glob("*.ipynb")
    }
    mine = course / "notebooks" / "00_start_here.ipynb"
    mine.write_text("my work")
    scope["copy_course"](FakeSpawner())
    assert mine.read_text() == "my work"


def test_zero_to_jupyterhub_values():
    values = yaml.safe_load((HOSTING / "z2jh-values.yaml").read_text())
    single = values["singleuser"]
    assert single["image"]["name"] and single["image"]["tag"] != "latest"
    assert single["cmd"] == "jupyterhub-singleuser"
    opened = single["defaultUrl"].removeprefix("/lab/tree/course/")
    assert (ROOT / opened).is_file(), f"the values open {opened}, which does not exist"
    hook = " ".join(single["lifecycleHooks"]["postStart"]["exec"]["command"])
    assert "for d in notebooks exercises" in hook and "solutions" not in hook
    header = (HOSTING / "z2jh-values.yaml").read_text()
    assert "--target-repo-dir /srv/course" in header and "/srv/course/$d" in hook
    assert single["memory"]["limit"] and single["cpu"]["limit"]
    assert values["cull"]["enabled"] is True


def test_proxy_is_pinned_by_the_lock_file():
    package = json.loads((HOSTING / "package.json").read_text())
    lock = json.loads((HOSTING / "package-lock.json").read_text())
    wanted = package["dependencies"]["configurable-http-proxy"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", wanted), "pin an exact proxy version"
    assert lock["packages"]["node_modules/configurable-http-proxy"]["version"] == wanted


def test_readme_launch_badge_opens_an_existing_notebook():
    readme = (ROOT / "README.md").read_text()
    link = re.search(r"https://mybinder\.org/v2/gh/[^)\s]+", readme)
    assert link, "README has no Binder launch badge"
    path = re.search(r"urlpath=lab/tree/([^)&\s]+)", link.group(0)).group(1)
    assert (ROOT / path).is_file(), f"the launch badge opens {path}, which does not exist"


def test_the_hub_test_names_what_is_missing(monkeypatch, tmp_path):
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("classroom_for_reasons", HOSTING / "classroom.py")
    classroom = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = classroom
    spec.loader.exec_module(classroom)
    monkeypatch.setattr(classroom, "PROXY", HOSTING / "node_modules" / ".bin" / "no-such-proxy")
    monkeypatch.setattr(classroom.shutil, "which", lambda name: None)
    reasons = classroom.missing_pieces()
    assert any("Node.js is not installed" in r for r in reasons)
    assert any("configurable-http-proxy is not installed in hosting/" in r and "npm ci" in r for r in reasons)
    with pytest.raises(classroom.ClassroomError, match="Node.js is not installed"):
        with classroom.running_hub(tmp_path):
            pass
    assert classroom.percentile([5.0, 1.0, 3.0, 2.0, 4.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.95) == 10.0
    assert classroom.percentile([1.0, 2.0], 0.5) == 1.0
