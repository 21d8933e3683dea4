import { createHash } from 'node:crypto';
import { formatSha256Sums } from '../../src/bundle/sha256sums.js';
import { parseLock } from '../../src/lock/lock-file.js';
import { buildSbom } from '../../src/sbom/build-sbom.js';

const SBOM = 'sbom.cdx.json';
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * A bundle's members (SHA256SUMS and its signature left out) with sbom.cdx.json made again from the others, as
 * anyone with ferry can after editing a bundle: the SBOM is derived data, vouched for only by SHA256SUMS. Members
 * without an SBOM, or whose lock no longer parses (verify reports the lock), come back as they are.
 */
export function withRemadeSbom<T extends [string, Buffer]>(entries: T[]): T[] {
  const by = new Map(entries.map(([p, b]) => [p, b]));
  const at = entries.findIndex(([p]) => p === SBOM);
  if (at < 0) return entries;
  let lock;
  try {
    lock = parseLock((by.get('ferry.lock.json') as Buffer).toString('utf8'), 'ferry.lock.json');
  } catch {
    return entries;
  }
  const json = (p: string) => JSON.parse((by.get(p) as Buffer).toString('utf8'));
  const index = json('index.json');
  const meta = json('ferry-bundle.json');
  const children = new Map<string, string[]>();
  for (const d of index.manifests ?? []) {
    const body = by.get(`blobs/sha256/${String(d.digest).slice(7)}`);
    if (body && /index|manifest\.list/.test(String(d.mediaType)))
      children.set(
        d.digest,
        (JSON.parse(body.toString('utf8')).manifests ?? []).map((m: { digest: string }) => m.digest),
      );
  }
  const sums = formatSha256Sums(entries.filter(([p]) => p !== SBOM).map(([p, b]) => ({ path: p, hex: hex(b) })));
  const out = [...entries];
  out[at] = [SBOM, buildSbom({ name: meta.name, tool: meta.tool, sums, index, lock, children })] as T;
  return out;
}
