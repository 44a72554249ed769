"""The one-click launch configuration (binder/), checked the way repo2docker reads it.

No container engine here, so the image is imitated: apt.txt is parsed with repo2docker's rules and
its names are looked up with apt-cache; a fresh virtual environment gets binder/requirements.txt,
then binder/postBuild runs in a copy of the repository; the package must import and notebook 05 must
run in that environment's own kernel, drawing its diagrams with Graphviz. The install needs PyPI
(pip's cache is reused); without it the install test is skipped with the reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"
CONFIG_FILES = (
    "apt.txt",
    "requirements.txt",
    "postBuild",
    "environment.yml",
    "runtime.txt",
    "Project.toml",
    "install.R",
    "setup.py",
    "start",
    "Dockerfile",
)
INSTALL_SECONDS = 600
OFFLINE = (
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ProxyError",
    "Could not fetch URL",
    "ConnectTimeout",
    "dns error",
    "Failed to fetch",
    "error sending request",
)  # pip's and uv's words for "no index"


def apt_packages() -> list[str]:
    """apt.txt as repo2docker reads it: '#' starts a comment, one package per line."""
    names = []
    for number, line in enumerate((BINDER / "apt.txt").read_text().splitlines(), 1):
        name = line.partition("#")[0].strip()
        if name:
            # repo2docker's own check (it pastes the names into a shell command)
            assert re.fullmatch(r"[a-z0-9.+-]+", name), f"binder/apt.txt line {number}: {name!r} is not a package name"
            names.append(name)
    return names


def requirement_names(lines: list[str]) -> set[str]:
    names = set()
    for line in lines:
        line = line.partition("#")[0].strip()
        if line:
            names.add(re.split(r"[\s<>=!~;\[]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def test_binder_folder_is_the_only_configuration():
    """With binder/ present repo2docker ignores root-level files: none may sit there to mislead."""
    assert BINDER.is_dir()
    stray = [name for name in CONFIG_FILES if (ROOT / name).exists()]
    assert not stray, f"repo2docker would ignore these root files because binder/ exists: {stray}"
    present = sorted(p.name for p in BINDER.iterdir())
    assert {"apt.txt", "requirements.txt", "postBuild"} <= set(present), present
    assert not (BINDER / "runtime.txt").exists(), "a runtime.txt would split kernel and JupyterLab environments"


def test_apt_txt_names_graphviz_and_only_installable_packages():
    names = apt_packages()
    assert "graphviz" in names
    if shutil.which("apt-cache") is None:
        pytest.skip("apt-cache is not available: package names checked for form only")
    for name in names:
        found = subprocess.run(["apt-cache", "show", name], capture_output=True, text=True, timeout=60)
        assert found.returncode == 0 and f"Package: {name}" in found.stdout, (
            f"binder/apt.txt: {name!r} is not a package apt knows ({found.stderr.strip()[:200]})"
        )


def test_requirements_cover_the_package_and_its_course_extra():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = requirement_names(project["dependencies"] + project["optional-dependencies"]["course"])
    listed = requirement_names((BINDER / "requirements.txt").read_text().splitlines())
    assert needed <= listed, f"binder/requirements.txt lacks {sorted(needed - listed)} from pyproject.toml"
    assert not any(
        line.strip().startswith(("-e", ".", "/")) for line in (BINDER / "requirements.txt").read_text().splitlines()
    ), "local paths belong in postBuild (requirements are installed before the copy)"


def test_post_build_is_an_executable_bash_script_that_installs_the_package():
    post_build = BINDER / "postBuild"
    text = post_build.read_text()
    assert text.startswith("#!/bin/bash") and "set -e" in text
    assert os.access(post_build, os.X_OK)
    mode = subprocess.run(["git", "ls-files", "-s", "binder/postBuild"], cwd=ROOT, capture_output=True, text=True)
    if mode.stdout:
        assert mode.stdout.startswith("100755"), "binder/postBuild is committed without its executable bit"
    assert re.search(r"pip install .*\s\.\s*$", text, re.M), "postBuild must install the repository's package"


def repository_copy(target: Path) -> Path:
    """The files repo2docker would copy: the checkout's tracked and untracked-but-not-ignored files."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, timeout=60
    )
    files = [f for f in listed.stdout.decode().split("\0") if f] if listed.returncode == 0 else []
    if not files:
        pytest.skip("not a git checkout: cannot tell which files repo2docker would copy")
    for name in files:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def test_fresh_environment_built_like_the_image_runs_notebook_05(tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz 'dot' is missing here, so apt.txt's effect cannot be imitated")
    repo = repository_copy(tmp_path / "repo")
    venv = tmp_path / "venv"
    start = time.monotonic()
    made = run([sys.executable, "-m", "venv", str(venv)], timeout=120)
    assert made.returncode == 0, made.stderr
    bin_dir = venv / "bin"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env['PATH']}",
        VIRTUAL_ENV=str(venv),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        IPYTHONDIR=str(tmp_path / "ipython"),
        MPLCONFIGDIR=str(tmp_path / "mpl"),
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    # repo2docker runs pip; uv installs the same requirements from the same index in a fraction of the
    # time (no bytecode compiling, a shared cache), which keeps this test affordable in CI
    uv = Path(sys.executable).parent / "uv"
    installer = (
        [str(uv), "pip", "install", "-q", "--python", str(bin_dir / "python")]
        if uv.exists()
        else [str(bin_dir / "python"), "-m", "pip", "install", "-q", "--no-compile"]
    )
    installed = run(installer + ["-r", "binder/requirements.txt"], cwd=repo, env=env, timeout=INSTALL_SECONDS)
    if installed.returncode != 0 and any(marker in installed.stderr for marker in OFFLINE):
        pytest.skip(
            f"PyPI is not reachable, so the image's Python packages cannot be installed: "
            f"{installed.stderr.strip().splitlines()[-1][:200]}"
        )
    assert installed.returncode == 0, installed.stderr[-3000:]
    post = run(["bash", "binder/postBuild"], cwd=repo, env=env, timeout=INSTALL_SECONDS)
    assert post.returncode == 0, post.stdout[-2000:] + post.stderr[-3000:]
    assert not (repo / "solutions").exists(), "postBuild must remove solutions/ from the learners' image"
    took = time.monotonic() - start
    print(f"\nrepo2docker imitation: requirements ({Path(installer[0]).name}) + postBuild in {took:.0f} s")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = run(
        [str(bin_dir / "python"), "-c", "import rpc_impersonation, sys; print(rpc_impersonation.__file__)"],
        cwd=elsewhere,
        env=env,
        timeout=120,
    )
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(venv), (
        f"imported from {where.stdout.strip()}, not the new environment"
    )

    # the image's Jupyter server sends kernel messages at once (rpc_impersonation.lab_server, switched on by
    # the data file a non-editable install puts into the environment)
    switch = venv / "etc" / "jupyter" / "jupyter_server_config.d" / "rpc_impersonation.json"
    assert switch.is_file(), f"{switch.relative_to(tmp_path)} was not installed with the package"
    listed = run([str(bin_dir / "jupyter"), "server", "extension", "list"], cwd=elsewhere, env=env, timeout=120)
    said = listed.stdout + listed.stderr  # "enabled" comes from the config; "OK" only once it imported
    assert re.search(r"rpc_impersonation\.lab_server\s.*enabled", said), said[-2000:]
    assert re.search(r"rpc_impersonation\.lab_server\s.*OK", said), said[-2000:]

    notebook = repo / "notebooks" / "05_ncalrpc_exception.ipynb"
    script = tmp_path / "run_notebook.py"
    script.write_text(
        "import sys, nbformat\n"
        "from nbclient import NotebookClient\n"
        "nb = nbformat.read(sys.argv[1], as_version=4)\n"
        "nb.cells.append(nbformat.v4.new_code_cell('import sys, rpc_impersonation; print(sys.prefix)'))\n"
        "NotebookClient(nb, kernel_name='python3', timeout=180,\n"
        "               resources={'metadata': {'path': sys.argv[2]}}).execute()\n"
        "nbformat.write(nb, sys.argv[3])\n"
    )
    result = tmp_path / "05_out.ipynb"
    ran = run(
        [str(bin_dir / "python"), str(script), str(notebook), str(notebook.parent), str(result)],
        cwd=elsewhere,
        env=env,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    cells = [c for c in json.loads(result.read_text())["cells"] if c["cell_type"] == "code"]
    errors = [o for c in cells for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, errors
    prefix = "".join(cells[-1]["outputs"][0]["text"]).strip()
    assert Path(prefix).resolve() == venv.resolve(), f"the kernel ran in {prefix}, not in the new environment"
    drawn = [
        "".join(o["data"].get("image/svg+xml", "")) + "".join(o["data"].get("text/html", ""))
        for c in cells
        for o in c["outputs"]
        if "data" in o
    ]
    assert any("<svg" in d for d in drawn), "notebook 05 drew no SVG diagram in the new environment"
    printed = json.dumps(cells)
    assert "program was not found" not in printed, "Graphviz's dot was missing in the new environment"
