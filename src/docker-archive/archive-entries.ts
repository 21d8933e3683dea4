import type { Readable } from 'node:stream';
import { Parser, type ReadEntry } from 'tar';

export interface ArchiveEntry {
  path: string;
  size: number;
  /** The member's bytes; must be consumed (or drained) before the walk moves on. */
  body: AsyncIterable<Buffer>;
}

export interface EntryVisitor {
  /** A link (symbolic or hard) from `path` to `target`, as written in the archive. */
  link?(path: string, target: string, hard: boolean): void;
  /** Should this regular file be handed to `read`? Anything not wanted is skipped without buffering. */
  wants(path: string, size: number): boolean;
  read(entry: ArchiveEntry): Promise<void>;
}

/** `./a/b` and `a/b` are one member: docker save writes plain paths, bsdtar repacks may add `./`. */
export function normaliseMemberPath(p: string): string {
  return p.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

/**
 * Walks an (uncompressed) tar stream once, front to back, with backpressure: a member handed to `read` holds the
 * parser until it has been consumed, so memory stays flat whatever the archive's size (a docker-save archive of
 * RKE2's images is gigabytes; nothing is unpacked to disk). Members are read one at a time, in archive order.
 */
export function walkArchive(tarStream: Readable, visitor: EntryVisitor): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let chain: Promise<void> = Promise.resolve();
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      tarStream.destroy();
      reject(err);
    };
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        const path = normaliseMemberPath(entry.path);
        if ((entry.type === 'SymbolicLink' || entry.type === 'Link') && entry.linkpath) {
          visitor.link?.(path, entry.linkpath, entry.type === 'Link');
          entry.resume();
          return;
        }
        const isFile = entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile';
        if (failed || !isFile || !visitor.wants(path, entry.size ?? 0)) {
          entry.resume();
          return;
        }
        chain = chain.then(async () => {
          if (failed) {
            entry.resume();
            return;
          }
          await visitor.read({ path, size: entry.size ?? 0, body: entry as AsyncIterable<Buffer> });
          entry.resume(); // whatever the visitor left unread, so the parser can move on
        });
        chain.catch(fail);
      },
    });
    parser.on('error', fail);
    tarStream.on('error', fail);
    parser.on('end', () => {
      chain.then(() => (failed ? undefined : resolve()), fail);
    });
    tarStream.pipe(parser as unknown as NodeJS.WritableStream);
  });
}
