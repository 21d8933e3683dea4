import { BUNDLE_FORMAT_VERSION, BUNDLE_META_FILE, INDEX_FILE, OCI_LAYOUT_FILE, OCI_LAYOUT_VERSION } from '../bundle/format.js';
import { parseMemberJson } from '../bundle/member-json.js';
import type { ImageIndex } from '../core/media-types.js';
import type { Problem } from './problem.js';

/** A member's bytes when they are the ones SHA256SUMS lists, else undefined (so it is not parsed). */
export type TrustedMember = (path: string) => Buffer | undefined;

function parseJson(body: Buffer | undefined, path: string, problems: Problem[]): Record<string, unknown> | undefined {
  if (!body) return undefined;
  try {
    return parseMemberJson(body, path);
  } catch (err) {
    problems.push({ path, code: 'MALFORMED', message: (err as Error).message });
    return undefined;
  }
}

/** oci-layout (image-spec image-layout.md) and ferry-bundle.json (docs/bundle-format.md); the lock is checked apart. */
export function checkMetadata(trusted: TrustedMember): Problem[] {
  const problems: Problem[] = [];
  const layout = parseJson(trusted(OCI_LAYOUT_FILE), OCI_LAYOUT_FILE, problems);
  if (layout && layout.imageLayoutVersion !== OCI_LAYOUT_VERSION) {
    problems.push({
      path: OCI_LAYOUT_FILE,
      code: 'MALFORMED',
      expected: OCI_LAYOUT_VERSION,
      actual: String(layout.imageLayoutVersion),
      message: `${OCI_LAYOUT_FILE}: imageLayoutVersion is not ${OCI_LAYOUT_VERSION}`,
    });
  }
  const meta = parseJson(trusted(BUNDLE_META_FILE), BUNDLE_META_FILE, problems);
  if (meta && meta.formatVersion !== BUNDLE_FORMAT_VERSION) {
    problems.push({
      path: BUNDLE_META_FILE,
      code: 'MALFORMED',
      expected: BUNDLE_FORMAT_VERSION,
      actual: String(meta.formatVersion),
      message: `${BUNDLE_META_FILE}: formatVersion is not ${BUNDLE_FORMAT_VERSION}`,
    });
  }
  return problems;
}

export function parseIndex(body: Buffer | undefined, problems: Problem[]): ImageIndex | undefined {
  const index = parseJson(body, INDEX_FILE, problems);
  if (!index) return undefined;
  if (index.schemaVersion !== 2 || !Array.isArray(index.manifests)) {
    problems.push({
      path: INDEX_FILE,
      code: 'MALFORMED',
      message: `${INDEX_FILE} is not an OCI image index (schemaVersion 2 with manifests[])`,
    });
    return undefined;
  }
  return index as unknown as ImageIndex;
}

/** A delta bundle's omitted blobs (digest → size), from a ferry-bundle.json checkMetadata has already judged. */
export function omittedBlobs(meta: Buffer | undefined): Map<string, number> {
  const out = new Map<string, number>();
  let m: Record<string, unknown>;
  try {
    m = meta ? parseMemberJson(meta, BUNDLE_META_FILE) : {};
  } catch {
    return out; // reported by checkMetadata
  }
  const omitted = (m.delta as { omitted?: unknown } | undefined)?.omitted;
  if (!Array.isArray(omitted)) return out;
  for (const o of omitted as { digest?: unknown; size?: unknown }[]) {
    if (typeof o?.digest === 'string' && typeof o.size === 'number') out.set(o.digest, o.size);
  }
  return out;
}
