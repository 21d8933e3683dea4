import { z } from 'zod';
import { KINDS } from '../kinds/index.js';
import { platformsSchema } from './fields.js';
import { helmSettingSchema } from '../kinds/chart/render/helm-setting.js';
import { signaturesSchema } from '../trust/cosign/policy.js';

export { httpUrlProblem, platformsSchema } from './fields.js';

/**
 * The manifest's shape (docs/manifest.md), composed from each kind's `spec.<key>` schema (kinds/<kind>/schema.ts).
 * Objects are strict: an unknown key is an error, so a typo such as `checksum:` cannot silently drop a pin. Meaning
 * (references, platforms, file names, duplicates) is checked after this, by each kind's normaliser, where every
 * problem still gets a position. Built on first use, not at load, for the same reason as lock/lock-schema.ts: KINDS
 * may not be initialised yet when this module loads (kinds/index.ts imports every handler).
 */
function buildManifestSchema() {
  return z
    .object({
      apiVersion: z.literal('ferry.dev/v1alpha1'),
      kind: z.literal('Bundle'),
      metadata: z
        .object({
          name: z
            .string()
            .regex(
              /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/,
              'expected lower-case letters, digits and -, starting and ending with a letter or digit',
            ),
        })
        .strict(),
      spec: z
        .object({
          platforms: platformsSchema.optional(),
          helm: helmSettingSchema.optional(),
          signatures: signaturesSchema.optional(),
          ...Object.fromEntries(KINDS.map((k) => [k.key, (k.cardinality === 'list' ? z.array(k.entrySchema) : k.entrySchema).optional()])),
        })
        .strict(),
    })
    .strict();
}

let memo: ReturnType<typeof buildManifestSchema> | undefined;

export function manifestSchema(): ReturnType<typeof buildManifestSchema> {
  memo ??= buildManifestSchema();
  return memo;
}
