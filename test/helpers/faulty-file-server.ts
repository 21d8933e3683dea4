import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { trackChild } from './cleanup.js';

/** One request as test/helpers/faulty_http_server.py logged it. */
export interface FaultyRequest {
  method: string;
  path: string;
  range: string | null;
  status: number;
  /** Body bytes written. */
  sent: number;
}

export interface FaultyFileServer {
  url: string;
  /** Every request so far, in order. */
  log(): FaultyRequest[];
}

/**
 * Python's http.server serving `files` (name → bytes) from a scratch directory, each first answer broken off in the
 * way its path's first segment says (/fin/, /chunked/, /eof/, /busy/: see faulty_http_server.py). Stopped by the
 * test file's cleanup (trackChild).
 */
export async function startFaultyFileServer(dir: string, files: Record<string, Buffer>): Promise<FaultyFileServer> {
  const root = join(dir, 'www');
  mkdirSync(root, { recursive: true });
  for (const [name, body] of Object.entries(files)) writeFileSync(join(root, name), body);
  const logPath = join(dir, 'requests.jsonl');
  const child = trackChild(
    spawn('python3', [resolve('test/helpers/faulty_http_server.py'), root, logPath], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += String(d)));
  const port = await new Promise<number>((done, fail) => {
    let out = '';
    child.stdout?.on('data', (d) => {
      out += String(d);
      const m = /PORT (\d+)/.exec(out);
      if (m) done(Number(m[1]));
    });
    child.once('exit', (code) => fail(new Error(`faulty_http_server.py exited (${code}): ${stderr}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    log: () =>
      existsSync(logPath)
        ? readFileSync(logPath, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as FaultyRequest)
        : [],
  };
}
