import { FerryError } from '../core/errors.js';
import type { Credential } from './credentials.js';
import { BodyLimit } from './http-limits.js';
import { readBounded, readPrefix } from './read-body.js';
import { parseWwwAuthenticate } from './www-authenticate.js';
import { type Transport, redact } from './transport.js';

/** Finds credentials for the host contacted, then for the upstream registry name. */
export type CredentialLookup = () => Promise<Credential | undefined>;

type Scheme = { scheme: 'basic' } | { scheme: 'bearer'; realm: string; service?: string };

/**
 * Registry authentication (distribution docs/spec/auth/token.md): learn the scheme from the first 401 challenge,
 * then authorise later requests up front. Bearer tokens are cached per origin and scope set until they expire.
 */
export class Authenticator {
  private readonly schemes = new Map<string, Scheme>();
  private readonly tokens = new Map<string, { value: string; expiresAt: number }>();

  constructor(private readonly transport: Transport) {}

  /** The Authorization value for a request, when this origin's scheme is already known. */
  async header(origin: string, scopes: string[], creds: CredentialLookup): Promise<string | undefined> {
    const s = this.schemes.get(origin);
    if (!s) return undefined;
    if (s.scheme === 'basic') return basicHeader(await creds());
    const cached = this.tokens.get(tokenKey(origin, scopes));
    if (cached && cached.expiresAt > Date.now()) return `Bearer ${cached.value}`;
    return `Bearer ${await this.fetchToken(origin, s, scopes, creds)}`;
  }

  /** Learns from a 401 and returns the Authorization value to retry with. */
  async challenge(
    origin: string,
    wwwAuthenticate: string | undefined,
    scopes: string[],
    creds: CredentialLookup,
    what: string,
  ): Promise<string> {
    const challenges = parseWwwAuthenticate(wwwAuthenticate ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (bearer?.params.realm) {
      const s: Scheme = {
        scheme: 'bearer',
        realm: bearer.params.realm,
        ...(bearer.params.service ? { service: bearer.params.service } : {}),
      };
      this.schemes.set(origin, s);
      const extra = bearer.params.scope ? bearer.params.scope.split(' ') : [];
      const all = [...new Set([...scopes, ...extra])];
      this.tokens.delete(tokenKey(origin, all));
      const token = `Bearer ${await this.fetchToken(origin, s, all, creds)}`;
      if (all.length !== scopes.length)
        this.tokens.set(tokenKey(origin, scopes), this.tokens.get(tokenKey(origin, all)) as { value: string; expiresAt: number });
      return token;
    }
    if (basic) {
      this.schemes.set(origin, { scheme: 'basic' });
      const h = basicHeader(await creds());
      if (!h)
        throw new FerryError('AUTH_FAILED', `${what}: the registry requires a login and no credentials were found for it`, { origin });
      return h;
    }
    throw new FerryError('AUTH_FAILED', `${what}: unauthorized, and the registry offered no usable challenge`, { origin });
  }

  private async fetchToken(
    origin: string,
    s: Extract<Scheme, { scheme: 'bearer' }>,
    scopes: string[],
    creds: CredentialLookup,
  ): Promise<string> {
    const cred = await creds();
    const url = new URL(s.realm);
    if (cred) refuseCleartextRealm(origin, url, s.realm);
    let res;
    if (cred && 'identityToken' in cred) {
      // OAuth2 refresh-token grant (docs/spec/auth/oauth.md): how Docker's identitytoken is exchanged.
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: cred.identityToken,
        client_id: 'ferry',
        service: s.service ?? '',
        scope: scopes.join(' '),
      });
      res = await this.transport.send({
        method: 'POST',
        url: url.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString()),
      });
    } else {
      if (s.service) url.searchParams.set('service', s.service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      const auth = basicHeader(cred);
      res = await this.transport.send({ method: 'GET', url: url.toString(), headers: auth ? { authorization: auth } : {} });
    }
    if (res.status !== 200) {
      await readPrefix(res, 0);
      throw new FerryError(
        'AUTH_FAILED',
        `token request to ${redact(s.realm)} for ${scopes.join(' ') || 'registry'} failed: HTTP ${res.status}`,
        { realm: redact(s.realm), status: res.status },
      );
    }
    // A token is a few KB; an endless answer is cut off at the limit, never read whole (docs/security.md, "Bounds").
    const text = (await readBounded(res, BodyLimit.token, `token response for ${scopes.join(' ') || 'registry'}`)).toString('utf8');
    let json: { token?: string; access_token?: string; expires_in?: number };
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      throw new FerryError('AUTH_FAILED', `token server ${redact(s.realm)} answered something other than JSON`, { realm: redact(s.realm) });
    }
    const value = json.token ?? json.access_token;
    if (!value) throw new FerryError('AUTH_FAILED', `token server ${redact(s.realm)} returned no token`, { realm: redact(s.realm) });
    this.transport.onSecret(value);
    // Default lifetime 60 s (token.md); renew a little early.
    const ttl = Math.max((json.expires_in ?? 60) - 10, 5) * 1000;
    this.tokens.set(tokenKey(origin, scopes), { value, expiresAt: Date.now() + ttl });
    return value;
  }
}

/**
 * A registry reached over HTTPS whose challenge names a realm on plain HTTP would have ferry send the password (Basic
 * to the realm) or refresh token in clear, after the registry itself was TLS: refused. An anonymous token request
 * carries nothing to protect and still goes (token.md: the realm is wherever the registry says).
 */
function refuseCleartextRealm(origin: string, realm: URL, realmText: string): void {
  if (new URL(origin).protocol !== 'https:' || realm.protocol === 'https:') return;
  const registry = new URL(origin).host;
  throw new FerryError(
    'AUTH_FAILED',
    `registry ${registry} is reached over HTTPS but its token realm ${redact(realmText)} is plain HTTP: ferry does not send credentials there in clear. This is a misconfiguration of the registry: its token realm (distribution: auth.token.realm) must be an https:// URL; --plain-http is only for registries that are plain HTTP themselves`,
    { registry, realm: redact(realmText) },
  );
}

function tokenKey(origin: string, scopes: string[]): string {
  return `${origin} ${[...scopes].sort().join(' ')}`;
}

function basicHeader(cred: Credential | undefined): string | undefined {
  if (!cred || !('username' in cred)) return undefined;
  return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
}
