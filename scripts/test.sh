#!/usr/bin/env bash
# The whole test suite: engine tests, doctests in src/, and the notebooks under nbval (strict).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
    echo "test: no .venv here; run scripts/setup.sh first" >&2
    exit 2
fi
export PYTHONHASHSEED=0
targets=(tests src)  # tests/e2e drives JupyterLab in headless Chromium
if compgen -G "notebooks/*.ipynb" >/dev/null; then
    targets+=(notebooks --nbval --nbval-sanitize-with notebooks/sanitize.cfg)
fi
# -rs prints every skipped test with its reason: nothing is skipped silently.
# Three workers on two cores (much of the suite waits on browsers, servers and sandboxes); a file's
# tests stay together in one worker (a notebook's cells share its kernel). TEST_WORKERS=0 runs serially.
workers=(-n "${TEST_WORKERS:-3}" --dist loadfile)
[ "${TEST_WORKERS:-3}" = "0" ] && workers=()
exec .venv/bin/python -m pytest -rs "${workers[@]}" "${targets[@]}" "$@"
