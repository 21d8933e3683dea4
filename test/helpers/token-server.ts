import { execFileSync } from 'node:child_process';
import { createSign, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A small Bearer token server (distribution docs/spec/auth/token.md) for a real registry started with token
 * auth: RS256 JWTs whose header carries the signing certificate (x5c), which the registry checks against its
 * rootcertbundle. With credentials set, only those credentials get tokens granting what was asked; anonymous
 * requests get a token granting nothing, or only the pulls asked for while `anonymousPull` is set (a public
 * registry, as Artifact Registry is for registry.k8s.io's images).
 */
export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  certPath: string;
  /** Scopes requested, per token request, with the Authorization header as received, for assertions. */
  requests: { scopes: string[]; user?: string; authorization?: string }[];
  /** Anonymous token requests are granted the `pull` they ask for (and nothing else). */
  anonymousPull: boolean;
  /** Every token handed out (to check no output shows one). */
  issued: string[];
  stop(): Promise<void>;
}

export async function startTokenServer(opts: { username: string; password: string }): Promise<TokenServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-token-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=ferry-test-token'],
    { stdio: 'ignore' },
  );
  const key = readFileSync(keyPath);
  const certDer = new X509Certificate(readFileSync(certPath)).raw.toString('base64');
  const service = 'ferry-test-registry';
  const issuer = 'ferry-test-issuer';
  const requests: TokenServer['requests'] = [];
  const issued: string[] = [];
  const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const scopes = url.searchParams.getAll('scope');
    const auth = req.headers.authorization?.startsWith('Basic ')
      ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString()
      : undefined;
    const user = auth?.split(':')[0];
    requests.push({
      scopes,
      ...(user ? { user } : {}),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    if (auth !== undefined && auth !== `${opts.username}:${opts.password}`) {
      res.writeHead(401);
      res.end('bad credentials');
      return;
    }
    const asked = scopes.map((s) => {
      const last = s.lastIndexOf(':');
      const first = s.indexOf(':');
      return { type: s.slice(0, first), name: s.slice(first + 1, last), actions: s.slice(last + 1).split(',') };
    });
    const access =
      auth !== undefined
        ? asked
        : srv.anonymousPull
          ? asked.map((a) => ({ ...a, actions: a.actions.filter((x) => x === 'pull') })).filter((a) => a.actions.length > 0)
          : [];
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer] };
    const claims = {
      iss: issuer,
      sub: user ?? '',
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(signingInput).sign(key);
    const token = `${signingInput}.${b64url(signature)}`;
    issued.push(token);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, expires_in: 300 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const srv: TokenServer = {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certPath,
    requests,
    issued,
    anonymousPull: false,
    stop: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
  return srv;
}
