import { z } from 'zod';
import { sameUrl } from '../../core/url-form.js';
import { byKey } from '../../lock/canonical-json.js';
import { fileFields } from '../../lock/fields.js';
import { httpUrl, httpUrlProblem, isRecord, isString, list, sha256Hex } from '../../manifest/fields.js';
import { fileNameFromUrl, fileNameProblem } from '../../manifest/file-name.js';
import type { KeyPath } from '../../manifest/yaml-source.js';
import type { NormaliseContext, SchemaFacet } from '../facets/schema.js';
import { lockedFilesProblems } from '../../lock/file-problems.js';
import { gateFiles } from './gate-lock.js';

/** lock.files entry. */
export const lockedFile = z.object(fileFields).strict();

export type LockedFile = z.infer<typeof lockedFile>;

/** spec.files item: a URL with exactly one pin. */
export const fileEntrySchema = z
  .object({
    url: httpUrl,
    sha256: sha256Hex.optional(),
    checksums: httpUrl.optional(),
    name: z.string().optional(),
  })
  .strict()
  .refine((f) => (f.sha256 === undefined) !== (f.checksums === undefined), {
    message: 'give exactly one of sha256 (an inline pin) or checksums (the URL of a checksum list)',
  });

export interface FileEntry {
  url: string;
  /** File name in the bundle and when staged. */
  name: string;
  /** Inline pin, lowercase hex. */
  sha256?: string;
  /** URL of a sha256sum-format list that vouches for the file. */
  checksums?: string;
}

function normaliseFiles(raw: unknown, { at: key, problems }: NormaliseContext): FileEntry[] {
  const out: FileEntry[] = [];
  const seen = new Map<string, number>();
  list(raw).forEach((f, i) => {
    if (!isRecord(f) || !isString(f.url) || httpUrlProblem(f.url) !== undefined) return;
    const given = isString(f.name) ? f.name : undefined;
    const at: KeyPath = [...key, i, given !== undefined ? 'name' : 'url'];
    const name = given ?? fileNameFromUrl(new URL(f.url));
    if (name === undefined) {
      problems.push({ path: at, message: "the URL's last path segment is not valid percent-encoding; set name:" });
      return;
    }
    const why = fileNameProblem(name);
    if (why) {
      const fix = given === undefined ? ' (derived from the URL; set name:)' : '';
      problems.push({ path: at, message: `file name ${JSON.stringify(name)} ${why}${fix}` });
      return;
    }
    const first = seen.get(name);
    if (first !== undefined) {
      problems.push({ path: [...key, i], message: `duplicate file name ${name} (also spec.files.${first}); set name: to tell them apart` });
      return;
    }
    seen.set(name, i);
    out.push({
      url: f.url,
      name,
      ...(isString(f.sha256) ? { sha256: f.sha256.toLowerCase() } : {}),
      ...(isString(f.checksums) ? { checksums: f.checksums } : {}),
    });
  });
  return out;
}

const manifestPin = (f: FileEntry): string => (f.sha256 !== undefined ? `sha256 ${f.sha256}` : `checksums ${f.checksums ?? '?'}`);
const lockPin = (f: LockedFile): string => (f.vouchedBy.kind === 'checksums' ? `checksums ${f.vouchedBy.url}` : `sha256 ${f.sha256}`);
/** The same pin: the same sha256, or the same checksum list (its URL compared as a URL, as written in either). */
const samePin = (m: FileEntry, l: LockedFile): boolean =>
  m.sha256 !== undefined
    ? l.vouchedBy.kind !== 'checksums' && l.sha256 === m.sha256
    : l.vouchedBy.kind === 'checksums' && sameUrl(l.vouchedBy.url, m.checksums ?? '');

/**
 * The same files from the same URLs with the same pins (a file pinned by `checksums:` matches the lock entry vouched
 * for by that list). URLs compare as URLs (core/url-form.ts); the lock keeps them as they were written.
 */
function fileDifferences(locked: LockedFile[], wanted: FileEntry[]): string[] {
  const out: string[] = [];
  const lockedFiles = new Map(locked.map((f) => [f.name, f]));
  for (const f of wanted) {
    const l = lockedFiles.get(f.name);
    if (!l) {
      out.push(`file ${f.name} from ${f.url} (${manifestPin(f)}): in the manifest, not in the lock`);
      continue;
    }
    if (!sameUrl(l.url, f.url)) out.push(`file ${f.name}: URL changed: the manifest says ${f.url}, the lock says ${l.url}`);
    if (!samePin(f, l)) out.push(`file ${f.name}: pin changed: the manifest says ${manifestPin(f)}, the lock says ${lockPin(l)}`);
  }
  const wantedNames = new Set(wanted.map((f) => f.name));
  for (const l of [...locked].sort(byKey((f) => f.name))) {
    if (!wantedNames.has(l.name)) out.push(`file ${l.name} from ${l.url} (${lockPin(l)}): in the lock, not in the manifest`);
  }
  return out;
}

/** The file kind's schema facet (kinds/kind.ts). */
export const fileSchema = {
  lockedSchema: lockedFile,
  entrySchema: fileEntrySchema,
  always: true,
  normalise: normaliseFiles,
  differences: fileDifferences,
  lockProblems: (locked: LockedFile[]) => lockedFilesProblems(locked, 'files'),
  lockOrder: (locked: LockedFile[]) => [...locked].sort(byKey((f) => f.name)),
  gateLocked: gateFiles,
} as const satisfies SchemaFacet<LockedFile, FileEntry>;
