#!/usr/bin/env bash
# The Dockerfile's runtime steps without Docker: install the wheel from scripts/build_wheel.sh into a fresh
# virtualenv (dependencies from PyPI, as `pip install` in the image does) and run the entrypoint.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PYTHON" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q dist/crs-*.whl
(cd "$tmp" && PYTHONDONTWRITEBYTECODE=1 "$tmp/venv/bin/crs" serve --help >/dev/null)
(cd "$tmp" && "$tmp/venv/bin/python" -c "import crs._core, crs.api.server, prometheus_client; print('check_wheel: ok', crs._core.__file__)")
