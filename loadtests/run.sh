#!/usr/bin/env bash
# The Locust load test against a seeded local server: `bash loadtests/run.sh [--users N] [--run-time S] ...`
# Exits non-zero on any failed request (see loadtests/run.py).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/locust ] || { echo "loadtests: run 'bash scripts/setup.sh' first (installs the 'load' extra)" >&2; exit 2; }
exec .venv/bin/python loadtests/run.py "$@"
