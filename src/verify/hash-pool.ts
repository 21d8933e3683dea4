import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { ByteSource } from '../bundle/byte-source.js';
import { type RangeTask, hashRange } from './range-hash.js';

/** Where the logical bundle's bytes lie: one file, or the parts of a split bundle in order. */
export interface FilePiece {
  path: string;
  /** Logical offset of the file's first byte. */
  start: number;
  size: number;
}

/** 4 MiB reads, as the single-threaded walk made: syscall and message overhead vanish next to hashing. */
const CHUNK = 4 << 20;

/**
 * The worker's whole program, evaluated from this text (`eval: true`): a worker of the single executable cannot
 * load a .js file (there is none on disk), and dist/ and the executable then run the very same code. Each worker
 * opens the files itself and reads its ranges with positional reads, so no chunk is ever copied between threads;
 * only the tasks (offsets) and the digests (hex) cross.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const hashRange = ${hashRange.toString()};
const files = workerData.files;
const fds = [];
const fdOf = (i) => (fds[i] ??= fs.openSync(files[i].path, 'r'));
const read = (buf, length, position) => {
  let i = files.length - 1;
  while (i > 0 && files[i].start > position) i--;
  const f = files[i];
  const within = position - f.start;
  const n = Math.min(length, f.size - within);
  if (n <= 0) return Promise.resolve(0);
  return new Promise((resolve, reject) => fs.read(fdOf(i), buf, 0, n, within, (err, got) => (err ? reject(err) : resolve(got))));
};
const io = { read, sha256: () => crypto.createHash('sha256'), progress: (n) => parentPort.postMessage({ bytes: n }) };
parentPort.on('message', (task) => {
  hashRange(task, io, workerData.chunk).then(
    (hex) => parentPort.postMessage({ hex }),
    (err) => parentPort.postMessage({ error: { message: err.message, code: err.code, errno: err.errno, syscall: err.syscall, path: err.path } }),
  );
});
`;

type Reply =
  { bytes: number } | { hex: string[] } | { error: { message: string; code?: string; errno?: number; syscall?: string; path?: string } };

interface Queued {
  task: RangeTask;
  resolve(hex: string[]): void;
  reject(err: unknown): void;
}

export interface PoolOptions {
  /** Threads to hash on; 0 hashes on this thread (a small bundle: starting workers would cost more than it saves). */
  workers: number;
  progress(n: number): void;
  signal?: AbortSignal;
  /** Told the thread id each task ran on (tests: that the work was really spread). */
  onTask?(threadId: number): void;
}

/**
 * Hashes range tasks on up to `workers` threads, each taking the next queued task when it is free. An abort
 * terminates the workers at once (a worker busy hashing sees no message until its chunk is done; terminate does
 * not wait for that), and every task not yet answered is rejected with the abort's reason.
 */
export class HashPool {
  private readonly queue: Queued[] = [];
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Queued>();
  private readonly all: Worker[] = [];
  private failed?: unknown;
  private readonly onAbort = () => this.fail(this.opts.signal?.reason);

  constructor(
    private readonly files: FilePiece[],
    private readonly src: ByteSource,
    private readonly opts: PoolOptions,
  ) {
    opts.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  run(task: RangeTask): Promise<string[]> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    if (this.opts.workers <= 0) return this.runHere(task);
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.pump();
    });
  }

  /** Stops every worker; resolves once they have exited. */
  async close(): Promise<void> {
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    await Promise.all(this.all.map((w) => w.terminate()));
  }

  private async runHere(task: RangeTask): Promise<string[]> {
    const io = {
      read: (buf: Buffer, length: number, position: number) => this.src.read(buf, 0, length, position),
      sha256: () => createHash('sha256'),
      progress: (n: number) => {
        this.opts.signal?.throwIfAborted();
        this.opts.progress(n);
      },
    };
    const hex = await hashRange(task, io, CHUNK);
    this.opts.onTask?.(0);
    return hex;
  }

  private pump(): void {
    while (this.queue.length > 0 && this.failed === undefined) {
      const worker = this.idle.pop() ?? (this.all.length < this.opts.workers ? this.spawn() : undefined);
      if (!worker) return;
      const job = this.queue.shift() as Queued;
      this.busy.set(worker, job);
      worker.postMessage(job.task);
    }
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { files: this.files, chunk: CHUNK } });
    this.all.push(worker);
    worker.on('message', (m: Reply) => {
      if ('bytes' in m) {
        if (this.failed === undefined) this.opts.progress(m.bytes);
        return;
      }
      const job = this.busy.get(worker);
      this.busy.delete(worker);
      if ('error' in m) {
        this.fail(Object.assign(new Error(m.error.message), m.error));
        return;
      }
      this.opts.onTask?.(worker.threadId);
      this.idle.push(worker);
      job?.resolve(m.hex);
      this.pump();
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', () => {
      if (this.busy.has(worker)) this.fail(new Error('a verify worker stopped before it finished'));
    });
    return worker;
  }

  private fail(err: unknown): void {
    if (this.failed !== undefined) return;
    this.failed = err ?? new Error('aborted');
    for (const job of [...this.busy.values(), ...this.queue]) job.reject(this.failed);
    this.busy.clear();
    this.queue.length = 0;
    for (const w of this.all) void w.terminate();
  }
}
