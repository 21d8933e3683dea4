/**
 * What test helpers started and must stop (registries, gpg-agents, terminals, child processes): each helper registers
 * its stop here, the per-file hook in test/setup/cleanup.ts runs whatever a test file left running once the file is
 * done, and the demo runs them on every exit path. A stop that already ran unregisters itself.
 */
type Stop = () => unknown;
const pending = new Set<Stop>();

/** Registers `stop`; returns a function that unregisters it (call it from the helper's own stop). */
export function onCleanup(stop: Stop): () => void {
  pending.add(stop);
  return () => void pending.delete(stop);
}

/** Runs every registered stop (newest first), each once; errors are collected and thrown together at the end. */
export async function runCleanups(): Promise<void> {
  const stops = [...pending].reverse();
  pending.clear();
  const errors: unknown[] = [];
  for (const stop of stops) {
    try {
      await stop();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, `cleanup: ${errors.length} stops failed: ${errors.map(String).join('; ')}`);
}

/** Registers a child process: killed (SIGTERM, then SIGKILL after 3 s) and waited for, unless it ended first. */
export function trackChild<T extends import('node:child_process').ChildProcess>(child: T): T {
  const running = () => child.exitCode === null && child.signalCode === null;
  const exited = new Promise<void>((r) => (running() ? child.once('exit', () => r()) : r()));
  const unregister = onCleanup(async () => {
    if (!running()) return;
    child.kill('SIGTERM');
    const late = setTimeout(() => running() && child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(late);
  });
  void exited.then(unregister);
  return child;
}
