import { execFileSync } from 'node:child_process';

/**
 * Integration tests need real system tools. Locally a missing tool skips the test with a message; under CI
 * (CI=true) it fails loudly, because a green run that skipped the real protocol checks proves nothing.
 */
export function haveTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function requireTools(...names: string[]): boolean {
  const missing = names.filter((n) => !haveTool(n));
  if (missing.length === 0) return true;
  const msg = `missing system tools: ${missing.join(', ')} (run: bash scripts/install-test-deps.sh)`;
  if (process.env.CI) throw new Error(msg);
  console.warn(`skipping: ${msg}`);
  return false;
}
