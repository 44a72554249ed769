#!/usr/bin/env bash
# One-step setup on Debian/Ubuntu: Graphviz (if missing), a virtual environment in .venv,
# the package with everything the course and its tests need, and the python3 kernel.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v dot >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing Graphviz with apt-get"
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq graphviz >/dev/null
    else
        echo "setup: the Graphviz 'dot' program is missing; install Graphviz (see README.md) and run again" >&2
        exit 1
    fi
fi

# bubblewrap is the sandbox the grader runs student code in (docs/grading.md, "Isolation").
if ! command -v bwrap >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing bubblewrap with apt-get (the grader's sandbox)"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq bubblewrap >/dev/null
fi

# Chromium drives the browser tests (tests/e2e); SKIP_BROWSER=1 leaves it out (those tests then say so).
if [ "${SKIP_BROWSER:-0}" != "1" ] && [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Chromium with apt-get (for the browser tests)"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev,site,hosting]"
# jupyter-events pulls in rfc3987-syntax, which costs 1.3 s on every `import nbformat`
# (so on every pytest start with nbval installed); jsonschema treats it as optional.
.venv/bin/python -m pip uninstall -y -q rfc3987-syntax >/dev/null 2>&1 || true
# An editable install leaves out data files: put the switch for rpc_impersonation.lab_server (kernel
# messages sent at once) where every Jupyter server of .venv reads it, as `pip install .` would.
install -D -m 644 jupyter-config/jupyter_server_config.d/rpc_impersonation.json \
    .venv/etc/jupyter/jupyter_server_config.d/rpc_impersonation.json
.venv/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
# JupyterHub's proxy, installed into hosting/ from the lock file (tests/hosting skip, saying so, without Node)
if command -v npm >/dev/null 2>&1; then
    npm ci --prefix hosting --no-audit --no-fund --loglevel=error >/dev/null
else
    echo "setup: npm not found; the JupyterHub test will be skipped (install Node.js 20+ to run it)"
fi
echo "setup: done. Run the tests with: scripts/test.sh"
