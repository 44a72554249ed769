#!/usr/bin/env bash
# The whole test suite: engine tests, doctests in src/, and the notebooks under nbval (strict).
# Extra arguments go to pytest (both parts below), e.g. `scripts/test.sh -k grading -q`.
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

# pytest's exit code 5 means "no test selected" (e.g. extra arguments naming other tests): not a failure here.
run() { .venv/bin/python -m pytest -rs "$@" || { status=$?; [ "$status" = 5 ] || return "$status"; }; }

# 1. Everything but the timings a learner feels, in parallel.
run "${workers[@]}" -m "not quiet_machine" "${targets[@]}" "$@"
# 2. Those timings alone, on a machine no longer busy with part 1 (see the marker in pyproject.toml).
echo "test: the timings a learner feels, run alone"
run -m quiet_machine tests/e2e "$@"
