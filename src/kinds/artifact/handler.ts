import type { KindHandler } from '../kind.js';
import { artifactPins } from './pins.js';
import { artifactPush } from './push.js';
import { type LockedArtifact, artifactSchema } from './schema.js';
import { artifactView } from './view.js';

/**
 * The artifact kind (kinds/kind.ts): any OCI artifact, an OCI manifest whose config is not an image config or an
 * index, stored whole at its upstream digest (no platform is selected) and pushed like an image (docs/manifest.md
 * "spec.artifacts").
 */
export const artifactKind = {
  kind: 'artifact',
  key: 'artifacts',
  cardinality: 'list',
  entryKinds: ['artifact'],
  ...artifactSchema,
  ...artifactPins,
  ...artifactView,
  ...artifactPush,
  // The connected side brings the HTTP stack: imported only when pull asks for it.
  loadSource: () => import('./source.js').then((m) => m.source),
} as const satisfies KindHandler<LockedArtifact, 'artifact', 'artifacts'>;
