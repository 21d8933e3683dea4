import type { LockedFile } from './schema.js';
import type { KindHandler } from '../kind.js';
import { filePins } from './pins.js';
import { filePush } from './push.js';
import { fileSchema } from './schema.js';
import { fileView } from './view.js';

/** The file kind: everything the verbs need to know about it (kinds/kind.ts). */
export const fileKind = {
  kind: 'file',
  key: 'files',
  cardinality: 'list',
  entryKinds: ['file'],
  ...fileSchema,
  ...filePins,
  ...fileView,
  ...filePush,
  // The connected side brings the HTTP stack (and openpgp for apt): imported only when pull asks for it.
  loadSource: () => import('./source.js').then((m) => m.source),
} as const satisfies KindHandler<LockedFile, 'file', 'files'>;
