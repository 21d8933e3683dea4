import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { onCleanup } from './cleanup.js';

const run = promisify(execFile);

/** A signing key made by real gpg in its own GNUPGHOME, for archive fixtures. */
export interface GpgKey {
  home: string;
  fingerprint: string;
  publicBinary: Buffer;
  publicArmored: Buffer;
  /** Writes InRelease (clearsigned) and Release.gpg (detached, armoured) beside a Release file. */
  signRelease(releasePath: string, dir: string): Promise<void>;
  /** Stops the gpg-agent gpg started for this home (`gpgconf --kill all`) and removes the home. */
  stop(): Promise<void>;
}

export async function makeGpgKey(name: string, opts: { expire?: string } = {}): Promise<GpgKey> {
  const home = mkdtempSync(join(tmpdir(), 'ferry-gpg-'));
  // gpg starts a gpg-agent daemon for the home on first use; it outlives gpg, so it is stopped with the key (and by
  // the per-file cleanup when a test forgets).
  const stop = async () => {
    unregister();
    await run('gpgconf', ['--homedir', home, '--kill', 'all']).catch(() => undefined);
    // gpgconf returns once the agent has been asked to go, not once it has gone: wait for it (a machine under load
    // can take a while), and end it with SIGTERM if it lingers, so whoever checks for leftovers right after finds none.
    await agentsGone(home);
    rmSync(home, { recursive: true, force: true });
  };
  const unregister = onCleanup(stop);
  const gpg = (args: string[]) =>
    run('gpg', ['--homedir', home, '--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], {
      maxBuffer: 16 << 20,
    });
  const params = join(home, 'params');
  writeFileSync(
    params,
    `%no-protection\nKey-Type: eddsa\nKey-Curve: ed25519\nKey-Usage: sign\nName-Real: ${name}\nName-Email: ${name.replace(/\W+/g, '.')}@ferry.invalid\nExpire-Date: ${opts.expire ?? '0'}\n%commit\n`,
  );
  await gpg(['--gen-key', params]);
  const { stdout } = await gpg(['--with-colons', '--list-keys']);
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(stdout)?.[1] as string;
  await gpg(['--output', join(home, 'pub.gpg'), '--export', fingerprint]);
  await gpg(['--armor', '--output', join(home, 'pub.asc'), '--export', fingerprint]);
  return {
    home,
    fingerprint,
    publicBinary: readFileSync(join(home, 'pub.gpg')),
    publicArmored: readFileSync(join(home, 'pub.asc')),
    async signRelease(releasePath: string, dir: string) {
      await gpg(['--local-user', fingerprint, '--digest-algo', 'SHA256', '--clearsign', '--output', join(dir, 'InRelease'), releasePath]);
      await gpg([
        '--local-user',
        fingerprint,
        '--digest-algo',
        'SHA256',
        '--armor',
        '--detach-sign',
        '--output',
        join(dir, 'Release.gpg'),
        releasePath,
      ]);
    },
    stop,
  };
}

/** Processes whose command line runs with `--homedir <home>` (the gpg-agent of that home). */
function agentsOf(home: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv.some((a, i) => a === '--homedir' && argv[i + 1] === home)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function agentsGone(home: string): Promise<void> {
  const end = Date.now() + 5000;
  for (let pids = agentsOf(home); pids.length > 0; pids = agentsOf(home)) {
    if (Date.now() > end - 2000)
      for (const pid of pids)
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          /* gone */
        }
    if (Date.now() > end) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
