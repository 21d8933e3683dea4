import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isOwnPartial, partialPath, releasePartial } from '../core/partial-files.js';
import { HOST_TAG, processGone } from '../core/writer-identity.js';

/**
 * The record beside a partial bundle of what it holds (docs/bundle-format.md "Resume"): `<bundle>.journal.partial-…`,
 * named like the bundle's temporary files so that the stale-file sweep (src/core/partial-files.ts) treats it alike.
 * Its first line names the plan (the sha256 of the planned layout, src/bundle/layout.ts) and the next the temporary
 * files; then one line per blob whose bytes were synced to the disk before the line was written (`written <digest>`),
 * and, when a pull gave up, the part-written blobs' lengths (`prefix <digest> <bytes>`). Lines are only appended, so a
 * kill at any moment leaves at worst a torn last line, which is ignored.
 */
const MAGIC = 'ferry-pull-journal 1';
const PARTIAL = /\.partial-([0-9a-f]{8})-(\d+)-[0-9a-f]+$/;

export interface Adopted {
  files: string[];
  written: Set<string>;
  prefixes: Map<string, number>;
}

export class Journal {
  private constructor(
    readonly path: string,
    private readonly handle: fs.FileHandle,
  ) {}

  /** A fresh journal for this run's partial bundle, holding what it already has (an adopted one's entries). */
  static async create(outPath: string, plan: string, files: readonly string[], has: Adopted | undefined): Promise<Journal> {
    const path = partialPath(`${outPath}.journal`);
    const handle = await fs.open(path, 'wx', 0o644);
    const j = new Journal(path, handle);
    await j.append([
      `${MAGIC} ${plan}`,
      `files ${JSON.stringify(files.map((f) => basename(f)))}`,
      ...[...(has?.written ?? [])].map((d) => `written ${d}`),
    ]);
    return j;
  }

  async written(digests: string[]): Promise<void> {
    await this.append(digests.map((d) => `written ${d}`));
  }

  async prefixes(prefixes: ReadonlyMap<string, number>): Promise<void> {
    await this.append([...prefixes].map(([d, n]) => `prefix ${d} ${n}`));
  }

  private async append(lines: string[]): Promise<void> {
    if (lines.length > 0) await this.handle.write(`${lines.join('\n')}\n`);
  }

  /** The bundle is complete (or its partial was removed): the journal goes too. */
  async remove(): Promise<void> {
    await this.close();
    await fs.rm(this.path, { force: true });
    releasePartial(this.path);
  }

  /** Kept beside the kept partial bundle, for the next run (which may be this process's: released). */
  async close(): Promise<void> {
    await this.handle.close().catch(() => {});
    releasePartial(this.path);
  }
}

/**
 * Adopts the partial bundle a dead process left for the same plan: its files are renamed to this process's temporary
 * names (one rename(2) each, so of two runs racing for it one wins and the other starts fresh) and its journal is
 * read. Other leftovers are not touched here; the writer's stale-file sweep removes them.
 */
export async function adoptPartial(outPath: string, plan: string): Promise<Adopted | undefined> {
  const dir = dirname(outPath);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(`${basename(outPath)}.journal.partial-`)) continue;
    const m = PARTIAL.exec(name);
    const path = join(dir, name);
    // Left by a dead process, or by an earlier pull of this one that gave up (an in-process caller retrying).
    const left = Number(m?.[2]) === process.pid ? !isOwnPartial(path) : processGone(Number(m?.[2]));
    if (!m || m[1] !== HOST_TAG || !left) continue;
    const read = parse(await fs.readFile(path, 'utf8').catch(() => ''), plan);
    if (!read) continue;
    const files: string[] = [];
    try {
      for (const f of read.files) {
        const own = partialPath(join(dir, f.replace(PARTIAL, '')));
        await fs.rename(join(dir, f), own);
        files.push(own);
      }
    } catch {
      // Gone or taken by another run: what was renamed is this run's now, and the sweep removes it.
      continue;
    }
    await fs.rm(path, { force: true });
    return { files, written: read.written, prefixes: read.prefixes };
  }
  return undefined;
}

function parse(text: string, plan: string): { files: string[]; written: Set<string>; prefixes: Map<string, number> } | undefined {
  // Only whole lines: a kill mid-append leaves a torn last line.
  const lines = text.split('\n').slice(0, -1);
  if (lines[0] !== `${MAGIC} ${plan}` || !lines[1]?.startsWith('files ')) return undefined;
  let files: unknown;
  try {
    files = JSON.parse(lines[1].slice('files '.length));
  } catch {
    return undefined;
  }
  if (!Array.isArray(files) || !files.every((f) => typeof f === 'string' && !f.includes('/') && PARTIAL.test(f))) return undefined;
  const written = new Set<string>();
  const prefixes = new Map<string, number>();
  for (const line of lines.slice(2)) {
    const w = /^written (sha256:[0-9a-f]{64})$/.exec(line);
    if (w) written.add(w[1] as string);
    const p = /^prefix (sha256:[0-9a-f]{64}) (\d+)$/.exec(line);
    if (p) prefixes.set(p[1] as string, Number(p[2]));
  }
  for (const d of written) prefixes.delete(d);
  return { files: files as string[], written, prefixes };
}
