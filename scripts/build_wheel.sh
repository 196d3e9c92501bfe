#!/usr/bin/env bash
# Builds the crs wheel (Python package + the Rust extension crs._core, release mode) into dist/.
# The Dockerfile's builder stage runs exactly this script, and so does scripts/test.sh (CI), which then
# installs the wheel into a fresh virtualenv and runs it the way the runtime image does.
# Needs: Python 3.11+ and a Rust toolchain >= rust_core/Cargo.toml's rust-version.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${BUILD_VENV:-.venv}
command -v cargo >/dev/null || { echo "build_wheel: cargo (Rust) is required" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q "maturin>=1.9,<2"
rm -f dist/crs-*.whl
"$VENV/bin/maturin" build --release --out dist --interpreter "$VENV/bin/python" --compatibility linux -q 2>&1 \
  | grep -v "^🔗\|^📦\|^🍹\|^🐍\|^💻" || true
ls dist/crs-*.whl
