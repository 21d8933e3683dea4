import type { Readable } from 'node:stream';
import { type Digest, isDigest, sha256 } from '../core/digest.js';
import { FerryError } from '../core/errors.js';
import { type Descriptor, MANIFEST_ACCEPT } from '../core/media-types.js';
import { Authenticator } from './authenticator.js';
import { type CredentialProvider, anonymous } from './credentials.js';
import { type ElsewhereDeps, elsewhereRefusal, redirectRefusal, sendElsewhere } from './foreign-origin.js';
import { registryError } from './registry-error.js';
import { resumableBody } from './resumable-body.js';
import { BodyLimit } from './http-limits.js';
import { readBounded, retryingBody } from './read-body.js';
import { type HttpResponse, Transport, type TransportOptions } from './transport.js';
import { type PutManifest, checkedManifest, collectPages, parseJson, uploadLocation, withDigest } from './wire.js';

export interface RegistryClientOptions extends TransportOptions {
  /** Mirrors: the endpoint base URL for an upstream registry name, when one is configured. */
  endpointFor?: (registry: string) => string | undefined;
  /** Plain HTTP for every registry (true) or for these hosts. */
  plainHttp?: boolean | string[];
  credentials?: CredentialProvider;
}

interface Call {
  method: string;
  /** `/v2/...` relative to the registry's endpoint, or an absolute URL the registry gave us (upload locations). */
  path: string;
  scopes: string[];
  what: string;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
}

const pull = (repo: string) => `repository:${repo}:pull`;
const push = (repo: string) => `repository:${repo}:pull,push`;

/**
 * A hand-written OCI distribution-spec client. Callers speak of upstream registry names (`docker.io`); the client
 * maps them to endpoints (`registry-1.docker.io`, or a mirror), authenticates, and checks what it receives.
 */
export class RegistryClient {
  readonly transport: Transport;
  private readonly auth: Authenticator;
  private readonly credentials: CredentialProvider;
  private readonly elsewhere: ElsewhereDeps;

  constructor(private readonly opts: RegistryClientOptions = {}) {
    this.transport = new Transport(opts);
    this.auth = new Authenticator(this.transport);
    this.credentials = opts.credentials ?? anonymous;
    this.elsewhere = { transport: this.transport, auth: this.auth, credentials: this.credentials };
  }

  baseUrl(registry: string): string {
    const mirrored = this.opts.endpointFor?.(registry);
    if (mirrored) return mirrored.replace(/\/+$/, '');
    const plain = this.opts.plainHttp === true || (Array.isArray(this.opts.plainHttp) && this.opts.plainHttp.includes(registry));
    const host = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
    return `${plain ? 'http' : 'https'}://${host}`;
  }

  private async call(registry: string, c: Call): Promise<HttpResponse> {
    const base = this.baseUrl(registry);
    const url = /^https?:\/\//.test(c.path) ? c.path : `${base}${c.path}`;
    const origin = new URL(url).origin;
    const home = new URL(base);
    if (origin !== home.origin) return this.callElsewhere(registry, c, url, home.origin);
    const host = home.host;
    let found: Promise<Awaited<ReturnType<CredentialProvider>>> | undefined;
    // Credentials for the host actually contacted, else for the upstream registry name.
    const creds = () => (found ??= this.credentials(host).then((x) => x ?? (host !== registry ? this.credentials(registry) : undefined)));
    const send = (authorization: string | undefined) =>
      this.transport.send({
        method: c.method,
        url,
        headers: { ...(c.headers ?? {}), ...(authorization ? { authorization } : {}) },
        ...(c.body !== undefined ? { body: c.body } : {}),
      });
    // A 401 from where a redirect led (registry.k8s.io → Artifact Registry) is that host's, answered for it alone.
    const redirected = (r: HttpResponse) => r.status === 401 && new URL(r.url).origin !== origin;
    const elsewhere = (r: HttpResponse) => sendElsewhere(this.elsewhere, c, r.url, origin, redirectRefusal(c.what, host), r);
    let res = await send(await this.auth.header(origin, c.scopes, creds));
    if (redirected(res)) return elsewhere(res);
    if (res.status !== 401) return res;
    await res.body.dump();
    const replayable = c.body === undefined || Buffer.isBuffer(c.body);
    const header = await this.auth.challenge(origin, res.headers['www-authenticate'], c.scopes, creds, c.what);
    if (!replayable) throw new FerryError('AUTH_FAILED', `${c.what}: unauthorized (the request body could not be re-sent)`, { registry });
    res = await send(header);
    if (redirected(res)) return elsewhere(res);
    if (res.status === 401) {
      await res.body.dump();
      throw new FerryError('AUTH_FAILED', `${c.what}: the registry rejected the credentials (HTTP 401)`, { registry });
    }
    return res;
  }

  /**
   * A request to a URL the registry named on another origin (an upload Location on another host or port). The
   * distribution spec says clients MUST NOT forward Authorization headers across host boundaries, so the registry's
   * password or token never goes there. That host is treated as a registry of its own, like a redirect's target:
   * when it asks (401), it gets only credentials configured for ITS host, or an anonymous token (foreign-origin.ts).
   */
  private callElsewhere(registry: string, c: Call, url: string, home: string): Promise<HttpResponse> {
    return sendElsewhere(this.elsewhere, c, url, home, elsewhereRefusal(c.what, registry, home));
  }

  async ping(registry: string): Promise<void> {
    const res = await this.call(registry, { method: 'GET', path: '/v2/', scopes: [], what: `${registry}` });
    if (res.status !== 200) throw await registryError(res, `${registry}: /v2/ check`);
    await res.body.dump();
  }

  /** GET a manifest by tag or digest; the digest is computed from the exact bytes received, never re-serialised. */
  async getManifest(registry: string, repo: string, reference: string): Promise<{ descriptor: Descriptor; body: Buffer }> {
    const what = `${registry}/${repo}${isDigest(reference) ? '@' : ':'}${reference}`;
    const path = `/v2/${repo}/manifests/${reference}`;
    const { res, body } = await retryingBody(`${this.baseUrl(registry)}${path}`, this.transport.events, async () => {
      const res = await this.call(registry, { method: 'GET', path, scopes: [pull(repo)], what, headers: { accept: MANIFEST_ACCEPT } });
      if (res.status === 404) throw await registryError(res, `${what} not found`, 'NOT_FOUND');
      if (res.status !== 200) throw await registryError(res, `${what}: manifest request failed`);
      return { res, body: await readBounded(res, BodyLimit.manifest, `${what}: manifest`) };
    });
    return { descriptor: checkedManifest(what, reference, res, body), body };
  }

  /** HEAD a manifest; undefined when absent. Falls back to GET when the registry sends no digest header. */
  async headManifest(registry: string, repo: string, reference: string): Promise<Descriptor | undefined> {
    const what = `${registry}/${repo}:${reference}`;
    const res = await this.call(registry, {
      method: 'HEAD',
      path: `/v2/${repo}/manifests/${reference}`,
      scopes: [pull(repo)],
      what,
      headers: { accept: MANIFEST_ACCEPT },
    });
    await res.body.dump();
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw await registryError(res, `${what}: manifest check failed`);
    const digest = res.headers['docker-content-digest'];
    const mediaType = (res.headers['content-type'] ?? '').split(';')[0]?.trim();
    const size = Number(res.headers['content-length']);
    if (!digest || !isDigest(digest) || !mediaType || !Number.isFinite(size))
      return (await this.getManifest(registry, repo, reference)).descriptor;
    return { mediaType, digest, size };
  }

  /** The blob's bytes from `offset` on, resuming dropped connections with Range. The caller verifies them. */
  fetchBlob(registry: string, repo: string, desc: Descriptor, opts: { offset?: number } = {}): Readable {
    const what = `${registry}/${repo} blob ${desc.digest}`;
    const path = `/v2/${repo}/blobs/${desc.digest}`;
    return resumableBody(
      async (from) =>
        this.call(registry, { method: 'GET', path, scopes: [pull(repo)], what, headers: from > 0 ? { range: `bytes=${from}-` } : {} }),
      { offset: opts.offset ?? 0, size: desc.size, url: `${this.baseUrl(registry)}${path}`, events: this.transport.events },
    );
  }

  async blobExists(registry: string, repo: string, digest: Digest): Promise<boolean> {
    const what = `${registry}/${repo} blob ${digest}`;
    const res = await this.call(registry, { method: 'HEAD', path: `/v2/${repo}/blobs/${digest}`, scopes: [pull(repo)], what });
    await res.body.dump();
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw await registryError(res, `${what}: check failed`);
  }

  /**
   * Monolithic upload (distribution-spec "Pushing a blob monolithically"): POST for a session, then one PUT with
   * the whole body. The POST carries no body: single-POST uploads are optional and Debian's registry 2.8 discards
   * the body.
   */
  async pushBlob(registry: string, repo: string, desc: Descriptor, content: Readable): Promise<void> {
    const what = `${registry}/${repo} blob ${desc.digest}`;
    const start = await this.call(registry, {
      method: 'POST',
      path: `/v2/${repo}/blobs/uploads/`,
      scopes: [push(repo)],
      what,
      headers: { 'content-length': '0' },
    });
    if (start.status !== 202) throw await registryError(start, `${what}: upload could not start`);
    await start.body.dump();
    const location = uploadLocation(start, what);
    try {
      const put = await this.call(registry, {
        method: 'PUT',
        path: withDigest(location, desc.digest),
        scopes: [push(repo)],
        what,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
        body: content,
      });
      if (put.status !== 201) throw await registryError(put, `${what}: upload rejected`);
      await put.body.dump();
    } catch (err) {
      await this.cancelUpload(registry, location, repo);
      throw err;
    }
  }

  /** Cross-repository mount: true when mounted (201); a 202 means the registry started an upload instead. */
  async mountBlob(registry: string, repo: string, digest: Digest, fromRepo: string): Promise<boolean> {
    const what = `${registry}/${repo} mount ${digest} from ${fromRepo}`;
    const res = await this.call(registry, {
      method: 'POST',
      path: `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepo)}`,
      scopes: [push(repo), pull(fromRepo)],
      what,
      headers: { 'content-length': '0' },
    });
    await res.body.dump();
    if (res.status === 201) return true;
    if (res.status === 202) {
      await this.cancelUpload(registry, uploadLocation(res, what), repo);
      return false;
    }
    throw await registryError(res, `${what}: failed`);
  }

  /** PUT a manifest; Content-Type must equal its mediaType (distribution-spec "Pushing Manifests"). */
  async putManifest(registry: string, repo: string, reference: string, mediaType: string, body: Buffer): Promise<PutManifest> {
    const what = `${registry}/${repo}:${reference}`;
    const res = await this.call(registry, {
      method: 'PUT',
      path: `/v2/${repo}/manifests/${reference}`,
      scopes: [push(repo)],
      what,
      headers: { 'content-type': mediaType },
      body,
    });
    if (res.status !== 201) throw await registryError(res, `${what}: manifest rejected`);
    await res.body.dump();
    const ociSubject = res.headers['oci-subject'];
    return { digest: sha256(body), ...(typeof ociSubject === 'string' && ociSubject !== '' ? { ociSubject } : {}) };
  }

  /** Every repository (GET /v2/_catalog, Link-paginated; a registry extension that distribution implements). */
  async listRepositories(registry: string): Promise<string[]> {
    return this.paginate(registry, '/v2/_catalog?n=1000', ['registry:catalog:*'], `${registry} catalog`, 'repositories', (res) =>
      registryError(res, `${registry}: the catalog cannot be listed`),
    );
  }

  /** All tags, following `Link: <…>; rel="next"` pagination (distribution-spec "Listing Tags"). */
  async listTags(registry: string, repo: string): Promise<string[]> {
    return this.paginate(registry, `/v2/${repo}/tags/list`, [pull(repo)], `${registry}/${repo} tags`, 'tags', (res) =>
      res.status === 404
        ? registryError(res, `${registry}/${repo}: repository not found`, 'NOT_FOUND')
        : registryError(res, `${registry}/${repo}: tag list failed`),
    );
  }

  /** The first page of a list (its JSON) and whether more follow (a Link); undefined when it is not a 200. */
  async firstPage(registry: string, path: string, scopes: string[], what: string): Promise<{ json: unknown; more: boolean } | undefined> {
    const res = await this.call(registry, { method: 'GET', path, scopes, what });
    if (res.status !== 200) return void (await res.body.dump());
    return { json: parseJson(await readBounded(res, BodyLimit.listPage, what), what), more: /rel="?next"?/.test(res.headers.link ?? '') };
  }

  /** Collects `key` from every page of a Link-paginated list (registry/wire.ts), with `headers` on each request. */
  paginate(
    registry: string,
    first: string,
    scopes: string[],
    what: string,
    key: string,
    failure: (res: HttpResponse) => Promise<Error>,
    headers?: Record<string, string>,
  ): Promise<string[]> {
    return collectPages(
      (path) => this.call(registry, { method: 'GET', path, scopes, what, ...(headers ? { headers } : {}) }),
      `${this.baseUrl(registry)}${first}`,
      first,
      what,
      key,
      failure,
    );
  }

  private async cancelUpload(registry: string, location: string, repo: string): Promise<void> {
    try {
      const res = await this.call(registry, {
        method: 'DELETE',
        path: location,
        scopes: [push(repo)],
        what: `${registry}/${repo} cancel upload`,
      });
      await res.body.dump();
    } catch {
      // Best effort (distribution-spec: registries eventually expire abandoned uploads).
    }
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}
