#!/usr/bin/env bash
# Installs everything CRS needs on a fresh machine of this kind, from the project's own files:
# a virtualenv with the Python dependencies, the Rust extension crs._core (maturin, release build; it links the
# system libsqlite3, installed with apt when missing),
# the gRPC command-line clients used by the tests (grpcurl, grpc-health-probe) via `go install`, and
# Apache Cassandra's jars via Maven (scripts/cassandra.sh fetch).
# Idempotent: a second run only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
GRPCURL_VERSION=v1.9.4
HEALTH_PROBE_VERSION=v0.4.62
KUSTOMIZE_VERSION=v5.8.1

command -v cargo >/dev/null || { echo "setup: cargo (Rust) is required" >&2; exit 1; }
command -v go >/dev/null || { echo "setup: go is required for grpcurl and grpc-health-probe" >&2; exit 1; }

# crs._core links the system libsqlite3 (the library Python's sqlite3 module loads; rust_core/Cargo.toml says
# why), so the build needs its development link, libsqlite3.so (Debian/Ubuntu: libsqlite3-dev).
if ! ldconfig -p 2>/dev/null | grep -q 'libsqlite3\.so '; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -q && apt-get install -y -q --no-install-recommends libsqlite3-dev
  else
    echo "setup: libsqlite3-dev (libsqlite3.so) is required to build crs._core" >&2; exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "maturin>=1.9,<2"
# Builds rust_core/ into python/crs/_core*.so and installs crs (editable) with its dev and load extras.
VIRTUAL_ENV="$PWD/.venv" PATH="$PWD/.venv/bin:$PATH" \
  .venv/bin/maturin develop --release --extras dev,load -q 2>&1 | grep -v "^🔗\|^📦\|^🍹\|^🐍\|^💻" || true
.venv/bin/python -c "import crs._core" || { echo "setup: crs._core failed to build" >&2; exit 1; }

mkdir -p .tools/bin
export GOBIN="$PWD/.tools/bin"
[ -x .tools/bin/grpcurl ] || go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@${GRPCURL_VERSION}"
[ -x .tools/bin/grpc-health-probe ] || go install "github.com/grpc-ecosystem/grpc-health-probe@${HEALTH_PROBE_VERSION}"
# crs-loadgen drives the benchmark (bench/run.py): built from bench/loadgen (go.mod/go.sum) on every setup,
# so a change to its source takes effect (the Go build cache makes an unchanged rebuild quick).
(cd bench/loadgen && go build -buildvcs=false -o "$GOBIN/crs-loadgen" .)
# kustomize renders deploy/ overlays for scripts/check_deploy.py
[ -x .tools/bin/kustomize ] || go install "sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}"
# Apache Cassandra 5.0 jars (Maven Central) for the Cassandra backend's local nodes and tests.
if command -v mvn >/dev/null && command -v java >/dev/null; then
  bash scripts/cassandra.sh fetch
else
  echo "setup: mvn/java missing: the Cassandra backend's local nodes and tests will not run" >&2
fi
echo "setup: done (.venv, crs._core, .tools/bin, .tools/cassandra)"
