import { LOCK_FILE, SBOM_FILE } from '../bundle/format.js';
import type { EventSink } from '../core/events.js';
import type { ImageIndex } from '../core/media-types.js';
import { parseLock } from '../lock/lock-file.js';
import { buildSbom } from '../sbom/build-sbom.js';
import { indexChildren } from '../sbom/referrers.js';
import { sumsWithoutSbom } from '../sbom/sums.js';
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
