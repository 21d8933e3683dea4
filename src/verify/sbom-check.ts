import { LOCK_FILE, SBOM_FILE } from '../bundle/format.js';
import type { EventSink } from '../core/events.js';
import type { ImageIndex } from '../core/media-types.js';
import { parseLock } from '../lock/lock-file.js';
import { buildSbom } from '../sbom/build-sbom.js';
import { indexChildren } from '../sbom/referrers.js';
import { sumsWithoutSbom } from '../sbom/sums.js';
import { TOOL_VERSION } from '../version.js';
import type { Problem } from './problem.js';

/** The members the check reads, each only when its bytes are the ones SHA256SUMS lists. */
export interface SbomCheckInputs {
  /** sbom.cdx.json; undefined when the bundle has none (or its bytes failed their line, already reported). */
  sbom: Buffer | undefined;
  present: boolean;
  sums: Buffer | undefined;
  meta: Buffer | undefined;
  lock: Buffer | undefined;
  index: ImageIndex | undefined;
  /** A manifest blob's bytes, when the bundle holds it intact. */
  read: (hex: string) => Promise<Buffer | undefined>;
  events?: EventSink;
}

/**
 * The bundle's own SBOM against the one made again from what it holds (docs/supply-chain.md "SBOM of the bundle"):
 * any difference is SBOM_MISMATCH, naming the member and the first byte that differs. A bundle written before ferry
 * wrote the member has none, and that is said, not failed.
 */
export async function checkSbomMember(i: SbomCheckInputs): Promise<Problem[]> {
  if (!i.present) {
    i.events?.({
      type: 'info',
      message: `no SBOM member (${SBOM_FILE}): the bundle was written before ferry put one in; \`ferry bundle sbom\` makes it`,
    });
    return [];
  }
  if (!i.sbom || !i.sums || !i.meta || !i.lock || !i.index) return []; // a member it needs is damaged: reported already
  const meta = JSON.parse(i.meta.toString('utf8')) as { name: string; tool: string };
  const index = i.index;
  let lock;
  try {
    lock = parseLock(i.lock.toString('utf8'), LOCK_FILE);
  } catch {
    return []; // a lock that does not parse is the lock check's problem, reported there
  }
  const expected = buildSbom({
    name: meta.name,
    tool: meta.tool,
    sums: sumsWithoutSbom(i.sums),
    index,
    lock,
    children: await indexChildren(index, (digest) => i.read(digest.slice('sha256:'.length))),
  });
  if (expected.equals(i.sbom)) return [];
  // Another ferry may lay the document out otherwise: what must hold across versions is the artifacts and their hashes.
  if (meta.tool !== `ferry ${TOOL_VERSION}`) return componentProblems(expected, i.sbom, meta.tool, i.events);
  let at = 0;
  while (at < expected.length && at < i.sbom.length && expected[at] === i.sbom[at]) at++;
  return [
    {
      path: SBOM_FILE,
      code: 'SBOM_MISMATCH',
      message: `${SBOM_FILE}: not the SBOM made again from index.json, ${LOCK_FILE} and SHA256SUMS (they differ from byte ${at} on, ${i.sbom.length} bytes against ${expected.length}): the member was altered after the bundle was written; \`ferry bundle sbom\` prints what it should hold`,
    },
  ];
}

interface Component {
  'bom-ref'?: string;
  hashes?: { alg: string; content: string }[];
}

const sha256Of = (c: Component) => c.hashes?.find((h) => h.alg === 'SHA-256')?.content ?? 'none';

/**
 * The member of a bundle written by another ferry version: not compared byte for byte (its layout may differ), but
 * it must list the same artifacts (bom-refs), each once, with the SHA-256 made again from the bundle.
 */
function componentProblems(expected: Buffer, member: Buffer, tool: string, events?: EventSink): Problem[] {
  const mismatch = (what: string): Problem[] => [
    { path: SBOM_FILE, code: 'SBOM_MISMATCH', message: `${SBOM_FILE} (written by ${tool}): ${what}` },
  ];
  let have: Component[];
  try {
    have = (JSON.parse(member.toString('utf8')) as { components?: Component[] }).components ?? [];
  } catch {
    return mismatch('not JSON');
  }
  const want = new Map(
    ((JSON.parse(expected.toString('utf8')) as { components?: Component[] }).components ?? []).map((c) => [c['bom-ref'], sha256Of(c)]),
  );
  const seen = new Set<string | undefined>();
  for (const c of have) {
    const ref = c['bom-ref'];
    if (seen.has(ref)) return mismatch(`component ${ref} is listed twice`);
    seen.add(ref);
    if (!want.has(ref)) return mismatch(`component ${ref} is not in the bundle`);
    if (want.get(ref) !== sha256Of(c)) return mismatch(`component ${ref}: SHA-256 ${sha256Of(c)}, the bundle holds ${want.get(ref)}`);
  }
  const missing = [...want.keys()].find((r) => !seen.has(r));
  if (missing !== undefined) return mismatch(`no component for ${missing}, which the bundle holds`);
  events?.({
    type: 'info',
    message: `${SBOM_FILE} was written by ${tool}: its ${have.length} components and their hashes checked, not its layout`,
  });
  return [];
}
