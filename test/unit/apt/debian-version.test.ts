import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compareDebianVersions, satisfiesVersion } from '../../../src/kinds/apt/debian-version.js';
import { requireTools } from '../../helpers/tools.js';

/** A large table of versions built from the parts that matter: epochs, tildes, letters, zeros, revisions. */
function generatedVersions(): string[] {
  const epochs = ['', '1:', '2:'];
  const ups = [
    '1.0',
    '1.0~rc1',
    '1.0~~',
    '1.0~',
    '1.0a',
    '1.0+',
    '1.0.',
    '1.01',
    '1.1',
    '1.00',
    '1.0+dfsg',
    '1.0~beta2',
    '10',
    '9',
    '1',
    '0.9~',
    'a1',
    '1.0-1.0',
    '7.81.0',
    '1.2.3',
  ];
  const revs = ['', '-0', '-1', '-1~bpo1', '-1ubuntu1.15', '-1ubuntu1.4', '-0ubuntu0.22.04.1', '-10+deb12u1', '-1+b1', '-a'];
  const out: string[] = [];
  for (const e of epochs) for (const u of ups) for (const r of revs) out.push(`${e}${u}${r}`);
  return out;
}

describe('Debian version comparison', () => {
  it('matches the documented vectors', () => {
    const lt = (a: string, b: string) => expect(compareDebianVersions(a, b), `${a} < ${b}`).toBeLessThan(0);
    const eq = (a: string, b: string) => expect(compareDebianVersions(a, b), `${a} = ${b}`).toBe(0);
    lt('1.0~rc1', '1.0');
    lt('1.0~~', '1.0~');
    lt('1.0~', '1.0');
    eq('1.0', '1.0-0');
    eq('0:1.0', '1.0');
    eq('1.01', '1.1');
    lt('2.0', '1:0.1');
    lt('1.0a', '1.0+');
    lt('1.0', '1.0.');
    lt('1.0-1', '1.0+1');
    lt('1.0-1~bpo1', '1.0-1');
    lt('7.81.0-1ubuntu1.4', '7.81.0-1ubuntu1.15');
    lt('1.2.3-0ubuntu0.22.04.1', '1.2.3-0ubuntu1');
    expect(satisfiesVersion('1.6-2', '>=', '1.6')).toBe(true);
    expect(satisfiesVersion('1.6~rc1', '>=', '1.6')).toBe(false);
    expect(satisfiesVersion('1.5', '<<', '1.6')).toBe(true);
    expect(satisfiesVersion('1.6', '<', '1.6')).toBe(true); // legacy < means <=
  });

  it.runIf(requireTools('dpkg'))(
    'agrees with dpkg --compare-versions on every pair of a generated table',
    async () => {
      const versions = generatedVersions(); // 600 versions
      // Sorting with our comparison, then checking each neighbour pair and a sample of far pairs with dpkg, covers the
      // order without 360,000 dpkg calls: if neighbours agree and the sort is consistent, the order is dpkg's.
      const sorted = [...versions].sort(compareDebianVersions);
      const pairs: [string, string][] = [];
      for (let i = 1; i < sorted.length; i++) pairs.push([sorted[i - 1] as string, sorted[i] as string]);
      for (let i = 0; i < 400; i++)
        pairs.push([versions[(i * 7919) % versions.length] as string, versions[(i * 104729 + 13) % versions.length] as string]);
      const script = pairs
        .map(
          ([a, b]) =>
            `if dpkg --compare-versions '${a}' lt '${b}'; then echo lt; elif dpkg --compare-versions '${a}' eq '${b}'; then echo eq; else echo gt; fi`,
        )
        .join('\n');
      const child = execFile('sh', ['-s'], { maxBuffer: 16 << 20 });
      const stdout = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`sh exited ${code}`))));
        child.stdin?.end(script);
      });
      const dpkg = stdout.trim().split('\n');
      const ours = pairs.map(([a, b]) => {
        const c = compareDebianVersions(a, b);
        return c < 0 ? 'lt' : c === 0 ? 'eq' : 'gt';
      });
      const disagreements = pairs.flatMap(([a, b], i) => (dpkg[i] === ours[i] ? [] : [`${a} vs ${b}: dpkg ${dpkg[i]}, ferry ${ours[i]}`]));
      expect(disagreements).toEqual([]);
      expect(pairs.length).toBeGreaterThan(900);
    },
    120_000,
  );
});
