import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { indexEntriesFor } from '../../../src/kinds/chart/repo-index.js';

const entry = (name: string, version: string) => ({
  apiVersion: 'v2',
  name,
  version,
  digest: 'a'.repeat(64),
  urls: [`${name}-${version}.tgz`],
  annotations: { 'x/y': 'multi\nline' },
});
const doc = {
  apiVersion: 'v1',
  entries: {
    alpha: [entry('alpha', '1.0.0')],
    'kube-prometheus-stack': [entry('kube-prometheus-stack', '61.4.0'), entry('kube-prometheus-stack', '61.3.2')],
    zeta: [entry('zeta', '2.0.0')],
  },
  generated: '2026-11-25T00:00:00Z',
};

describe('index.yaml entries for one chart', () => {
  it('cuts the chart block out of a Helm-layout index and reads the same entries as a full parse', () => {
    const text = stringify(doc, { indentSeq: false }); // Helm's layout: list items at the key's indentation
    expect(text).toContain('\n  kube-prometheus-stack:\n  - ');
    for (const name of ['alpha', 'kube-prometheus-stack', 'zeta']) {
      expect(indexEntriesFor(text, name)).toEqual((parse(text) as typeof doc).entries[name as 'alpha']);
    }
    expect(indexEntriesFor(text, 'kube-prometheus')).toBeUndefined();
  });

  it('falls back to the whole document for other layouts (indented lists, JSON)', () => {
    expect(indexEntriesFor(stringify(doc), 'zeta')).toEqual(doc.entries.zeta);
    expect(indexEntriesFor(JSON.stringify(doc), 'kube-prometheus-stack')).toEqual(doc.entries['kube-prometheus-stack']);
  });
});

describe('index.yaml: what is parsed as YAML is bounded', () => {
  it("refuses to parse whole a 20 MB index that is not in Helm's layout, and a chart block over the limit", () => {
    const big = JSON.stringify({
      apiVersion: 'v1',
      entries: { zeta: Array.from({ length: 100_000 }, (_, i) => entry('zeta', `1.0.${i}`)) },
    });
    expect(big.length).toBeGreaterThan(16 << 20);
    expect(() => indexEntriesFor(big, 'zeta')).toThrow(
      /it is \d+ characters and not in Helm's layout, more than the 16777216 ferry parses as YAML at once/,
    );
    // Helm's layout, written by hand (the yaml library takes seconds to write this much).
    const helm = `apiVersion: v1\nentries:\n  zeta:\n${Array.from({ length: 100_000 }, (_, i) => `  - name: zeta\n    version: 1.0.${i}\n    description: ${'d'.repeat(60)}\n    digest: ${'a'.repeat(64)}\n    urls:\n    - zeta-1.0.${i}.tgz\n`).join('')}generated: "2026-11-25T00:00:00Z"\n`;
    expect(() => indexEntriesFor(helm, 'zeta')).toThrow(/its zeta entry is \d+ characters, more than the 16777216/);
    // A small chart's block out of the same huge index is still read.
    const mixed = helm.replace(
      'entries:\n',
      `entries:\n  alpha:\n  - version: 1.0.0\n    digest: ${'a'.repeat(64)}\n    urls:\n    - alpha-1.0.0.tgz\n`,
    );
    expect(indexEntriesFor(mixed, 'alpha')).toEqual([{ version: '1.0.0', digest: 'a'.repeat(64), urls: ['alpha-1.0.0.tgz'] }]);
  });
});
