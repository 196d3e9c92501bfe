#!/usr/bin/env bash
# The whole test suite, as CI runs it: setup, static checks, Rust tests, then pytest (both storage
# backends; the contract suite runs against the embedded store and a real local Cassandra node), then the
# slow three-node Cassandra suite. Extra arguments go to both pytest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== generated stubs are current"
.venv/bin/python scripts/gen_protos.py --check
echo "== ruff"
.venv/bin/ruff check python tests scripts loadtests bench
.venv/bin/ruff format --check python tests scripts loadtests bench
echo "== mypy (strict)"
.venv/bin/mypy
.venv/bin/mypy loadtests bench/run.py bench/capacity.py bench/lookup_micro.py bench/tokenize_bench.py bench/cluster_reconcile.py \
    bench/customer360_bench.py bench/risk_bench.py bench/transactions_bench.py bench/feed_bench.py bench/clone_tenant.py \
    bench/store_free.py bench/free_store_server.py bench/cached_answer_server.py bench/instrument_server.py bench/cassandra_bulk.py bench/cassandra_scale.py bench/claim_order.py
echo "== stub matches the extension (mypy.stubtest)"
(cd python && ../.venv/bin/python -m mypy.stubtest crs._core)
echo "== rust: fmt, clippy, tests"
(cd rust_core && cargo fmt --check && cargo clippy --all-targets -q -- -D warnings && cargo test -q)
echo "== go: the benchmark's load generator (bench/loadgen): gofmt, vet, tests"
(cd bench/loadgen && unformatted=$(gofmt -l .) && { [ -z "$unformatted" ] || { echo "gofmt: $unformatted" >&2; exit 1; }; } && go vet ./... && go test -count=1 ./...)
echo "== deploy/: kustomize build, Kubernetes schemas, ports/probes/drain timing, live probes (scripts/check_deploy.py)"
.venv/bin/python scripts/check_deploy.py
echo "== wheel and image steps: the Dockerfile's scripts/build_wheel.sh, then its install + entrypoint (check_wheel.sh)"
bash scripts/build_wheel.sh
bash scripts/check_wheel.sh
echo "== pytest: unit, property, contract and integration tests on both backends (starts one Cassandra node)"
.venv/bin/python -m pytest -m "not slow" "$@"
echo "== pytest: slow suites (three-node Cassandra, RF=3)"
.venv/bin/python -m pytest -m slow "$@"
