import { z } from 'zod';

/**
 * Field schemas the lock entries of several kinds share (ferry.lock.json version 1, docs/manifest.md "The lock
 * file"). The kinds' own lock schemas (kinds/<kind>/schema.ts) import these; the composed lock is lock-schema.ts.
 */
export const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits');
export const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256:<64 lower-case hex digits>');
export const size = z.number().int().nonnegative();

export const vouchedBy = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('inline') }).strict(),
  z
    .object({
      kind: z.literal('checksums'),
      url: z.string(),
      /** hex sha256 of the checksum list as downloaded */
      sha256: hex64,
      /** 1-based line of the list that named the file */
      line: z.number().int().positive(),
    })
    .strict(),
  /**
   * Nothing upstream publishes a checksum for it (RKE2's install.sh, or the checksum list itself): the sha256 was
   * recorded here when ferry first downloaded it over HTTPS, and every later `--lock` pull must match it.
   */
  z.object({ kind: z.literal('first-fetch') }).strict(),
]);

export type VouchedBy = z.infer<typeof vouchedBy>;

/** A downloaded file's fields: spec.files entries, and RKE2 release files (which add their role). */
export const fileFields = {
  name: z.string(),
  url: z.string(),
  /** hex */
  sha256: hex64,
  size: size.optional(),
  vouchedBy,
};
