#!/usr/bin/env bash
# One command for the offline demo: install what it needs, build, run (see scripts/demo.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
npm run build --silent
npx tsc -p tsconfig.scripts.json
node dist-demo/scripts/demo.js "${1:-.demo}"
