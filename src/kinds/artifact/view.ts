import { readMemberJson } from '../../bundle/member-json.js';
import { Annotation, type ImageIndex, type ImageManifest } from '../../core/media-types.js';
import { plural } from '../../core/units.js';
import { imageRefProblem } from '../../validate/gate-check.js';
import type { ViewFacet } from '../facets/view.js';
import { artifactTypeOf } from './artifact-type.js';
import type { LockedArtifact } from './schema.js';
import { artifactComponents } from './components.js';

/** The artifact kind's view facet (kinds/kind.ts). Artifacts are not staged: push carries them to a registry. */
export const artifactView = {
  async describe(reader, desc, base) {
    const doc = await readMemberJson<ImageIndex & ImageManifest>(reader, desc, desc.digest);
    const artifactType = artifactTypeOf(doc);
    return {
      kind: 'artifact',
      ref: desc.annotations?.[Annotation.RefName] ?? '',
      ...base,
      ...(artifactType !== undefined ? { artifactType } : {}),
    };
  },
  countOrder: 6,
  // Its own count: left out when there are none, so bundles without artifacts keep their counts' keys.
  count: (locked) => (locked.length > 0 ? { artifacts: locked.length } : {}),
  countWords: (c) => (typeof c.artifacts === 'number' && c.artifacts > 0 ? { artifacts: plural(c.artifacts, 'artifact') } : {}),
  inspectLines: (a) => [`${String(a.mediaType)}${typeof a.artifactType === 'string' ? `, artifact type ${a.artifactType}` : ''}`],
  gate(locked, g) {
    const artifacts = new Map(locked.map((a) => [a.ref, a]));
    return async (d) => {
      const ref = d.annotations?.[Annotation.RefName] ?? '';
      if (!g.check(`artifact ${ref}`, Annotation.RefName, ref, imageRefProblem)) return;
      const a = artifacts.get(ref);
      if (!a) g.report({ artifact: `artifact ${ref}`, field: Annotation.RefName, value: ref, why: 'is not an artifact of the lock' });
      else if (a.digest !== d.digest) g.mismatch(`artifact ${ref}`, 'digest', d.digest, a.digest);
    };
  },
  components: artifactComponents,
} satisfies ViewFacet<LockedArtifact>;
