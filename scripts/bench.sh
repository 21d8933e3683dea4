#!/usr/bin/env bash
# Benchmark ferry against skopeo on the same workload in the same run (see docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-tools.sh
node dist-demo/bench/run.js "${1:-bench/out}"
