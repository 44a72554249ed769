#!/usr/bin/env bash
# Start the course: JupyterLab on the notebooks, using the project's virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/jupyter lab notebooks/ "$@"
