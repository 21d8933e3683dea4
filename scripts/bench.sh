#!/usr/bin/env bash
# Benchmark ferry against skopeo on the same workload in the same run (see docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-tools.sh
# The single executable too: it is what the enclave runs (no Node there), so its repeated push is measured beside.
node scripts/release.mjs >/dev/null
node dist-demo/bench/run.js "${1:-bench/out}"
