import { spawn, spawnSync } from 'node:child_process';
import { type ByteInput, chunksOf, feed } from './byte-input.js';

/** What the decoder says about the data (truncated, corrupt, not xz): callers turn it into their own FerryError. */
export class XzDataError extends Error {}

/**
 * Streaming xz decoding (the .xz container, https://tukaani.org/xz/xz-file-format.txt) of bytes held in memory or
 * streamed in, produced chunk by chunk as the consumer asks: a consumer that stops (an output cap passed) ends the
 * decoder at once, so a bomb never decodes, nor allocates, further than one chunk past the cap. Concatenated
 * streams (format §2.1) decode one after the other. A failure of the data throws an XzDataError saying what was
 * wrong with it; a failure of a streamed input (a read error, a digest mismatch at its end) is thrown as it is,
 * even when the decoder had already decoded everything it was given.
 */
export function xzChunks(body: ByteInput): AsyncGenerator<Buffer> {
  return xzDecoder() === 'cli' ? cliChunks(body) : jsChunks(body);
}

let xzCli: boolean | undefined;

/**
 * Which xz decoder to use: the `xz` CLI (XZ Utils) when it is on the PATH, else xz-decompress (xz-embedded compiled
 * to WebAssembly, carried inside the JavaScript, so it works in the single executable too). `FERRY_XZ=js` or `=cli`
 * forces one, as FERRY_ZSTD does for zstd.
 */
export function xzDecoder(): 'cli' | 'js' {
  const forced = process.env.FERRY_XZ;
  if (forced === 'js' || forced === 'cli') return forced;
  xzCli ??= spawnSync('xz', ['--version'], { stdio: 'ignore' }).status === 0;
  return xzCli ? 'cli' : 'js';
}

/**
 * `xz -dc`, fed `body` on stdin. Reading stdout only as the consumer pulls leaves xz blocked on a full pipe, so
 * memory is one pipe's worth (and the input is read only as xz takes it). The output ends only once xz has exited
 * 0: a truncated or corrupt input (xz exits non-zero after writing what it could) is an error, never a clean short
 * end. Stopping early kills xz.
 */
async function* cliChunks(body: ByteInput): AsyncGenerator<Buffer> {
  // The decoder's memory is capped at 128 MiB: twice what `xz -9` needs (64 MiB dictionary), while a crafted
  // header declaring a 1.5 GiB dictionary (format §5.3.1) is refused instead of allocated.
  const child = spawn('xz', ['-d', '-c', '-q', '--memlimit-decompress=128MiB'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(0, 4096)));
  const exited = new Promise<number | string>((resolve) => {
    child.on('error', (err) => resolve(err.message));
    child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  // xz may stop reading (corrupt input, or killed) before taking all of stdin: its exit status says why.
  const fed = feed(body, child.stdin);
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      if (fed.failure()) break;
      yield chunk;
    }
    await fed.done;
    if (fed.failure()) throw fed.failure();
    const status = await exited;
    if (status !== 0)
      throw new XzDataError(
        stderr
          .replace(/^xz: \(stdin\): /gm, '')
          .trim()
          .replace(/^[A-Z]/, (c) => c.toLowerCase()) || `xz exited with ${status}`,
      );
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  }
}

// xz-embedded's enum xz_ret (xz.h), as get_next_output reports it.
const XZ_RET: Record<string, string> = {
  '2': 'unsupported integrity check',
  '3': 'out of memory',
  '4': 'needs more memory than allowed',
  '5': 'not xz data',
  '6': 'unsupported options',
  '7': 'compressed data is corrupt',
  '8': 'unexpected end of input',
};

/** The WebAssembly decoder, fed `body` in slices of at most 1 MiB as it asks; each output chunk is one buffer of its own. */
async function* jsChunks(body: ByteInput): AsyncGenerator<Buffer> {
  const chunks = chunksOf(body, 1 << 20);
  let failed: { err: unknown } | undefined;
  const next = async (): Promise<Buffer | undefined> => {
    try {
      for (;;) {
        const r = await chunks.next();
        if (r.done) return undefined;
        if (r.value.length > 0) return r.value;
      }
    } catch (err) {
      failed = { err };
      throw err;
    }
  };
  // xz-decompress would dereference a missing first chunk; an empty file is simply not xz.
  let first = await next();
  if (!first) throw new XzDataError('unexpected end of input');
  const { default: xz } = await import('xz-decompress');
  const input = new ReadableStream<Uint8Array>({
    async pull(c) {
      const chunk = first ?? (await next());
      first = undefined;
      if (chunk) c.enqueue(chunk);
      else c.close();
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
  const reader = new xz.XzReadableStream(input).getReader();
  try {
    for (;;) {
      let r: Awaited<ReturnType<typeof reader.read>>;
      try {
        r = await reader.read();
      } catch (err) {
        if (failed) throw failed.err;
        const code = /error code (\d+)/.exec((err as Error).message)?.[1];
        throw new XzDataError(code ? (XZ_RET[code] ?? `xz error ${code}`) : (err as Error).message);
      }
      if (r.done) {
        // The input is read to its end: a streamed input may only then say it failed (a digest checked at the end).
        if (!failed && (await next())) throw new XzDataError('data after the end of the xz stream');
        if (failed) throw failed.err;
        return;
      }
      if (r.value.length > 0) yield Buffer.from(r.value.buffer, r.value.byteOffset, r.value.length);
    }
  } finally {
    // Cancelling releases the library's decoder (one at a time, process-wide); a no-op once it has closed or failed.
    await reader.cancel().catch(() => {});
    await chunks.return(undefined);
  }
}
