#!/usr/bin/env bash
# Build the course website into build/site/ (static files: any web server or GitHub Pages serves them).
# Uses the committed notebook outputs; nothing is executed. Extra arguments go to scripts/build_site.py (--out DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/jupyter-book ]; then
    echo "site: Jupyter Book is missing; run scripts/setup.sh first" >&2
    exit 2
fi
exec .venv/bin/python scripts/build_site.py "$@"
