#!/usr/bin/env bash
# The whole test suite, as CI runs it: setup, static checks, Rust tests, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== generated stubs are current"
.venv/bin/python scripts/gen_protos.py --check
echo "== ruff"
.venv/bin/ruff check python tests scripts
.venv/bin/ruff format --check python tests scripts
echo "== mypy (strict)"
.venv/bin/mypy
echo "== stub matches the extension (mypy.stubtest)"
(cd python && ../.venv/bin/python -m mypy.stubtest crs._core)
echo "== rust: fmt, clippy, tests"
(cd rust_core && cargo fmt --check && cargo clippy --all-targets -q -- -D warnings && cargo test -q)
echo "== pytest"
.venv/bin/python -m pytest "$@"
