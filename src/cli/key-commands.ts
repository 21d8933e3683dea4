import { constants, promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { FerryError } from '../core/errors.js';
import { type GlobalFlags, openSession } from './output.js';

/** `ferry key generate --out NAME`: an Ed25519 key pair for signing bundles (docs/security.md). */
export function registerKeyCommands(program: Command): void {
  const key = program.command('key').description('signing keys for bundles');
  key
    .command('generate')
    .description('write an Ed25519 key pair: NAME.key (private, mode 0600) and NAME.pub (public), both PEM')
    .requiredOption('--out <name>', 'path and base name of the two files')
    .action(async (o: { out: string }) => {
      const { generateSigningKey } = await import('../trust/bundle-signature.js');
      const s = openSession(program.opts<GlobalFlags>());
      const base = resolve(o.out.replace(/\.(key|pub)$/, ''));
      const pair = generateSigningKey();
      const write = async (path: string, body: string, mode: number) => {
        try {
          // O_EXCL: never overwrite a key; the mode is set at creation, so the private key is never readable by others.
          const h = await fs.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
          try {
            await h.writeFile(body);
          } finally {
            await h.close();
          }
        } catch (err) {
          throw new FerryError(
            (err as NodeJS.ErrnoException).code === 'EEXIST' ? 'USAGE' : 'IO_ERROR',
            `cannot write ${path}: ${(err as Error).message}`,
            { path },
          );
        }
      };
      await write(`${base}.key`, pair.privatePem, 0o600);
      await write(`${base}.pub`, pair.publicPem, 0o644);
      s.done(
        { ok: true, privateKey: `${base}.key`, publicKey: `${base}.pub`, fingerprint: pair.fingerprint },
        `wrote ${base}.key (private, 0600) and ${base}.pub\nfingerprint ${pair.fingerprint}`,
      );
    });
}
