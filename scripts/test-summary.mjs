// Prints the suite's closing line, "tests: N passed, N failed, N skipped", from vitest's JSON report plus the reports
// of the checks run beside it ({ "passed": N, "failed": ["what failed", …] }: the no-leftover-process guard, the demo
// check), and fails when anything failed, nothing ran, or (under CI) anything was skipped: a skipped integration test
// proves nothing.
import { readFileSync } from 'node:fs';

const [file, ...extras] = process.argv.slice(2);
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.log('tests: 0 passed, 1 failed, 0 skipped');
  console.error(`test-summary: no vitest report at ${file}: ${err.message}`);
  process.exit(1);
}
let passed = report.numPassedTests ?? 0;
// A failed test counts once; a file that failed without a failed test in it (an import error, a failing hook) once more.
// numFailedTestSuites would count the file and every describe block around a failed test again.
const brokenFiles = (report.testResults ?? []).filter(
  (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
);
let failed = (report.numFailedTests ?? 0) + brokenFiles.length;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
for (const extra of extras) {
  try {
    const r = JSON.parse(readFileSync(extra, 'utf8'));
    passed += r.passed ?? 0;
    failed += (r.failed ?? []).length;
    for (const f of r.failed ?? []) console.error(`test-summary: ${f.split('\n')[0]}`);
  } catch (err) {
    failed += 1;
    console.error(`test-summary: no check report at ${extra}: ${err.message}`);
  }
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
if (failed > 0) process.exit(1);
if (passed === 0) {
  console.error('test-summary: no test ran');
  process.exit(1);
}
if (skipped > 0 && process.env.CI) {
  console.error('test-summary: tests were skipped under CI');
  process.exit(1);
}
