#!/usr/bin/env bash
# The one command that installs what the tests need and runs the whole suite (what CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
npm run build --silent
npx tsc -p tsconfig.test.json
out=$(mktemp -d)
status=0
npx vitest run --reporter=default --reporter=json --outputFile="$out/vitest.json" || status=$?
node scripts/test-summary.mjs "$out/vitest.json" || status=$?
exit $status
