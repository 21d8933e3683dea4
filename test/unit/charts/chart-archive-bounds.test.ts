import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { END_OF_ARCHIVE, encodeFileHeader, padding } from '../../../src/bundle/tar-format.js';
import { MAX_CHART_FILE, readChartArchive } from '../../../src/kinds/chart/chart-archive.js';

const tar = (files: [string, Buffer][]) =>
  Buffer.concat([...files.flatMap(([n, b]) => [encodeFileHeader(n, b.length), b, padding(b.length)]), END_OF_ARCHIVE]);
const chartYaml = Buffer.from('apiVersion: v2\nname: bomb\nversion: 1.0.0\n');

describe("chart archives are inflated within Helm's limits", () => {
  it('a small well-formed chart still reads', () => {
    const c = readChartArchive(
      gzipSync(
        tar([
          ['bomb/Chart.yaml', chartYaml],
          ['bomb/values.yaml', Buffer.from('a: 1\n')],
        ]),
      ),
      'chart bomb',
    );
    expect(c.meta.name).toBe('bomb');
    expect(c.values).toEqual({ a: 1 });
  });

  it('refuses a values.yaml over 5 MiB (a 6 MiB file compressed to a few KB)', () => {
    const tgz = gzipSync(
      tar([
        ['bomb/Chart.yaml', chartYaml],
        ['bomb/values.yaml', Buffer.alloc(MAX_CHART_FILE + (1 << 20), 0x20)],
      ]),
    );
    expect(tgz.length).toBeLessThan(64 << 10);
    expect(() => readChartArchive(tgz, 'chart bomb')).toThrow(
      expect.objectContaining({
        code: 'CHART_INVALID',
        message: 'chart bomb bomb/values.yaml is 6291456 bytes, more than the 5242880 bytes (5 MiB) Helm loads of one chart file',
      }),
    );
  });

  it('refuses a chart whose archives inflate past 100 MiB in all, counting nested subchart archives', () => {
    const filler = Buffer.alloc(4 << 20, 0x20);
    const sub = gzipSync(
      tar([
        ['sub/Chart.yaml', Buffer.from('apiVersion: v2\nname: sub\nversion: 1.0.0\n')],
        ...Array.from({ length: 20 }, (_, i) => [`sub/templates/f${i}.yaml`, filler] as [string, Buffer]),
      ]),
      { level: 9 },
    );
    const tgz = gzipSync(
      tar([['bomb/Chart.yaml', chartYaml], ...Array.from({ length: 6 }, (_, i) => [`bomb/charts/sub${i}.tgz`, sub] as [string, Buffer])]),
      { level: 9 },
    );
    expect(tgz.length).toBeLessThan(2 << 20);
    expect(() => readChartArchive(tgz, 'chart bomb')).toThrow(
      /inflates past 104857600 bytes \(100 MiB, subcharts included\), more than Helm loads/,
    );
  });
});
