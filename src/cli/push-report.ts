import { BLOB_DIR } from '../bundle/format.js';
import type { EventSink } from '../core/events.js';
import type { Descriptor } from '../core/media-types.js';
import type { VerifyResult } from '../verify/verify-bundle.js';

/** Why push --report has no computed sha256 for a member (docs/audit-report.md `notRead`). */
export const PRESENT_NOT_READ = 'present in the registry, not read';
export const NOT_PUSHED = 'not pushed (staged on nodes, not sent to a registry), not read';

/**
 * What `push --report` can say of each bundle member (docs/audit-report.md): push reads only what it uploads (each
 * blob hashed against its name on the way up) and the small members it checks first. A blob uploaded counts as
 * computed (it hashed to its name, else the push would have stopped); a blob the registry already had, or one of an
 * image whose tag already had its digest, is present in the registry and was not read; the rest is not pushed at all.
 */
export class PushedBlobs {
  /** Digest → size of every blob uploaded (each read once from the bundle, hashed on the way). */
  private readonly uploaded = new Map<string, number>();
  private readonly present = new Set<string>();

  /** The push's event sink, passing every event on and noting which blobs went up and which were found. */
  watch(sink: EventSink): EventSink {
    return (e) => {
      if (e.type === 'blob' && e.action === 'uploaded') this.uploaded.set(e.digest, e.size);
      else if (e.type === 'blob' && (e.action === 'exists' || e.action === 'mounted')) this.present.add(e.digest);
      sink(e);
    };
  }

  /**
   * The checks' result with what the push read added: uploaded blobs as computed, the rest as not read, and why.
   * `upToDate` are the roots (graphs in the bundle) of the images whose tags already had their digests: their
   * blobs are in the registry, found without a request each.
   */
  async complete(checked: VerifyResult, bundle: string, upToDate: readonly Descriptor[]): Promise<VerifyResult> {
    if (upToDate.length > 0) {
      const { BundleReader } = await import('../bundle/reader.js');
      const { walkGraph } = await import('../graph/walk.js');
      const reader = await BundleReader.open(bundle);
      try {
        for (const d of await walkGraph(reader, [...upToDate])) this.present.add(d.digest);
      } finally {
        await reader.close();
      }
    }
    const contents = new Map(checked.contents);
    const notRead = new Map<string, string>();
    let bytes = checked.bytes;
    for (const [path, c] of contents) {
      if (c.sha256 !== undefined || !path.startsWith(BLOB_DIR)) continue;
      const digest = `sha256:${path.slice(BLOB_DIR.length)}`;
      if (this.uploaded.has(digest)) {
        contents.set(path, { ...c, sha256: path.slice(BLOB_DIR.length) });
        bytes += c.size;
      } else notRead.set(path, this.present.has(digest) ? PRESENT_NOT_READ : NOT_PUSHED);
    }
    return { ...checked, bytes, contents, notRead };
  }
}
