import { type Readable, Transform } from 'node:stream';
import type { EventSink } from './events.js';

/** Passes a stream through, reporting bytes as they move; source errors are carried to the result. */
export function counted(source: Readable, events: EventSink): Readable {
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      events({ type: 'bytes', n: chunk.length });
      cb(null, chunk);
    },
  });
  source.on('error', (err) => t.destroy(err));
  return source.pipe(t);
}

/** Reads a whole (small) stream into memory. */
export async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
