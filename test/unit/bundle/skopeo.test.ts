import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeBundle } from '../../../src/bundle/writer.js';
import { requireTools } from '../../helpers/tools.js';
import { addFile, addImage, indexOf, LOCK, MemoryBlobs, tempDir } from './fixtures.js';

const ok = requireTools('skopeo');

/**
 * skopeo (containers/image oci/layout) selects an image in `oci-archive:PATH:REF` by exact string equality of REF
 * with the `org.opencontainers.image.ref.name` annotation, so the full normalised reference works as REF.
 */
describe.runIf(ok)('skopeo reads a bundle as an oci-archive', () => {
  it('inspects images by their full normalised reference', async () => {
    const dir = tempDir();
    const out = join(dir, 'bundle.tar');
    const store = new MemoryBlobs();
    const hello = addImage(store, 'docker.io/library/hello', '1.0', 'one');
    const other = addImage(store, 'localhost:5000/team/other', 'v2', 'two');
    const file = addFile(store, 'notes.txt', Buffer.from('notes'));
    await writeBundle({
      outPath: out,
      name: 's',
      toolVersion: '0.1.0',
      lock: LOCK,
      index: indexOf([hello, other, file]),
      blobs: store.source(),
    });

    const inspect = (ref: string, raw = false) =>
      JSON.parse(execFileSync('skopeo', ['inspect', ...(raw ? ['--raw'] : []), `oci-archive:${out}:${ref}`], { encoding: 'utf8' }));
    expect(inspect('docker.io/library/hello:1.0')).toMatchObject({ Digest: hello.digest, Architecture: 'amd64', Os: 'linux' });
    expect(inspect('localhost:5000/team/other:v2')).toMatchObject({ Digest: other.digest });
    expect(inspect('files/notes.txt', true)).toMatchObject({ config: { mediaType: 'application/vnd.oci.empty.v1+json' } });
    // io.containerd.image.name is not what skopeo matches; a short name is not normalised either.
    expect(() => execFileSync('skopeo', ['inspect', `oci-archive:${out}:hello:1.0`], { stdio: 'pipe' })).toThrow(/no descriptor found/);
  });
});
