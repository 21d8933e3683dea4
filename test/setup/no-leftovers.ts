import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, reap, settle } from '../helpers/leftovers.js';

/**
 * vitest globalSetup: marks every process the suite starts (the marker is inherited by workers, servers, gpg-agents,
 * tmux servers and ferry children alike) and, once the run is over, fails it naming each marked process still alive
 * — after stopping them, so a failed run leaves nothing behind either. With FERRY_LEFTOVERS_REPORT set (scripts/test.sh)
 * the outcome is also written there as a check report for scripts/test-summary.mjs.
 */
const MARK = 'FERRY_TEST_RUN';

/** vitest itself: this process and its direct children (the pool's workers, the transform service). */
function vitestProcesses(): number[] {
  const children = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return (
          Number(
            readFileSync(`/proc/${p}/stat`, 'utf8')
              .replace(/^.*\) /s, '')
              .split(' ')[1],
          ) === process.pid
        );
      } catch {
        return false;
      }
    });
  return [process.pid, ...children.map(Number)];
}

export default function setup(): () => Promise<void> {
  const value = randomUUID();
  process.env[MARK] = value;
  return async () => {
    const left = await settle(MARK, value, 3000, vitestProcesses());
    const message = `the tests left ${left.length} processes running (now stopped); stop them in the test or register them in test/helpers/cleanup.ts:\n${describe(left)}`;
    const report = process.env.FERRY_LEFTOVERS_REPORT;
    if (report) writeFileSync(report, JSON.stringify(left.length === 0 ? { passed: 1, failed: [] } : { passed: 0, failed: [message] }));
    if (left.length === 0) return;
    await reap(left);
    throw new Error(message);
  };
}
