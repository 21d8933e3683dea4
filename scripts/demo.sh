#!/usr/bin/env bash
# One command for the offline demo (see scripts/demo.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-tools.sh
node dist-demo/scripts/demo.js "${1:-.demo}"
