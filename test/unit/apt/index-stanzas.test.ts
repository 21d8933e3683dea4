import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseDeb822 } from '../../../src/kinds/apt/deb822.js';
import { INDEX_CEILING, MAX_STANZA, indexStanzas } from '../../../src/kinds/apt/index-stanzas.js';
import { parsePackages } from '../../../src/kinds/apt/apt-index.js';

const src = (uncompressedSize?: number) => ({
  file: 'dists/s/main/binary-amd64/Packages.gz',
  release: { file: 'InRelease', at: 'bundled dists/s/InRelease' },
  path: 'main/binary-amd64/Packages.gz',
  ...(uncompressedSize !== undefined ? { uncompressedSize } : {}),
});

async function all(gz: Buffer, s = src()): Promise<string[]> {
  const out: string[] = [];
  for await (const t of indexStanzas(gz, s)) out.push(t);
  return out;
}

describe('indexStanzas: a Packages.gz inflated as it streams, within its cap', () => {
  it('cuts stanzas exactly as the whole-text parser does, across inflate chunk boundaries, CRLF and blank runs', async () => {
    const stanzas = Array.from(
      { length: 4000 },
      (_, i) => `Package: p${i}\nVersion: 1.${i}\nDescription: x\n ${'long line '.repeat(i % 50)}\n`,
    );
    const joined = stanzas.map((s, i) => s + (i % 7 === 0 ? '\r\n \t\r\n\n' : '\n')).join('');
    const got = await all(gzipSync(joined));
    expect(got.map((t) => parseDeb822(t)[0]?.get('package'))).toEqual(parseDeb822(joined).map((s) => s.get('package')));
    expect(got).toHaveLength(4000);
  });

  it('refuses an index that inflates past the size the signed Release lists, naming the file, the cap and the Release', async () => {
    const gz = gzipSync(Buffer.from('Package: a\nVersion: 1\n\n'.repeat(10_000)));
    await expect(all(gz, src(1000))).rejects.toMatchObject({
      code: 'INTEGRITY_FAILED',
      message:
        'dists/s/main/binary-amd64/Packages.gz: expands past 1000 bytes, the size the signed InRelease lists for main/binary-amd64/Packages (bundled dists/s/InRelease)',
    });
    expect(await all(gz, src(240_000))).toHaveLength(10_000);
  });

  it('refuses a listed size above the ceiling before inflating anything, and a newline-free bomb as soon as one stanza is too long', async () => {
    await expect(all(gzipSync(Buffer.from('Package: a\n')), src(INDEX_CEILING + 1))).rejects.toThrow(
      /lists main\/binary-amd64\/Packages at 536870913 bytes, more than the 536870912 bytes \(512 MiB\)/,
    );
    await expect(all(gzipSync(Buffer.alloc(MAX_STANZA + (1 << 20), 0x41)))).rejects.toThrow(
      `holds a stanza longer than ${MAX_STANZA} bytes`,
    );
  });

  it('an index over 512 MiB (more than one V8 string holds) is a clear error, never an empty index', async () => {
    const stanza = Buffer.from(`Package: big\nVersion: 1\nDescription: d\n${' filler line of a long description\n'.repeat(110)}\n`);
    const member = gzipSync(Buffer.concat(Array.from({ length: Math.ceil((64 << 20) / stanza.length) }, () => stanza)), { level: 9 });
    const gz = Buffer.concat(Array.from({ length: 9 }, () => member)); // 9 × 64 MiB = 576 MiB inflated
    await expect(parsePackages(gz, 's main', src())).rejects.toMatchObject({
      code: 'INTEGRITY_FAILED',
      message: expect.stringContaining(
        'expands past 536870912 bytes (512 MiB), the most ferry reads of an index the signed InRelease gives no size for',
      ),
    });
  }, 60_000);

  it('not gzip at all: APT_RELEASE_INVALID naming the file', async () => {
    await expect(parsePackages(Buffer.from('Package: a\n'), 's main', src())).rejects.toMatchObject({
      code: 'APT_RELEASE_INVALID',
      message: expect.stringContaining('dists/s/main/binary-amd64/Packages.gz: not a gzip-compressed Packages index'),
    });
  });
});

describe('indexStanzas: a Packages.xz that does not decode', () => {
  it('is an error naming the index and the Release that signed it, not a bare decoder message', async () => {
    const xzSrc = {
      file: 'dists/s/main/binary-amd64/Packages.xz',
      release: { file: 'InRelease', at: 'bundled dists/s/InRelease' },
      path: 'main/binary-amd64/Packages.xz',
    };
    // The xz magic, then garbage: both decoders (CLI and WebAssembly) refuse it.
    const broken = Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(64, 0x41)]);
    await expect(all(broken, xzSrc)).rejects.toThrow(
      /^dists\/s\/main\/binary-amd64\/Packages\.xz: cannot be decompressed \(xz: .+\) \(bundled dists\/s\/InRelease\)$/,
    );
  });
});
