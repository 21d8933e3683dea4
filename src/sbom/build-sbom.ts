import { createHash } from 'node:crypto';
import { blobPath } from '../bundle/format.js';
import { Annotation, type Descriptor, type ImageIndex } from '../core/media-types.js';
import { formatPurl } from '../core/purl.js';
import type { ArtifactComponent } from '../kinds/facets/components.js';
import { KINDS, kindOfEntry, lockedOf } from '../kinds/index.js';
import type { AnyKind } from '../kinds/kind.js';
import type { Lock } from '../lock/types.js';
import { type CdxBom, type CdxComponent, type CdxExternalReference, type CdxProperty, SPEC_VERSION, serialiseBom } from './cyclonedx.js';
import { entryComponent } from './entry-component.js';
import { linkReferrers } from './referrers.js';
import { serialNumberFor } from './serial.js';

/** What the bundle's SBOM is made from: nothing but what the bundle holds, so it can be made again from it. */
export interface SbomInputs {
  /** The bundle's name (ferry-bundle.json). */
  name: string;
  /** Who wrote the bundle, `ferry <version>` (ferry-bundle.json `tool`): the SBOM's tool, whichever ferry runs now. */
  tool: string;
  /** SHA256SUMS without the SBOM's own line (sums.ts). */
  sums: Buffer;
  index: ImageIndex;
  lock: Lock;
  /**
   * The child manifests of the index-type roots (digest → child digests), to tie a referrer whose subject is a
   * platform child to its image (referrers.ts `indexChildren`); only read when the bundle carries referrers.
   */
  children?: ReadonlyMap<string, readonly string[]>;
}

/**
 * The bundle's CycloneDX 1.5 SBOM (docs/supply-chain.md "SBOM of the bundle"): one component per index.json entry,
 * in index.json order, each described by its kind's `components` hook (kinds/facets/components.ts), or from the
 * entry alone when its kind has none; carried upstream SBOMs linked to their images. No wall clock and no random
 * number: the serial number is named by the bundle's content, so the same bundle always gives the same bytes.
 */
export function buildSbom(inputs: SbomInputs): Buffer {
  return serialiseBom(sbomDocument(inputs));
}

export function sbomDocument(inputs: SbomInputs): CdxBom {
  const described = describeEntries(inputs.index.manifests, inputs.lock);
  const components = described.map(toCdx);
  uniqueRefs(components);
  linkReferrers(described, components, inputs.children ?? new Map());
  const sumsSha256 = createHash('sha256').update(inputs.sums).digest('hex');
  const [toolName, toolVersion] = splitTool(inputs.tool);
  return {
    bomFormat: 'CycloneDX',
    specVersion: SPEC_VERSION,
    serialNumber: serialNumberFor(sumsSha256),
    version: 1,
    metadata: {
      tools: {
        components: [
          {
            type: 'application',
            name: toolName,
            ...(toolVersion ? { version: toolVersion, purl: formatPurl({ type: 'generic', name: toolName, version: toolVersion }) } : {}),
          },
        ],
      },
      component: {
        type: 'data',
        'bom-ref': 'bundle',
        name: inputs.name,
        properties: [
          { name: 'ferry:sha256sums-sha256', value: sumsSha256 },
          { name: 'ferry:sha256sums-scope', value: 'SHA256SUMS without its sbom.cdx.json line' },
        ],
      },
    },
    components,
  };
}

/** Each entry with its component: from its kind's hook when the kind has one and knows the entry, else from the entry. */
function describeEntries(entries: readonly Descriptor[], lock: Lock): ArtifactComponent[] {
  const byKind = new Map<AnyKind, Descriptor[]>();
  for (const e of entries) {
    const k = kindOfEntry(e);
    if (!k) continue;
    const list = byKind.get(k);
    if (list) list.push(e);
    else byKind.set(k, [e]);
  }
  const known = new Map<Descriptor, ArtifactComponent>();
  for (const k of KINDS as readonly AnyKind[]) {
    const mine = byKind.get(k);
    if (!mine || !k.components) continue;
    for (const c of k.components(lockedOf(lock, k), mine)) if (!known.has(c.entry)) known.set(c.entry, c);
  }
  return entries.map((e) => known.get(e) ?? entryComponent(e));
}

/** The CycloneDX form of one artifact, with what every component carries: its kind, ref name and OCI digest. */
function toCdx(c: ArtifactComponent): CdxComponent {
  const a = c.entry.annotations ?? {};
  const refName = a[Annotation.RefName];
  const refs: CdxExternalReference[] = [
    ...(c.distribution ? [{ url: c.distribution, type: 'distribution' as const }] : []),
    ...(c.boms ?? []).map((b) => ({
      url: blobPath(b.sha256),
      comment: `${b.title}: the SBOM it carries, in this bundle`,
      type: 'bom' as const,
      hashes: [{ alg: 'SHA-256' as const, content: b.sha256 }],
    })),
  ];
  const properties: CdxProperty[] = [
    { name: 'ferry:kind', value: a[Annotation.Kind] ?? 'unknown' },
    ...(refName !== undefined ? [{ name: 'ferry:ref-name', value: refName }] : []),
    { name: 'ferry:oci-digest', value: c.entry.digest },
    ...c.vouchedBy.map((v) => ({ name: 'ferry:vouched-by', value: v })),
    ...Object.entries(c.properties ?? {}).map(([name, value]) => ({ name, value })),
  ];
  return {
    type: c.type,
    'bom-ref': refName ?? c.entry.digest,
    name: c.name,
    ...(c.version !== undefined ? { version: c.version } : {}),
    hashes: [{ alg: 'SHA-256', content: c.sha256 }],
    ...(c.purl ? { purl: c.purl } : {}),
    ...(refs.length > 0 ? { externalReferences: refs } : {}),
    properties,
  };
}

/** bom-refs must be unique in a BOM (CycloneDX `refType`): a repeated ref name gets its digest appended. */
function uniqueRefs(components: CdxComponent[]): void {
  const seen = new Set<string>(['bundle']);
  for (const c of components) {
    let ref = c['bom-ref'] as string;
    if (seen.has(ref)) ref = `${ref}#${c.properties?.find((p) => p.name === 'ferry:oci-digest')?.value ?? seen.size}`;
    c['bom-ref'] = ref;
    seen.add(ref);
  }
}

/** `ferry 0.1.0` → [`ferry`, `0.1.0`]. */
function splitTool(tool: string): [string, string | undefined] {
  const at = tool.lastIndexOf(' ');
  return at > 0 ? [tool.slice(0, at), tool.slice(at + 1)] : [tool, undefined];
}
