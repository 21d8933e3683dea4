import type { Readable } from 'node:stream';
import { FerryError } from '../core/errors.js';
import type { HttpGetter } from './http-getter-type.js';
import { resumableBody } from './resumable-body.js';
import { readBounded, retryingBody } from './read-body.js';
import { type Transport, redact } from './transport.js';

export type { HttpGetter };

/**
 * Plain file downloads (release assets, checksum lists) over the shared transport: retries, redirects, TLS
 * options and Range resume as for registries, no registry auth. `rewriteUrl` applies mirrors; messages name
 * the upstream URL, which is what the user wrote.
 */
export function createHttpGetter(
  transport: Transport,
  rewriteUrl: (url: string) => string = (u) => u,
  opts: { maxFileSize?: number } = {},
): HttpGetter {
  const get = async (url: string, offset: number) =>
    transport.send({ method: 'GET', url: rewriteUrl(url), headers: offset > 0 ? { range: `bytes=${offset}-` } : {} });
  return {
    ...(opts.maxFileSize !== undefined ? { maxFileSize: opts.maxFileSize } : {}),
    async getBuffer(url: string, maxBytes: number): Promise<Buffer> {
      return retryingBody(url, transport.events, async () => {
        const res = await get(url, 0);
        if (res.status !== 200) {
          await res.body.dump();
          throw new FerryError(res.status === 404 ? 'NOT_FOUND' : 'NETWORK_ERROR', `${redact(url)}: HTTP ${res.status}`, {
            url: redact(url),
            status: res.status,
          });
        }
        return readBounded(res, maxBytes, redact(url));
      });
    },
    async getStream(url: string, offset: number, size?: number): Promise<Readable> {
      return resumableBody((from) => get(url, from), { offset, url, events: transport.events, ...(size !== undefined ? { size } : {}) });
    },
    async headSize(url: string): Promise<number | undefined> {
      const res = await transport.send({ method: 'HEAD', url: rewriteUrl(url) });
      await res.body.dump();
      const n = Number(res.headers['content-length']);
      return res.status === 200 && Number.isFinite(n) ? n : undefined;
    },
  };
}
