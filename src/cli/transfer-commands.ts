import { resolve } from 'node:path';
import type { Command } from 'commander';
import { FerryError } from '../core/errors.js';
import { signalEndsCommand } from './abort.js';
import { type GlobalFlags, formatBytes, openSession, plural } from './output.js';
import { type TrustFlags, verifyBeforeActing } from './verify-first.js';

/** `ferry bundle diff` and `ferry bundle serve` (docs/transfer.md). */
export function registerTransferCommands(bundle: Command, globals: () => GlobalFlags): void {
  bundle
    .command('diff')
    .description('what changed between two bundles: artifacts added, removed, changed, and the bytes to carry')
    .argument('<old>', 'the bundle the enclave has')
    .argument('<new>', 'the new bundle')
    .action(async (oldPath: string, newPath: string) => {
      const { diffBundles } = await import('../diff/diff-bundles.js');
      const s = openSession(globals());
      const d = await diffBundles(resolve(oldPath), resolve(newPath));
      const line = (sign: string, c: { kind: string; name: string; old?: string; new?: string }) =>
        `  ${sign} ${c.kind} ${c.name}${c.old && c.new ? ` ${c.old} → ${c.new}` : ` ${c.new ?? c.old}`}`;
      const text = [
        `${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed, ${d.unchanged} unchanged`,
        ...d.added.map((c) => line('+', c)),
        ...d.removed.map((c) => line('-', c)),
        ...d.changed.map((c) => line('~', c)),
        `bytes to carry: ${formatBytes(d.bytesToCarry)} in ${plural(d.newBlobs, 'new blob')} (of ${formatBytes(d.newBytes)} in the new bundle)`,
      ].join('\n');
      s.done({ ok: true, ...d }, text);
    });

  bundle
    .command('serve')
    .description('serve the bundle as a read-only OCI registry (pull API), for bootstrapping before any registry exists')
    .argument('<bundle>', 'bundle file')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:5000')
    .option('--key <pub>', 'public key (PEM) the bundle must be signed with')
    .option('--require-signature', 'refuse a bundle not signed by --key')
    .option('--no-verify', 'serve without verifying the bundle first (logged)')
    .action(async (path: string, o: TrustFlags & { listen: string }) => {
      const { serveBundle } = await import('../serve/serve-bundle.js');
      const s = openSession(globals());
      const m = /^(.*):(\d+)$/.exec(o.listen);
      if (!m) throw new FerryError('USAGE', `--listen ${o.listen}: expected HOST:PORT`);
      await verifyBeforeActing(resolve(path), o, s.renderer.sink, 'serving', s.signal);
      const served = await serveBundle({
        bundlePath: resolve(path),
        host: (m[1] as string).replace(/^\[|\]$/g, ''),
        port: Number(m[2]),
        events: s.renderer.sink,
      });
      process.stderr.write(`serving ${path} at ${served.url} (read-only): ${served.repositories.join(', ')}\nstop with Ctrl-C\n`);
      // Ctrl-C is how serve ends: the interrupt aborts the session's signal, and serve stops cleanly (exit 0).
      signalEndsCommand();
      await new Promise<void>((done) => {
        const stop = () => void served.close().then(done);
        if (s.signal.aborted) stop();
        else s.signal.addEventListener('abort', stop, { once: true });
      });
      s.done({ ok: true, url: served.url }, 'stopped');
    });
}
