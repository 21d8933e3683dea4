/**
 * A throttled loopback link for the bench (docs/performance.md "Push over a throttled link"): a TCP proxy in front
 * of a registry whose two directions are each one token bucket of `bytesPerSecond`, shared by every connection
 * (as one network link is), with a burst of BURST bytes. Bytes are streamed through unchanged: a chunk is
 * forwarded as soon as its tokens are there, and the source is paused until then (and while the far side pushes
 * back), so the proxy holds at most one chunk per connection. It counts the bytes it carried each way.
 */
import { type Socket, connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

const BURST = 256 * 1024;

class TokenBucket {
  private tokens = BURST;
  private last = process.hrtime.bigint();
  private queue: { n: number; go: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly rate: number) {}

  /** Resolves once `n` (<= BURST) tokens are taken; waiters are served in order. */
  take(n: number): Promise<void> {
    return new Promise((go) => {
      this.queue.push({ n, go });
      this.serve();
    });
  }

  private refill(): void {
    const now = process.hrtime.bigint();
    this.tokens = Math.min(BURST, this.tokens + (Number(now - this.last) / 1e9) * this.rate);
    this.last = now;
  }

  private serve(): void {
    if (this.timer) return;
    this.refill();
    for (let head = this.queue[0]; head && this.tokens >= head.n; head = this.queue[0]) {
      this.tokens -= head.n;
      this.queue.shift();
      head.go();
    }
    const head = this.queue[0];
    if (!head) return;
    const wait = ((head.n - this.tokens) / this.rate) * 1000;
    this.timer = setTimeout(() => ((this.timer = undefined), this.serve()), Math.max(1, wait));
  }
}

export interface LinkProxy {
  host: string;
  /** Bytes carried client → registry and registry → client since the start or the last reset. */
  bytes(): { up: number; down: number };
  reset(): void;
  stop(): Promise<void>;
}

function pump(from: Socket, to: Socket, bucket: TokenBucket, count: (n: number) => void): void {
  from.on('data', (chunk: Buffer) => {
    from.pause();
    void (async () => {
      for (let off = 0; off < chunk.length; off += BURST) {
        const piece = chunk.subarray(off, off + BURST);
        await bucket.take(piece.length);
        count(piece.length);
        if (!to.write(piece)) await new Promise((r) => to.once('drain', r));
      }
      from.resume();
    })();
  });
  from.on('end', () => to.end());
}

export async function startLinkProxy(target: string, bytesPerSecond: number): Promise<LinkProxy> {
  const colon = target.lastIndexOf(':');
  const [host, port] = [target.slice(0, colon), Number(target.slice(colon + 1))];
  const up = new TokenBucket(bytesPerSecond);
  const down = new TokenBucket(bytesPerSecond);
  let carried = { up: 0, down: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => (client.destroy(), upstream.destroy()));
    }
    pump(client, upstream, up, (n) => (carried.up += n));
    pump(upstream, client, down, (n) => (carried.down += n));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const p = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${p}`,
    bytes: () => ({ ...carried }),
    reset: () => (carried = { up: 0, down: 0 }),
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
