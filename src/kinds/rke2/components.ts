import { Annotation } from '../../core/media-types.js';
import { type ComponentsHook, matchEntries } from '../facets/components.js';
import { downloadComponent } from '../file/components.js';
import { rke2Pins } from './pins.js';
import type { LockedRke2 } from './schema.js';

/** The RKE2 kind's SBOM components: each release file a `pkg:generic` download at the release's version, with its role. */
export const rke2Components: ComponentsHook<LockedRke2> = (locked, entries) =>
  locked.flatMap((r) => {
    const pins = new Map(rke2Pins.pins(r).map((p) => [p.entryName, p]));
    return matchEntries(entries, Annotation.Title, new Map(r.files.map((f) => [f.name, f]))).map(([entry, f]) => {
      const c = downloadComponent(f, pins.get(f.name)!, entry);
      return { ...c, properties: { 'ferry:rke2-role': f.role, ...(f.imageSet ? { 'ferry:rke2-image-set': f.imageSet } : {}) } };
    });
  });
