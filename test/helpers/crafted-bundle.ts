import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { formatSha256Sums } from '../../src/bundle/sha256sums.js';
import { withRemadeSbom } from './remake-sbom.js';
import { type RawEntry, rawEntries, rawTar } from '../unit/bundle/fixtures.js';

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const blobPath = (h: string) => `blobs/sha256/${h}`;
const SBOM = 'sbom.cdx.json';

/**
 * A bundle rewritten the way an attacker without the signing key would: members edited, every blob that changed
 * renamed to its new digest (and every descriptor naming it updated, up to index.json), and SHA256SUMS recomputed,
 * so the result is self-consistent and `verify` without --key has nothing to complain about.
 */
export class CraftedBundle {
  private entries: Map<string, Buffer>;

  constructor(path: string) {
    const [, ...rest] = rawEntries(readFileSync(path));
    this.entries = new Map(rest);
  }

  json(path: string): any {
    return JSON.parse((this.entries.get(path) as Buffer).toString('utf8'));
  }

  /** Edits a JSON member (index.json, ferry.lock.json, ferry-bundle.json) in place. */
  editJson(path: string, edit: (v: any) => void): this {
    const v = this.json(path);
    edit(v);
    this.entries.set(path, Buffer.from(JSON.stringify(v, null, 2)));
    return this;
  }

  /** A copy of the first index.json entry matching `pick` (edit it with editIndexEntry). */
  indexEntry(pick: (d: any) => boolean): any {
    const d = this.json('index.json').manifests.find(pick);
    if (!d) throw new Error('no such index.json entry');
    return d;
  }

  /** Edits the first index.json entry matching `pick`. */
  editIndexEntry(pick: (d: any) => boolean, edit: (d: any) => void): this {
    return this.editJson('index.json', (i) => {
      const d = i.manifests.find(pick);
      if (!d) throw new Error('no such index.json entry');
      edit(d);
    });
  }

  blobJson(digest: string): any {
    return JSON.parse((this.entries.get(blobPath(digest.slice(7))) as Buffer).toString('utf8'));
  }

  /** Rewrites a JSON blob; its new digest and size replace the old ones in every JSON member that names it. */
  editBlob(digest: string, edit: (v: any) => void): this {
    const v = this.blobJson(digest);
    edit(v);
    this.replaceBlob(digest, Buffer.from(JSON.stringify(v)));
    return this;
  }

  /**
   * Replaces a blob's bytes (any content: a layer, a Packages.gz); its new digest and size replace the old ones in
   * every JSON member and manifest that names it, up to index.json.
   */
  replaceBlob(oldDigest: string, body: Buffer): this {
    const newDigest = `sha256:${hex(body)}`;
    this.entries.delete(blobPath(oldDigest.slice(7)));
    this.entries.set(blobPath(newDigest.slice(7)), body);
    for (const path of [...this.entries.keys()]) {
      const b = this.entries.get(path);
      if (!b || !b.includes(oldDigest)) continue;
      let v: unknown;
      try {
        v = JSON.parse(b.toString('utf8'));
      } catch {
        continue;
      }
      const visit = (o: unknown): void => {
        if (Array.isArray(o)) o.forEach(visit);
        else if (o && typeof o === 'object') {
          const r = o as Record<string, unknown>;
          if (r.digest === oldDigest) Object.assign(r, { digest: newDigest, size: body.length });
          Object.values(r).forEach(visit);
        }
      };
      visit(v);
      const out = Buffer.from(path.startsWith('blobs/') ? JSON.stringify(v) : JSON.stringify(v, null, 2));
      if (path.startsWith('blobs/')) this.replaceBlob(`sha256:${path.slice(13)}`, out);
      else this.entries.set(path, out);
    }
    return this;
  }

  /** Adds blobs (a carried signature's manifest, config and layers) under their digests. */
  addBlobs(blobs: { bytes: Buffer }[]): this {
    for (const b of blobs) this.entries.set(blobPath(hex(b.bytes)), b.bytes);
    return this;
  }

  /** Appends index.json entries (after the existing ones, as a kind appended last to KINDS would). */
  addIndexEntries(entries: unknown[]): this {
    return this.editJson('index.json', (i) => i.manifests.push(...entries));
  }

  /**
   * Writes the bundle with SHA256SUMS recomputed over every member. Its SBOM, when it has one, is made again from the
   * edited members first, as anyone with ferry can (remake-sbom.ts); with `keepSbom` it is left as it is.
   */
  write(out: string, opts: { keepSbom?: boolean } = {}): string {
    const meta = ['oci-layout', 'ferry-bundle.json', 'ferry.lock.json', 'index.json', SBOM].filter((p) => this.entries.has(p));
    const blobs = [...this.entries.keys()].filter((p) => !meta.includes(p)).sort();
    const members: RawEntry[] = [...meta, ...blobs].map((p) => [p, this.entries.get(p) as Buffer]);
    const ordered = opts.keepSbom ? members : withRemadeSbom(members);
    const sums: RawEntry = ['SHA256SUMS', formatSha256Sums(ordered.map(([p, b]) => ({ path: p, hex: hex(b) })))];
    writeFileSync(out, rawTar([sums, ...ordered]));
    return out;
  }
}
