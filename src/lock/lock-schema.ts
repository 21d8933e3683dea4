import { z } from 'zod';
import { KINDS } from '../kinds/index.js';
import type { AnyKind } from '../kinds/kind.js';
import type { Lock } from './types.js';

let memo: z.ZodType<Lock, z.ZodTypeDef, unknown> | undefined;

/**
 * ferry.lock.json version 1, as read back (docs/manifest.md "The lock file"), composed from each kind's lock entry
 * schema. Strict: unknown keys are errors. Built on first use, not at load: kinds/index.ts imports every handler,
 * and a handler's facets may import this module's importers, so KINDS may not be initialised yet when it loads.
 */
export function lockSchema(): z.ZodType<Lock, z.ZodTypeDef, unknown> {
  memo ??= z
    .object({
      lockVersion: z.literal(1),
      bundle: z.object({ name: z.string().min(1) }).strict(),
      ...Object.fromEntries(
        (KINDS as readonly AnyKind[]).map((k) => {
          const one: z.ZodTypeAny = k.lockedSchema;
          if (k.cardinality === 'single' && !k.lockList) return [k.key, one.optional()];
          return [k.key, k.always ? z.array(one) : z.array(one).optional()];
        }),
      ),
    })
    .strict() as unknown as z.ZodType<Lock, z.ZodTypeDef, unknown>;
  return memo;
}
