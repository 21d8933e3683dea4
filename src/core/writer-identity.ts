import { createHash } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who wrote a temporary file, for the two places that name them so (the cache's scratch files, src/store/writers.ts,
 * and the temporary files beside outputs, partial-files.ts): a short tag for this machine and pid namespace, and
 * whether a pid of this host has ended. A directory on a shared file system or a volume shared by containers then
 * never mistakes another host's (or namespace's) pid for one of ours.
 */
export const HOST_TAG = createHash('sha256').update(`${hostname()} ${pidNamespace()}`).digest('hex').slice(0, 8);

function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid'); // Linux: "pid:[4026531836]", one per namespace
  } catch {
    return '';
  }
}

/** True when the process `pid` of this host has ended (EPERM: it exists, under another user). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
