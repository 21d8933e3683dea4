#!/usr/bin/env bash
# Shared by the demo and the benchmark: install what they need (not Chromium, tmux or python3: only the tests use
# them), build ferry, and build the scripts and the test helpers they reuse (registry launcher, image generator, file
# server) into dist-demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh --demo
npm run build --silent
npx tsc -p tsconfig.scripts.json
