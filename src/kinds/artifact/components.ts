import { Annotation } from '../../core/media-types.js';
import { ociPurl, ociSource } from '../../core/purl.js';
import { type ComponentsHook, fromPin, matchEntries } from '../facets/components.js';
import { artifactPins } from './pins.js';
import type { LockedArtifact } from './schema.js';

/** The artifact kind's SBOM components: `data` stored whole at its upstream digest, an `oci` purl. */
export const artifactComponents: ComponentsHook<LockedArtifact> = (locked, entries) =>
  matchEntries(entries, Annotation.RefName, new Map(locked.map((a) => [a.ref, a]))).map(([entry, a]) => ({
    ...fromPin(artifactPins.pins(a)[0]!, entry),
    type: 'data',
    purl: ociPurl(a.ref, a.digest),
    distribution: ociSource(a.ref, a.digest),
    ...(a.artifactType !== undefined ? { properties: { 'ferry:artifact-type': a.artifactType } } : {}),
  }));
