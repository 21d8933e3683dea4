import { describe, expect, it } from 'vitest';
import { parseDeb822 } from '../../../src/kinds/apt/deb822.js';
import { ownStanza, stanzaBuffers, stanzaFields, stanzaIdentity } from '../../../src/kinds/apt/stanza-bytes.js';

const tooLong = () => new Error('too long');

/** `text` arriving in chunks of `size` bytes (cutting lines, CRLFs and UTF-8 sequences anywhere). */
async function* inChunks(text: string, size: number): AsyncGenerator<Buffer> {
  const b = Buffer.from(text);
  for (let at = 0; at < b.length; at += size) yield b.subarray(at, at + size);
}

async function cut(text: string, size: number, max = 1 << 20): Promise<string[]> {
  const out: string[] = [];
  for await (const s of stanzaBuffers(inChunks(text, size), max, tooLong)) out.push(s.toString('utf8'));
  return out;
}

/** Stanzas as parseDeb822 reads the whole text. */
const whole = (text: string) => parseDeb822(text);

// Stanza texts that take each branch of deb822 (Debian Policy 5.1) as parseDeb822 reads it.
const CASES = [
  'Package: jq\nVersion: 1.6-2.1\nArchitecture: amd64\nDescription: lightweight\n and flexible\n .\n JSON',
  'package: lower\nVERSION: 2\nArchitecture:   all  ',
  'Package: crlf\r\nVersion: 1\r\nSHA256: AB\r\nSize: 12',
  '# a comment\nPackage: commented\n# inside\nVersion: 3\n continuation after a comment',
  'garbage line without a colon\n: no name\nPackage: garbage\nVersion: 4',
  'Package: twice\nVersion: 1\nVersion: 2\nArchitecture: amd64',
  'Package: ünïcode\nVersion: 1\nMaintainer: Jörg Müller <j@example.org>\nDescription: \u00a0spaced\u00a0',
  'Package: tabs\nVersion:\t5\t\nDepends: a,\n\tb',
  'Package: nbsp-line\nVersion: 6\n\u00a0\nArchitecture: arm64',
  'Version: 7\nArchitecture: amd64',
  ' leading continuation\nPackage: lead\nVersion: 8',
];

describe('stanzaBuffers: deb822 cut at blank lines as bytes arrive', () => {
  const text = [
    '\n\n',
    ...CASES.slice(0, 8).map((c, i) => c + ['\n\n', '\r\n\r\n', '\n \t\n\n', '\n\t\n'][i % 4]),
    'Package: last\nVersion: 9\n',
  ].join('');

  for (const size of [1, 2, 3, 7, 64, 1 << 16])
    it(`cuts as parseDeb822 does whatever the chunk size (${size} bytes)`, async () => {
      const got = await cut(text, size);
      expect(got.map((s) => parseDeb822(s)[0])).toEqual(whole(text));
    });

  it('keeps a stanza that ends the input without a blank line, and nothing for trailing whitespace', async () => {
    expect(await cut('Package: a\nVersion: 1\n\nPackage: b', 3)).toEqual(['Package: a\nVersion: 1', 'Package: b']);
    expect(await cut('Package: a\n\n \n\t\n', 5)).toEqual(['Package: a']);
    expect(await cut('', 5)).toEqual([]);
  });

  it('refuses a stanza longer than the limit, also one that never ends', async () => {
    await expect(cut(`Package: a\n${'x: y\n'.repeat(100)}\n`, 7, 200)).rejects.toThrow('too long');
    await expect(cut('y'.repeat(10_000), 100, 1000)).rejects.toThrow('too long');
    expect(await cut(`Package: a\n${'x: y\n'.repeat(10)}\n`, 7, 200)).toHaveLength(1);
  });
});

describe('stanzaFields, stanzaIdentity and ownStanza read a stanza as parseDeb822 does', () => {
  for (const c of CASES)
    it(`${JSON.stringify(c.slice(0, 40))}…`, () => {
      const b = Buffer.from(c);
      const want = whole(c)[0] ?? new Map<string, string>();
      const only = ['package', 'version', 'architecture', 'depends', 'description', 'sha256', 'size', 'maintainer'];
      const picked = new Map([...want].filter(([k]) => only.includes(k)));
      expect(stanzaFields(b, only)).toEqual(picked);
      expect(ownStanza(b)).toEqual(whole(c)[0]);
      const id = stanzaIdentity(b);
      if (!want.get('package') || !want.get('version')) expect(id).toBeUndefined();
      else expect(id).toEqual({ name: want.get('package'), version: want.get('version'), architecture: want.get('architecture') ?? 'all' });
    });
});
