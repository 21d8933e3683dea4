import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../../../src/manifest/load.js';

// The manifests shipped in manifests/ are documentation; they must stay valid.
describe('shipped example manifests', () => {
  const dir = join(import.meta.dirname, '..', '..', '..', 'manifests');
  it.each(readdirSync(dir).filter((f) => f.endsWith('.yaml')))('%s is valid', async (file) => {
    const m = await loadManifest(join(dir, file));
    expect(m.images.length + m.files.length).toBeGreaterThan(0);
  });
});
