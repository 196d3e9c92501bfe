#!/usr/bin/env bash
# The benchmark: writes BENCHMARKS.md at the repository root (see bench/run.py for the options).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .tools/bin/crs-loadgen ] && [ -x .venv/bin/py-spy ] || { echo "bench: run 'bash scripts/setup.sh' first" >&2; exit 2; }
exec .venv/bin/python bench/run.py "$@"
