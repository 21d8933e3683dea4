#!/usr/bin/env bash
# One command for the offline demo (see scripts/demo.ts). Installs only what the demo needs (no Chromium), builds,
# runs it. Every process the demo starts carries FERRY_DEMO_RUN in its environment; on any exit (success, failure,
# Ctrl-C, kill) whatever is still running with it is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-tools.sh
export FERRY_DEMO_RUN="$$-$RANDOM-$(date +%s%N)"
reap() { node dist-demo/scripts/reap.js FERRY_DEMO_RUN "$FERRY_DEMO_RUN" || true; }
trap reap EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
node dist-demo/scripts/demo.js "${1:-.demo}"
