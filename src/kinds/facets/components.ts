import type { Descriptor } from '../../core/media-types.js';
import type { Pin } from './pins.js';

/** CycloneDX 1.5 component types ferry uses (bom-1.5.schema.json `component.type`). */
export type ComponentType = 'container' | 'application' | 'file' | 'data';

/**
 * One artifact of the bundle as its kind describes it for the bundle's SBOM (src/sbom/, docs/supply-chain.md "SBOM of
 * the bundle"): one per index.json entry. The SBOM module adds what every component carries (the entry's ref name,
 * kind and digest) and turns it into CycloneDX; the kind says what only it knows.
 */
export interface ArtifactComponent {
  /** The index.json entry it describes. */
  entry: Descriptor;
  type: ComponentType;
  name: string;
  version?: string;
  /** Its package URL (src/core/purl.ts), in the purl-spec type that fits it; none for ferry's own metadata. */
  purl?: string;
  /**
   * sha256 (hex) of what the bundle holds for it: an image's or OCI artifact's root manifest or index (the entry's
   * digest), a file's content (layer 0 of its artifact manifest).
   */
  sha256: string;
  /** Where it came from: the upstream URL, or the image reference as `docker://<repository>@<digest>`. */
  distribution?: string;
  /** What vouched for it, in the audit report's words (Pin.vouchedBy, a chart's provenance). */
  vouchedBy: string[];
  /** Further facts as `ferry:<name>` properties (the upstream digest, a file's role). */
  properties?: Record<string, string>;
  /** Digests that name it beside its entry's (an image's upstream index), for tying carried referrers to it. */
  alsoKnownAs?: string[];
  /** SBOMs it carries inside itself (ferry's release SBOM, its layer 1): the bundle blob and its title. */
  boms?: { sha256: string; title: string }[];
}

/** What a kind's `components` gets: its lock entries and its index.json entries (any of its entryKinds). */
export type ComponentsHook<Locked> = (locked: readonly Locked[], entries: readonly Descriptor[]) => ArtifactComponent[];

/** The parts a pin already says (its name, version, vouching, source URL), for a component of that pin's entry. */
export function fromPin(pin: Pin, entry: Descriptor): Pick<ArtifactComponent, 'entry' | 'name' | 'version' | 'sha256' | 'vouchedBy'> {
  return {
    entry,
    name: pin.name,
    ...(pin.version !== undefined ? { version: pin.version } : {}),
    sha256: pin.digest.slice('sha256:'.length),
    vouchedBy: [pin.vouchedBy, ...(pin.provenance ? [pin.provenance] : [])],
  };
}

/** The entries of `entries` whose `annotation` is `value` looked up in `byName`, with what it maps to. */
export function matchEntries<T>(entries: readonly Descriptor[], annotation: string, byName: Map<string, T>): [Descriptor, T][] {
  const out: [Descriptor, T][] = [];
  for (const e of entries) {
    const hit = byName.get(e.annotations?.[annotation] ?? '');
    if (hit !== undefined) out.push([e, hit]);
  }
  return out;
}
