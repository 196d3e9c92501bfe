#!/usr/bin/env bash
# Sets up (idempotent) and starts CRS on the embedded store in ./var, on 127.0.0.1:50051.
# First run creates var/keys.json (card-data keys) and var/bootstrap-api-key (an admin API key
# for tenant "default"). Extra arguments go to `crs serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/crs serve "$@"
