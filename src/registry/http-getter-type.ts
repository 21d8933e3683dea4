import type { Readable } from 'node:stream';

/** Plain HTTP(S) downloads, with mirrors, retries and Range resume handled underneath (registry/http-getter.ts). */
export interface HttpGetter {
  /** A small document (checksum lists), size-capped. */
  getBuffer(url: string, maxBytes: number): Promise<Buffer>;
  /**
   * The body from `offset` on; the stream resumes dropped connections itself where the server allows. `size`, when
   * known, lets it also resume a body without a length that ends before it.
   */
  getStream(url: string, offset: number, size?: number): Promise<Readable>;
  /** Content-Length from a HEAD, when the server gives one. */
  headSize(url: string): Promise<number | undefined>;
  /** Most bytes a download of unknown size may bring (`pull --max-file-size`); DEFAULT_MAX_FILE_SIZE otherwise. */
  maxFileSize?: number;
}
