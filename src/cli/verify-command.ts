import { resolve } from 'node:path';
import type { Command } from 'commander';
import { FerryError } from '../core/errors.js';
import { type GlobalFlags, openSession } from './output.js';
import { renderVerify } from './render.js';
import { writeAuditReport } from './report-output.js';
import { type TrustFlags, checkPolicy, gateBundleFile, verifyOptions } from './verify-first.js';

/**
 * `ferry bundle verify`: integrity (SHA256SUMS, lock, layout, the bundle signature with --key), the validation gate,
 * and with `--policy MANIFEST` the images' carried signatures against its spec.signatures (docs/supply-chain.md).
 */
export function registerVerifyCommand(bundle: Command, globals: () => GlobalFlags): void {
  bundle
    .command('verify')
    .description(
      'check every byte of a bundle against its SHA256SUMS, lock and OCI layout (exit 3 when damaged); image signatures only with --policy',
    )
    .argument('<bundle>', 'bundle file')
    .option('--key <pub>', 'public key (PEM) the bundle must be signed with')
    .option('--require-signature', 'fail unless the bundle is signed by the --key key')
    .option(
      '--policy <manifest>',
      "also check the images' carried signatures against spec.signatures of this bundle manifest, offline (without it, image signatures are not checked)",
    )
    .option('--report <file>', 'also write the checksum audit report (.json, .md or .html)')
    .action(async (path: string, o: TrustFlags & { report?: string; policy?: string }) => {
      const { verifyBundle } = await import('../verify/verify-bundle.js');
      const s = openSession(globals());
      const opts = await verifyOptions(o, s.renderer.sink, s.signal);
      const r = await verifyBundle(resolve(path), opts);
      // Intact is not enough: a self-consistent bundle may still carry names stage or push would refuse.
      if (r.ok) await gateBundleFile(resolve(path));
      // Signatures are checked only on an intact bundle: its bytes are then the ones pulled.
      const policy = o.policy && r.ok ? await checkPolicy(resolve(path), resolve(o.policy)) : undefined;
      if (o.report) await writeAuditReport(path, r, o.report, undefined, undefined, policy?.record);
      if (policy?.error) throw policy.error;
      s.done(
        {
          ok: r.ok,
          entries: r.entries,
          bytes: r.bytes,
          problems: r.problems,
          signature: r.signature,
          ...(policy ? { signatures: policy.record } : {}),
        },
        [renderVerify(path, r), ...(policy?.lines ?? [])].join('\n'),
      );
      if (!r.ok) throw new FerryError('INTEGRITY_FAILED', `${path}: ${r.problems.length} integrity problems`, { reported: true });
    });
}
