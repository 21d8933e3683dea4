#!/usr/bin/env bash
# The one command that installs what the tests need and runs the whole suite (what CI runs): vitest (which fails
# if any process it started is still running at the end), then the demo as a person meets it (scripts/check-demo.ts:
# on a real terminal, after the suite because the demo rebuilds dist/, which the suite's tests run). The single
# executable is built inside the suite, from this dist/, by test/integration/release.test.ts (two builds, ~20 s).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
npm run build --silent
# Formatting (prettier, 140 columns) and lint rules (ESLint, at most 300 lines a source file): fast, so first.
npm run lint --silent
npx tsc -p tsconfig.test.json
out=$(mktemp -d)
status=0
FERRY_LEFTOVERS_REPORT="$out/leftovers.json" npx vitest run --reporter=default --reporter=json --outputFile="$out/vitest.json" || status=$?
npx tsc -p tsconfig.scripts.json
node dist-demo/scripts/check-demo.js --report "$out/demo.json" || status=$?
node scripts/test-summary.mjs "$out/vitest.json" "$out/leftovers.json" "$out/demo.json" || status=$?
exit $status
