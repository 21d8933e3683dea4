import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { onCleanup } from './cleanup.js';
import { helm } from './helm.js';

const run = promisify(execFile);

/**
 * An RSA signing key made by real gpg (Helm signs with the legacy binary secret keyring `gpg --export-secret-keys`
 * writes), and charts packaged and signed by real `helm package --sign`.
 */
export interface ChartSigner {
  dir: string;
  fingerprint: string;
  /** Binary public keyring (`gpg --export`), what `helm verify --keyring` takes. */
  pubring: string;
  /** Packages a minimal chart `name` `version` into `out`, signed: returns the .tgz path (the .prov is beside it). */
  packageSigned(name: string, version: string, out: string): string;
  stop(): Promise<void>;
}

export async function makeChartSigner(uid = 'Test <t@example.com>'): Promise<ChartSigner> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-helm-sign-'));
  const home = join(dir, 'gnupg');
  mkdirSync(home, { mode: 0o700 });
  const stop = async () => {
    unregister();
    await run('gpgconf', ['--homedir', home, '--kill', 'all']).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  const unregister = onCleanup(stop);
  const gpg = (args: string[]) =>
    run('gpg', ['--homedir', home, '--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], {
      maxBuffer: 16 << 20,
      encoding: 'buffer',
    });
  await gpg(['--quick-gen-key', uid, 'rsa2048', 'sign', 'never']);
  const listed = (await gpg(['--with-colons', '--list-keys'])).stdout.toString('utf8');
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(listed)?.[1] as string;
  const secring = join(dir, 'secring.gpg');
  const pubring = join(dir, 'pubring.gpg');
  writeFileSync(secring, (await gpg(['--export-secret-keys'])).stdout);
  writeFileSync(pubring, (await gpg(['--export'])).stdout);
  const name = uid.replace(/ <.*$/, '');
  return {
    dir,
    fingerprint,
    pubring,
    packageSigned(chart: string, version: string, out: string) {
      const src = join(dir, 'src', chart);
      mkdirSync(join(src, 'templates'), { recursive: true });
      writeFileSync(join(src, 'Chart.yaml'), `apiVersion: v2\nname: ${chart}\nversion: ${version}\ntype: application\n`);
      writeFileSync(
        join(src, 'templates', 'deploy.yaml'),
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: "{{ .Values.image }}"\n',
      );
      writeFileSync(join(src, 'values.yaml'), 'image: registry.example/app:1.0\n');
      mkdirSync(out, { recursive: true });
      helm(['package', '--sign', '--key', name, '--keyring', secring, '--destination', out, src]);
      return join(out, `${chart}-${version}.tgz`);
    },
    stop,
  };
}
