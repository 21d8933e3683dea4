import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FerryEvent } from '../../src/core/events.js';
import { pushBundle } from '../../src/push/push-bundle.js';
import { parsePushTarget } from '../../src/registry/push-target.js';
import { RegistryClient } from '../../src/registry/client.js';
import { staticCredentials } from '../../src/registry/credentials.js';
import { type StandardFixtures, buildStandardFixtures, seedStandardFixtures } from '../helpers/standard-fixtures.js';
import { type TestRegistry, startRegistry } from '../helpers/registry.js';
import { requireTools } from '../helpers/tools.js';
import { pull, run, scratch, writeManifest } from './ferry-env.js';

const ok = requireTools('docker-registry', 'htpasswd', 'skopeo');

describe.runIf(ok)('bundle push to a real registry with htpasswd auth', () => {
  let up: TestRegistry;
  let f: StandardFixtures;
  let bundle: string;

  beforeAll(async () => {
    up = await startRegistry();
    f = await buildStandardFixtures();
    await seedStandardFixtures(up, f);
    const dir = scratch();
    const manifest = writeManifest(
      dir,
      `  images:\n    - alpine:3.19\n    - velero/velero:v1.9.1\n    - ref: prometheus/prometheus:v2.53.0\n      platforms: all\n    - ref: busybox:1.36\n      platforms: [linux/amd64, linux/arm64]\n    - team/app-a:1\n    - team/app-b:1\n`,
    );
    bundle = (await pull(manifest, join(dir, 'b.tar'), [['docker.io', up.url]])).result.bundle;
  });
  afterAll(async () => up?.stop());

  const pushTo = async (target: TestRegistry, events: FerryEvent[] = []) => {
    const client = new RegistryClient({
      plainHttp: true,
      credentials: staticCredentials(target.host, target.username as string, target.password as string),
      events: (e) => events.push(e),
    });
    try {
      return await pushBundle({
        bundlePath: bundle,
        target: parsePushTarget(`${target.host}/mirror`),
        client,
        events: (e) => events.push(e),
      });
    } finally {
      await client.close();
    }
  };

  it('round trip: every pushed digest equals the upstream digest, as skopeo reads it back', async () => {
    const down = await startRegistry({ htpasswd: { username: 'ferry', password: 's3cret-pw' } });
    try {
      const events: FerryEvent[] = [];
      const r = await pushTo(down, events);
      expect(r.images.map((i) => i.target).sort()).toEqual(
        [
          'library/alpine:3.19',
          'velero/velero:v1.9.1',
          'prometheus/prometheus:v2.53.0',
          'library/busybox:1.36',
          'team/app-a:1',
          'team/app-b:1',
        ]
          .map((n) => `${down.host}/mirror/${n}`)
          .sort(),
      );
      const digestOf = (name: string) =>
        execFileSync('skopeo', [
          'inspect',
          '--raw',
          '--tls-verify=false',
          '--creds',
          'ferry:s3cret-pw',
          `docker://${down.host}/mirror/${name}`,
        ]);
      expect(digestOf('library/alpine:3.19').equals(f.oci.manifest.data)).toBe(true);
      expect(digestOf('velero/velero:v1.9.1').equals(f.docker.manifest.data)).toBe(true);
      expect(digestOf('prometheus/prometheus:v2.53.0').equals(f.multi.manifest.data)).toBe(true);
      // skopeo can pull every platform of the upstream index (children and attestation were pushed first).
      const dest = scratch();
      execFileSync('skopeo', [
        'copy',
        '--all',
        '--src-tls-verify=false',
        '--src-creds',
        'ferry:s3cret-pw',
        `docker://${down.host}/mirror/prometheus/prometheus:v2.53.0`,
        `oci:${dest}:p`,
      ]);
      // The shared base layer went up once and was mounted into the second repository.
      const base = f.appA.layers[0]?.digest;
      const uploads = events.filter((e) => e.type === 'blob' && e.digest === base && (e.action === 'uploaded' || e.action === 'mounted'));
      expect(uploads.map((e) => (e as { action: string }).action).sort()).toEqual(['mounted', 'uploaded']);
      // Credentials never appear in events.
      expect(JSON.stringify(events)).not.toContain('s3cret-pw');

      const again: FerryEvent[] = [];
      const t0 = Date.now();
      const r2 = await pushTo(down, again);
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(r2.images.every((i) => i.upToDate)).toBe(true);
      expect(again.filter((e) => e.type === 'blob' && (e.action === 'uploaded' || e.action === 'mounted'))).toEqual([]);
    } finally {
      await down.stop();
    }
  });

  it('the CLI pushes with --username and --password-stdin, and refuses wrong credentials without echoing them', async () => {
    const down = await startRegistry({ htpasswd: { username: 'ferry', password: 'right-pw' } });
    try {
      const good = await run(
        ['bundle', 'push', bundle, '--registry', down.host, '--plain-http', '--username', 'ferry', '--password-stdin', '--no-progress'],
        { input: 'right-pw\n' },
      );
      // The only thing said on stderr is that the bundle being pushed is unsigned (it is verified first).
      expect(good.stderr).toBe('warning: the bundle is unsigned\n');
      expect(good.code).toBe(0);
      expect(good.stdout).toContain(`${down.host}/velero/velero:v1.9.1`);
      const bad = await run(
        ['bundle', 'push', bundle, '--registry', down.host, '--plain-http', '--username', 'ferry', '--password-stdin'],
        { input: 'wrong-pw-xyz\n' },
      );
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('AUTH_FAILED');
      expect(bad.stderr + bad.stdout).not.toContain('wrong-pw-xyz');
    } finally {
      await down.stop();
    }
  });

  it('--dry-run prints the plan and pushes nothing', async () => {
    const down = await startRegistry();
    try {
      const r = await run(['bundle', 'push', bundle, '--registry', `${down.host}/x`, '--plain-http', '--dry-run', '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).plan).toHaveLength(6);
      const catalog = (await (await fetch(`${down.url}/v2/_catalog`)).json()) as { repositories: string[] };
      expect(catalog.repositories).toEqual([]);
    } finally {
      await down.stop();
    }
  });
});
