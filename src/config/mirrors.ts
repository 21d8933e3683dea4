import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { FerryError } from '../core/errors.js';

/**
 * Where requests really go. A rule FROM=TO either names a registry host (`docker.io`, `quay.io`,
 * `127.0.0.1:5000`) whose API requests go to the endpoint TO, or a URL prefix (`https://github.com/`) whose file
 * downloads are fetched from TO instead; the longest matching prefix wins. Only the destination changes: names in
 * the bundle, lock and reports stay the upstream names.
 */
export class Mirrors {
  private readonly registries = new Map<string, string>();
  private readonly prefixes: [string, string][] = [];

  constructor(rules: Iterable<[string, string]> = []) {
    for (const [from, to] of rules) this.add(from, to);
  }

  /** Later rules for the same FROM replace earlier ones (command-line flags after the config file). */
  add(from: string, to: string): void {
    if (from.includes('://')) {
      const i = this.prefixes.findIndex(([f]) => f === from);
      if (i >= 0) this.prefixes.splice(i, 1);
      this.prefixes.push([from, to]);
      this.prefixes.sort((a, b) => b[0].length - a[0].length);
    } else {
      this.registries.set(normaliseRegistry(from), endpointUrl(to));
    }
  }

  /** Base URL of the endpoint for an upstream registry, when a rule names it. */
  endpointFor(registry: string): string | undefined {
    return this.registries.get(normaliseRegistry(registry));
  }

  /** The URL to contact for an upstream file URL. */
  rewriteUrl(url: string): string {
    const hit = this.prefixes.find(([from]) => url.startsWith(from));
    return hit ? hit[1] + url.slice(hit[0].length) : url;
  }
}

function normaliseRegistry(host: string): string {
  const h = host.toLowerCase().replace(/\/+$/, '');
  return h === 'index.docker.io' || h === 'registry-1.docker.io' ? 'docker.io' : h;
}

/** `http://…` and `https://…` are kept; a bare `host:port` means HTTPS. */
function endpointUrl(to: string): string {
  return (/^https?:\/\//.test(to) ? to : `https://${to}`).replace(/\/+$/, '');
}

export function parseMirrorFlag(value: string): [string, string] {
  const eq = value.indexOf('=');
  const from = value.slice(0, eq).trim();
  const to = value.slice(eq + 1).trim();
  if (eq <= 0 || !from || !to) {
    throw new FerryError('USAGE', `--mirror "${value}": expected FROM=TO, e.g. docker.io=http://127.0.0.1:5000 or https://github.com/=http://proxy/gh/`, { value });
  }
  if (from.includes('://') && !/^https?:\/\//.test(to)) {
    throw new FerryError('USAGE', `--mirror "${value}": a URL prefix must map to an http:// or https:// URL`, { value });
  }
  return [from, to];
}

const configSchema = z.object({ mirrors: z.record(z.string(), z.string()).optional() }).strict();

export interface FerryConfig {
  mirrors: [string, string][];
}

export async function loadConfig(path: string): Promise<FerryConfig> {
  let raw: unknown;
  try {
    raw = parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new FerryError('USAGE', `cannot read config ${path}: ${(err as Error).message}`, { path });
  }
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.code === 'unrecognized_keys' ? `unknown key(s) ${i.keys.join(', ')}` : i.message}`);
    throw new FerryError('USAGE', `invalid config ${path}:\n  ${lines.join('\n  ')}`, { path });
  }
  return { mirrors: Object.entries(parsed.data.mirrors ?? {}).map(([from, to]) => parseMirrorFlag(`${from}=${to}`)) };
}
