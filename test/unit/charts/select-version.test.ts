import { describe, expect, it } from 'vitest';
import { imageMatches } from '../../../src/kinds/chart/image-patterns.js';
import { selectChartVersion, tagToVersion, versionToTag } from '../../../src/kinds/chart/select-version.js';
import { chartUrl } from '../../../src/kinds/chart/chart-fetcher.js';

const versions = ['62.0.0-rc.1', '61.4.0', '61.3.2', '61.3.2+build.1', '60.0.0', '1.2.3'];

describe('chart versions, URLs and image patterns', () => {
  it('exact first, then the highest match of a Helm constraint, prereleases only when asked', () => {
    expect(selectChartVersion(versions, '61.3.2')).toBe('61.3.2');
    expect(selectChartVersion(versions, 'v60.0.0')).toBe('60.0.0');
    expect(selectChartVersion(versions, '^61.0.0')).toBe('61.4.0');
    expect(selectChartVersion(versions, '~61.3')).toBe('61.3.2');
    expect(selectChartVersion(versions, '>=60.0.0, <61.0.0')).toBe('60.0.0');
    expect(selectChartVersion(versions, '61.x')).toBe('61.4.0');
    expect(selectChartVersion(versions, '>=61.0.0')).toBe('61.4.0');
    expect(selectChartVersion(versions, '>=62.0.0-0')).toBe('62.0.0-rc.1');
    expect(selectChartVersion(versions, '^70')).toBeUndefined();
    expect(selectChartVersion(versions, 'not a range')).toBeUndefined();
  });

  it('maps + to _ in OCI tags and back', () => {
    expect(versionToTag('61.3.2+build.1')).toBe('61.3.2_build.1');
    expect(tagToVersion('61.3.2_build.1')).toBe('61.3.2+build.1');
  });

  it('resolves chart URLs as Helm does: relative to the repository with a trailing slash, query carried over', () => {
    expect(chartUrl('https://charts.example/stable', 'a-1.0.0.tgz')).toBe('https://charts.example/stable/a-1.0.0.tgz');
    expect(chartUrl('https://charts.example/stable?token=x', 'pkg/a-1.0.0.tgz')).toBe(
      'https://charts.example/stable/pkg/a-1.0.0.tgz?token=x',
    );
    expect(chartUrl('https://charts.example/stable', 'https://github.com/o/r/releases/download/a-1.0.0/a-1.0.0.tgz')).toBe(
      'https://github.com/o/r/releases/download/a-1.0.0/a-1.0.0.tgz',
    );
  });

  it('excludeImages patterns: a repository (any tag), a familiar name, a wildcard', () => {
    expect(imageMatches('docker.io/bats/bats:v1.4.1', 'docker.io/bats/bats')).toBe(true);
    expect(imageMatches('docker.io/bats/bats:v1.4.1', 'bats/bats')).toBe(true);
    expect(imageMatches('docker.io/bats/bats-core:1', 'bats/bats')).toBe(false);
    expect(imageMatches('quay.io/thanos/thanos:v0.35.1', 'quay.io/thanos/*')).toBe(true);
    expect(imageMatches('docker.io/grafana/grafana:11.1.1', 'grafana/grafana:11.1.0')).toBe(false);
    expect(imageMatches('docker.io/grafana/grafana:11.1.0', 'grafana/grafana:11.1.0')).toBe(true);
  });
});
