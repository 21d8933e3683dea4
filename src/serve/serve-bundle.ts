import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { BundleReader } from '../bundle/reader.js';
import { type EventSink, noEvents } from '../core/events.js';
import type { Descriptor } from '../core/media-types.js';
import { type ServedRepository, servedRepositories } from './routes.js';
import { referrersAnswer } from './referrers.js';
import { gateBundle } from '../validate/gate.js';

export interface ServeOptions {
  bundlePath: string;
  host: string;
  port: number;
  events?: EventSink;
}

export interface ServingBundle {
  url: string;
  repositories: string[];
  close(): Promise<void>;
}

type ErrorCode = 'NAME_INVALID' | 'NAME_UNKNOWN' | 'MANIFEST_UNKNOWN' | 'BLOB_UNKNOWN' | 'UNSUPPORTED' | 'DIGEST_INVALID';

/**
 * `ferry bundle serve`: the pull side of the OCI distribution API (distribution-spec spec.md, "Pull" and "Content
 * Discovery"), read straight from the bundle file: GET/HEAD of manifests by tag or digest and of blobs (with Range),
 * tags lists and the catalog, and the referrers API (v1.1 "Listing Referrers", referrers.ts). Everything else is
 * refused with 405 UNSUPPORTED: the registry is read-only. Blobs are served only under a repository whose images
 * use them.
 */
export async function serveBundle(opts: ServeOptions): Promise<ServingBundle> {
  const events = opts.events ?? noEvents;
  const reader = await BundleReader.open(opts.bundlePath);
  let repos: Map<string, ServedRepository>;
  try {
    await gateBundle(reader);
    repos = await servedRepositories(reader);
  } catch (err) {
    await reader.close();
    throw err;
  }
  const server: Server = createServer((req, res) => {
    handle(req, res, reader, repos).catch((err: unknown) => {
      events({ type: 'warning', message: `serve: ${req.method} ${req.url}: ${(err as Error).message}` });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    repositories: [...repos.keys()].sort(),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await reader.close();
    },
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  reader: BundleReader,
  repos: Map<string, ServedRepository>,
): Promise<void> {
  res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') return error(res, 405, 'UNSUPPORTED', 'this registry serves a bundle and is read-only');
  let url: URL;
  let path: string;
  try {
    // A request target such as `//%` is not a URL path; `/v2/x/blobs/%` is not percent-encoding. Neither names
    // anything the distribution grammar allows: a client error, never a 500.
    url = new URL(req.url ?? '/', 'http://serve');
    path = decodeURIComponent(url.pathname);
  } catch {
    return error(res, 400, 'NAME_INVALID', 'the request path is not a valid percent-encoded URL path');
  }
  if (path === '/v2/' || path === '/v2') return json(res, method, 200, {});
  if (path === '/v2/_catalog') return json(res, method, 200, { repositories: page([...repos.keys()].sort(), url) });
  let m = /^\/v2\/(.+)\/tags\/list$/.exec(path);
  if (m) {
    const repo = repos.get(m[1] as string);
    if (!repo) return error(res, 404, 'NAME_UNKNOWN', `repository ${m[1]} is not in this bundle`);
    return json(res, method, 200, { name: m[1], tags: page([...repo.tags.keys()].sort(), url) });
  }
  m = /^\/v2\/(.+)\/referrers\/([^/]+)$/.exec(path);
  if (m) {
    const repo = repos.get(m[1] as string);
    if (!repo) return error(res, 404, 'NAME_UNKNOWN', `repository ${m[1]} is not in this bundle`);
    if (!/^sha256:[0-9a-f]{64}$/.test(m[2] as string)) return error(res, 400, 'DIGEST_INVALID', `${m[2]} is not a sha256 digest`);
    const { body, headers } = referrersAnswer(repo, m[2] as string, url);
    res.writeHead(200, { ...headers, 'Content-Length': String(body.length) });
    res.end(method === 'HEAD' ? undefined : body);
    return;
  }
  m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(path);
  if (!m) return error(res, 404, 'NAME_UNKNOWN', `${path} is not a distribution API path`);
  const [, name, kind, ref] = m as unknown as [string, string, string, string];
  const repo = repos.get(name);
  if (!repo) return error(res, 404, 'NAME_UNKNOWN', `repository ${name} is not in this bundle`);
  if (kind === 'manifests') {
    const desc = ref.startsWith('sha256:') ? repo.manifests.get(ref) : repo.tags.get(ref);
    if (!desc) return error(res, 404, 'MANIFEST_UNKNOWN', `manifest ${ref} is not in ${name}`);
    const body = repo.made.get(desc.digest) ?? (await reader.readSmall(`blobs/sha256/${desc.digest.slice(7)}`));
    res.writeHead(200, {
      'Content-Type': desc.mediaType,
      'Content-Length': String(body.length),
      'Docker-Content-Digest': desc.digest,
      ETag: `"${desc.digest}"`,
    });
    res.end(method === 'HEAD' ? undefined : body);
    return;
  }
  if (!/^sha256:[0-9a-f]{64}$/.test(ref)) return error(res, 400, 'DIGEST_INVALID', `${ref} is not a sha256 digest`);
  const desc = repo.blobs.get(ref) ?? repo.manifests.get(ref);
  if (!desc) return error(res, 404, 'BLOB_UNKNOWN', `blob ${ref} is not in ${name}`);
  const made = repo.made.get(desc.digest);
  if (made) {
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(made.length),
      'Docker-Content-Digest': desc.digest,
    });
    res.end(method === 'HEAD' ? undefined : made);
    return;
  }
  return sendBlob(req, res, reader, desc, method);
}

/** RFC 9110 §14: one `bytes=a-b`, `a-` or `-n` range; anything else is served whole. */
async function sendBlob(req: IncomingMessage, res: ServerResponse, reader: BundleReader, desc: Descriptor, method: string): Promise<void> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': desc.digest,
    'Accept-Ranges': 'bytes',
    ETag: `"${desc.digest}"`,
  };
  let start = 0;
  let end = desc.size - 1;
  let status = 200;
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  if (req.headers.range && range) {
    const [a, b] = [range[1] as string, range[2] as string];
    if (a === '' && b !== '') start = Math.max(0, desc.size - Number(b));
    else {
      start = Number(a);
      if (b !== '') end = Math.min(end, Number(b));
    }
    if (start >= desc.size || start > end) {
      res.writeHead(416, { 'Content-Range': `bytes */${desc.size}` });
      res.end();
      return;
    }
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end}/${desc.size}`;
  }
  headers['Content-Length'] = String(end - start + 1);
  res.writeHead(status, headers);
  if (method === 'HEAD' || desc.size === 0) {
    res.end();
    return;
  }
  const body = await reader.fetchAt(desc, start);
  const bytes = end - start + 1;
  let sent = 0;
  await pipeline(
    body,
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        const take = Math.min(chunk.length, bytes - sent);
        sent += take;
        yield take === chunk.length ? chunk : chunk.subarray(0, take);
        if (sent >= bytes) break;
      }
    },
    res,
  );
}

/** `?n=&last=` pagination (distribution-spec "Listing Tags"). */
function page(items: string[], url: URL): string[] {
  const last = url.searchParams.get('last');
  const n = Number(url.searchParams.get('n') ?? 'NaN');
  const after = last ? items.filter((i) => i > last) : items;
  return Number.isInteger(n) && n >= 0 ? after.slice(0, n) : after;
}

function json(res: ServerResponse, method: string, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(method === 'HEAD' ? undefined : text);
}

function error(res: ServerResponse, status: number, code: ErrorCode, message: string): void {
  const text = JSON.stringify({ errors: [{ code, message, detail: null }] });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}
