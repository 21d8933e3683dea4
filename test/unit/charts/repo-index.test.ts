import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { indexEntriesFor } from '../../../src/charts/repo-index.js';

const entry = (name: string, version: string) => ({ apiVersion: 'v2', name, version, digest: 'a'.repeat(64), urls: [`${name}-${version}.tgz`], annotations: { 'x/y': 'multi\nline' } });
const doc = {
  apiVersion: 'v1',
  entries: { alpha: [entry('alpha', '1.0.0')], 'kube-prometheus-stack': [entry('kube-prometheus-stack', '61.4.0'), entry('kube-prometheus-stack', '61.3.2')], zeta: [entry('zeta', '2.0.0')] },
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
