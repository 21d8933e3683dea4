// Prints the suite's closing line, "tests: N passed, N failed, N skipped", from vitest's JSON report, and fails
// when anything failed, nothing ran, or (under CI) anything was skipped: a skipped integration test proves nothing.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.log('tests: 0 passed, 1 failed, 0 skipped');
  console.error(`test-summary: no vitest report at ${file}: ${err.message}`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
const failed = (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
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
