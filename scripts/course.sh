#!/usr/bin/env bash
# Start the course: JupyterLab on the notebooks, using the project's virtual environment.
# COURSE_DIR picks another folder (the browser tests use a copy); extra arguments go to JupyterLab.
set -euo pipefail
cd "$(dirname "$0")/.."
extra=()
if [ "$(id -u)" -eq 0 ]; then
    extra+=(--allow-root)  # JupyterLab refuses root without it (containers, CI machines)
fi
exec .venv/bin/jupyter lab "${COURSE_DIR:-notebooks/}" "${extra[@]}" "$@"
