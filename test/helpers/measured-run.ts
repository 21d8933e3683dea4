import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface MeasuredRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Peak resident set size of bin/ferry, in MiB, as /usr/bin/time -v reports it. */
  rssMiB: number;
  /** Wall-clock seconds. */
  seconds: number;
}

/** Runs bin/ferry under `/usr/bin/time -v` and reports its exit code, output, peak RSS and elapsed time. */
export function runMeasured(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<MeasuredRun> {
  const report = join(mkdtempSync(join(tmpdir(), 'ferry-time-')), 'time.txt');
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(
      '/usr/bin/time',
      ['-v', '-o', report, './bin/ferry', ...args],
      {
        env: { ...process.env, ...(opts.env ?? {}) },
        maxBuffer: 64 << 20,
        timeout: opts.timeoutMs ?? Number(process.env.FERRY_TEST_RUN_TIMEOUT_MS ?? 100_000),
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        const seconds = (Date.now() - started) / 1000;
        let text = '';
        try {
          text = readFileSync(report, 'utf8');
        } catch {
          /* killed before time wrote its report */
        }
        const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(text)?.[1] ?? NaN);
        const status = /Exit status: (\d+)/.exec(text)?.[1];
        const code = status !== undefined ? Number(status) : err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr, rssMiB: kb / 1024, seconds });
      },
    );
    child.stdin?.end();
  });
}
