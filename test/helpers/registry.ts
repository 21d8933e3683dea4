import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from './cleanup.js';

/** A real Debian `docker-registry` (distribution v2.8) on a free loopback port, for integration tests. */
export interface TestRegistry {
  /** host:port, e.g. 127.0.0.1:40123 */
  host: string;
  /** http://host:port */
  url: string;
  username?: string;
  password?: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** Require HTTP basic auth (htpasswd, bcrypt) with these credentials. */
  htpasswd?: { username: string; password: string };
  /** Token auth: the registry trusts JWTs signed by this certificate (see token-server.ts). */
  token?: { realm: string; service: string; issuer: string; certPath: string };
  /** Serve HTTPS with this certificate and key (PEM files). */
  tls?: { certPath: string; keyPath: string };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-reg-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  let auth = '';
  if (opts.htpasswd) {
    const file = join(dir, 'htpasswd');
    execFileSync('htpasswd', ['-Bbc', file, opts.htpasswd.username, opts.htpasswd.password], { stdio: 'ignore' });
    auth = `auth:\n  htpasswd:\n    realm: ferry-test\n    path: ${file}\n`;
  } else if (opts.token) {
    const t = opts.token;
    auth = `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n    rootcertbundle: ${t.certPath}\n`;
  }
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${join(dir, 'data')}
  delete:
    enabled: true
http:
  addr: ${host}
  secret: ferry-test-secret
${opts.tls ? `  tls:\n    certificate: ${opts.tls.certPath}\n    key: ${opts.tls.keyPath}\n` : ''}${auth}`,
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  // Stopped by the test, else by the per-file cleanup (test/setup/cleanup.ts), also when the start fails below.
  const stop = async () => {
    unregister();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const unregister = onCleanup(stop);
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += String(d)));
  const url = `${opts.tls ? 'https' : 'http'}://${host}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry exited early: ${stderr}`);
    }
    try {
      if (opts.tls) {
        // Node's fetch would refuse the test CA; a TCP connect is enough to know the server is up.
        await new Promise<void>((resolve, reject) => {
          const sock = connect(port, '127.0.0.1', () => (sock.end(), resolve()));
          sock.on('error', reject);
        });
        break;
      }
      const res = await fetch(`${url}/v2/`);
      if (res.status === 200 || res.status === 401) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not start on ${host}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host,
    url,
    ...(opts.htpasswd ? { username: opts.htpasswd.username, password: opts.htpasswd.password } : {}),
    dataDir: join(dir, 'data'),
    stop,
  };
}
