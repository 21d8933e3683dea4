import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup, trackChild } from './cleanup.js';
import { freePort } from './registry.js';

/** A real forward proxy (Debian's tinyproxy) on a free loopback port, its request log read back by the tests. */
export interface TestProxy {
  /** http://127.0.0.1:port, or https:// with `tls` (no credentials) */
  url: string;
  /** 127.0.0.1:port */
  host: string;
  /** Every request the proxy was asked to carry, in order: `GET http://h:p/path` or `CONNECT h:p`. */
  requests(): ProxiedRequest[];
  stop(): Promise<void>;
}

export interface ProxiedRequest {
  method: string;
  /** The host:port the request was for (`127.0.0.1:40123`). */
  target: string;
  /** The request line's target as the proxy read it (absolute URL, or host:port for CONNECT). */
  raw: string;
}

export interface ProxyOptions {
  /** Answer 407 unless the client sends these credentials (tinyproxy's BasicAuth). */
  basicAuth?: { user: string; password: string };
  /** The only ports CONNECT may open (tinyproxy answers 403 to any other); unset: every port. */
  connectPorts?: number[];
  /**
   * Serve the proxy over TLS with this certificate (an https:// proxy): tinyproxy speaks plain HTTP only, so a TLS
   * listener in this process terminates TLS and passes the bytes to it; `url` and `host` are the listener's.
   */
  tls?: { certPath: string; keyPath: string };
}

export async function startProxy(opts: ProxyOptions = {}): Promise<TestProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-proxy-'));
  const port = await freePort();
  const logFile = join(dir, 'tinyproxy.log');
  const config = join(dir, 'tinyproxy.conf');
  // LogLevel Connect logs every request line (`Request (file descriptor 5): GET http://… HTTP/1.1`), which the
  // tests read to see which hosts went through the proxy.
  const lines = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 60',
    `LogFile "${logFile}"`,
    'LogLevel Connect',
    'MaxClients 100',
    'Allow 127.0.0.1',
    'DisableViaHeader Yes',
    ...(opts.basicAuth ? [`BasicAuth ${opts.basicAuth.user} ${opts.basicAuth.password}`] : []),
    ...(opts.connectPorts ?? []).map((p) => `ConnectPort ${p}`),
  ];
  writeFileSync(config, `${lines.join('\n')}\n`);
  // -d: stay in the foreground (no daemon to lose track of), so that stopping the child stops the proxy.
  const child: ChildProcess = trackChild(spawn('tinyproxy', ['-d', '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += String(d)));
  const stop = async () => {
    unregister();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const unregister = onCleanup(stop);
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`tinyproxy did not start on 127.0.0.1:${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const front = opts.tls ? await tlsFront(opts.tls, port) : undefined;
  const host = `127.0.0.1:${front?.port ?? port}`;
  return {
    url: `${front ? 'https' : 'http'}://${host}`,
    host,
    requests: () => parseLog(existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    stop: async () => {
      await front?.stop();
      await stop();
    },
  };
}

async function tlsFront(tls: { certPath: string; keyPath: string }, to: number): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  const server = createTlsServer({ cert: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) }, (client) => {
    const upstream = connect(to, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  server.on('tlsClientError', () => {}); // a client refusing the certificate is what some tests want
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const stop = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  const unregister = onCleanup(stop);
  return { port: (server.address() as AddressInfo).port, stop: () => (unregister(), stop()) };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1', () => (sock.end(), resolve(true)));
    sock.on('error', () => resolve(false));
  });
}

/** tinyproxy's `Request (file descriptor N): METHOD TARGET HTTP/1.x` lines. */
export function parseLog(log: string): ProxiedRequest[] {
  const out: ProxiedRequest[] = [];
  for (const m of log.matchAll(/Request \(file descriptor \d+\): (\S+) (\S+) HTTP\/1\.\d/g)) {
    const [, method = '', raw = ''] = m;
    out.push({ method, raw, target: method === 'CONNECT' ? raw : /^https?:\/\//.test(raw) ? new URL(raw).host : raw });
  }
  return out;
}
