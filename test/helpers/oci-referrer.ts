import { createHash } from 'node:crypto';
import { type IncomingMessage, type Server, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Descriptor } from '../../src/core/media-types.js';
import { type Blob, blob } from './cosign-sign.js';
import { type Carried, referrerAnnotations } from './referrer-entries.js';

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * An OCI 1.1 referrer (image-spec manifest.md `subject` and `artifactType`, distribution-spec v1.1) of `subject`,
 * carried as the contract describes it (via `referrers`): the empty config, one layer, its own annotations.
 */
/** The manifest of an OCI 1.1 referrer of `subject`: the empty config, one layer, `artifactType`, `subject`. */
export function referrerManifest(
  subject: { mediaType: string; digest: string; size: number },
  artifactType: string,
  layer: Blob,
  annotations?: Record<string, string>,
): { manifest: object; bytes: Buffer; config: Blob } {
  const config = blob('application/vnd.oci.empty.v1+json', Buffer.from('{}'));
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType,
    config: config.descriptor,
    layers: [layer.descriptor],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    ...(annotations ? { annotations } : {}),
  };
  return { manifest, bytes: Buffer.from(JSON.stringify(manifest)), config };
}

export function ociReferrer(
  subject: Descriptor,
  repo: string,
  role: 'signature' | 'attestation' | 'sbom' | 'other',
  artifactType: string,
  layer: Blob,
  annotations: Record<string, string> = { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
): Carried & { bytes: Buffer } {
  const { bytes, config } = referrerManifest(subject, artifactType, layer, annotations);
  const digest = `sha256:${hex(bytes)}`;
  const entry = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest,
    size: bytes.length,
    artifactType,
    annotations: referrerAnnotations({ subject: subject.digest, role, repo, digest }),
  } as unknown as Descriptor;
  return { entry, blobs: [{ descriptor: entry, bytes }, config, layer], bytes };
}

/** What a front with the referrers API saw. */
export interface ReferrersFront {
  url: string;
  host: string;
  log: { method: string; path: string }[];
  stop(): Promise<void>;
}

/**
 * A registry with the referrers API, made of a real one behind a small front: a manifest PUT with a `subject` that
 * the registry accepts is answered with `OCI-Subject: <subject digest>` and listed, and
 * `GET /v2/<name>/referrers/<digest>` answers from that list (distribution-spec v1.1). Everything else passes.
 */
export async function startReferrersFront(target: string): Promise<ReferrersFront> {
  const upstream = new URL(target);
  const listed = new Map<string, Descriptor[]>();
  const log: { method: string; path: string }[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    log.push({ method: req.method ?? '', path });
    const ref = /^\/v2\/(.+)\/referrers\/(sha256:[0-9a-f]{64})$/.exec(path);
    if (ref && req.method === 'GET') {
      req.resume();
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: listed.get(`${ref[1]}@${ref[2]}`) ?? [],
      });
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    void readBody(req).then((body) => {
      const port = (server.address() as AddressInfo).port;
      const out = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path, headers: { ...req.headers, host: `127.0.0.1:${port}` } },
        (up) => {
          const headers = { ...up.headers };
          const put = /^\/v2\/(.+)\/manifests\/[^/]+$/.exec(path);
          if (put && req.method === 'PUT' && up.statusCode === 201) {
            const m = JSON.parse(body.toString('utf8'));
            if (m.subject?.digest) {
              headers['oci-subject'] = m.subject.digest;
              const key = `${put[1]}@${m.subject.digest}`;
              const list = listed.get(key) ?? [];
              const digest = `sha256:${hex(body)}`;
              if (!list.some((d) => d.digest === digest))
                list.push({
                  mediaType: m.mediaType,
                  digest,
                  size: body.length,
                  artifactType: m.artifactType,
                  annotations: m.annotations,
                } as Descriptor);
              listed.set(key, list);
            }
          }
          res.writeHead(up.statusCode ?? 502, headers);
          up.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    log,
    stop: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
