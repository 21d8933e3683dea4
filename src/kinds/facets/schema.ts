import type { z } from 'zod';
import type { PlatformSpec } from '../../manifest/fields.js';
import type { KeyPath, Problem } from '../../manifest/yaml-source.js';
import type { Check, Report } from '../../validate/gate-check.js';

/** What a normaliser needs besides the value: where it sits, the manifest's defaults, and where problems go. */
export interface NormaliseContext {
  /** The key path of the value, `['spec', <key>]`: problems are pushed under it so they keep their positions. */
  at: KeyPath;
  /** The manifest's own path: relative paths in entries are resolved against its directory. */
  manifestPath: string;
  /** spec.platforms with its default, for entries that may override it. */
  platforms: PlatformSpec;
  problems: Problem[];
}

/** What `differences` knows of the rest of the lock. */
export interface MatchContext {
  /** References of images the lock's entries of other kinds brought in (a chart's images): wanted too. */
  broughtImages: ReadonlySet<string>;
}

/**
 * The schema facet of a kind (kinds/kind.ts): its `spec.<key>` entry as written and normalised, its `lock.<key>`
 * entry, and how a lock entry still matches the manifest. lock/lock-schema.ts and manifest/schema.ts compose the
 * kinds' schemas into the whole lock and manifest; lock/types.ts and manifest/types.ts derive the types from them.
 */
export interface SchemaFacet<Locked, Entry = unknown> {
  /** The zod schema of ONE lock entry (strict: an unknown key is an error). */
  readonly lockedSchema: z.ZodType<Locked, z.ZodTypeDef, unknown>;
  /** The zod schema of one `spec.<key>` item as written (of the value itself for a `single` kind). */
  readonly entrySchema: z.ZodTypeAny;
  /**
   * The lock always carries the key, as a list, even an empty one (images and files, there from lockVersion 1's
   * start); other kinds' keys are absent when there is nothing of them.
   */
  readonly always?: boolean;
  /**
   * `spec.<key>` as parsed (anything: the schema has already reported what is wrong with its shape) to normalised
   * entries with defaults applied; problems of meaning (references, names, duplicates) pushed with their key paths.
   * A `single` kind returns at most one entry.
   */
  normalise(raw: unknown, ctx: NormaliseContext): Entry[];
  /**
   * For `pull --lock`: every way the lock's entries of this kind no longer describe the manifest's, one line each,
   * manifest entries in manifest order, then what only the lock has.
   */
  differences(locked: Locked[], wanted: Entry[], ctx: MatchContext): string[];
  /**
   * What the lock's entries must also be beyond their shape, for later steps to rely on (references in normalised
   * form, file names safe to stage, nothing listed twice): one `key.path: why` line each (lock/lock-file.ts).
   */
  lockProblems(locked: Locked[]): string[];
  /**
   * Every value of the lock's entries that stage, push, serve or a report uses, against its grammar, for the gate
   * on a bundle's lock (validate/gate-lock.ts): the lock is as untrusted as the rest of the bundle.
   */
  gateLocked(locked: Locked[], check: Check, report: Report): void;
  /**
   * The entries in the order the lock writes them, so a lock's bytes depend on what it pins, not on the order
   * things resolved in. Absent: written in the order they are (apt sources, which are matched by position; ferry).
   */
  lockOrder?(locked: Locked[]): Locked[];
  /** Only for a kind whose entries carry platforms (images): the entries with `pull --platform`'s platforms. */
  withPlatforms?(wanted: Entry[], platforms: PlatformSpec): Entry[];
  /** Only for a kind whose lock entries bring images into lock.images (charts): their references. */
  broughtImages?(locked: Locked[]): string[];
}
