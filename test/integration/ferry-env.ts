import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mirrors } from '../../src/config/mirrors.js';
import type { FerryEvent } from '../../src/core/events.js';
import { RegistryClient, type RegistryClientOptions } from '../../src/registry/client.js';
import { createHttpGetter } from '../../src/registry/http-getter.js';
import { type PullOptions, pullBundle } from '../../src/pull/pull-bundle.js';

/** A scratch directory and a ferry wired the way the CLI wires it, pointed at test servers through mirrors. */
export function scratch(prefix = 'ferry-it-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeManifest(dir: string, body: string, name = 'it'): string {
  const path = join(dir, 'bundle.yaml');
  writeFileSync(path, `apiVersion: ferry.dev/v1alpha1\nkind: Bundle\nmetadata:\n  name: ${name}\nspec:\n${body}`);
  return path;
}

export interface Pulled {
  events: FerryEvent[];
  result: Awaited<ReturnType<typeof pullBundle>>;
}

export async function pull(
  manifestPath: string,
  outPath: string,
  mirrors: [string, string][],
  extra: Partial<Omit<PullOptions, 'client'>> & { client?: Partial<RegistryClientOptions> } = {},
): Promise<Pulled> {
  const events: FerryEvent[] = [];
  const { client: clientOpts, ...pullOpts } = extra;
  const m = new Mirrors(mirrors);
  const client = new RegistryClient({
    endpointFor: (r) => m.endpointFor(r),
    baseDelayMs: 5,
    events: (e) => events.push(e),
    ...(clientOpts ?? {}),
  });
  try {
    const result = await pullBundle({
      manifestPath,
      outPath,
      cacheDir: join(outPath, '..', 'cache'),
      client,
      http: createHttpGetter(client.transport, (u) => m.rewriteUrl(u)),
      events: (e) => events.push(e),
      ...pullOpts,
    });
    return { events, result };
  } finally {
    await client.close();
  }
}

export function run(
  args: string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      './bin/ferry',
      args,
      { env: { ...process.env, ...(opts.env ?? {}) }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}
