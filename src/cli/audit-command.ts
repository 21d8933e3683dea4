import { resolve } from 'node:path';
import type { Command } from 'commander';
import { FerryError } from '../core/errors.js';
import { connectionOptions } from './options.js';
import type { ConnectionFlags } from './connection-flags.js';
import { type GlobalFlags, openSession } from './output.js';
import { writeAuditReport } from './report-output.js';
import { formatCounts } from './render.js';
import { bundleCountsOfFile } from '../lock/counts.js';
import { type TrustFlags, checkPolicy, gateBundleFile, verifyOptions } from './verify-first.js';

/** `ferry bundle audit`: the checksum audit report (docs/security.md), optionally with every tag read back. */
export function registerAuditCommand(bundle: Command, globals: () => GlobalFlags): void {
  connectionOptions(
    bundle
      .command('audit')
      .description('write the checksum audit report: every artifact, who vouched for it, expected and computed sha256')
      .argument('<bundle>', 'bundle file')
      .requiredOption('-o, --output <file>', 'report file')
      .option('--format <format>', 'json, md or html (default: from the file name)')
      .option('--key <pub>', 'public key (PEM) the bundle must be signed with')
      .option('--require-signature', 'count a bundle not signed by --key as a failure')
      .option(
        '--policy <manifest>',
        'check the images\' carried signatures against spec.signatures of this bundle manifest (else the report shows what pull recorded, or "not checked")',
      )
      .option('--registry <host[:port][/prefix]>', 'also read every tag back from this registry (as pushed there)')
      .option('--username <user>', 'registry user (password from --password-stdin)')
      .option('--password-stdin', 'read the registry password from standard input'),
  ).action(
    async (
      path: string,
      o: ConnectionFlags &
        TrustFlags & { output: string; format?: string; registry?: string; username?: string; passwordStdin?: boolean; policy?: string },
    ) => {
      const { verifyBundle } = await import('../verify/verify-bundle.js');
      const s = openSession(globals());
      // Flags first: a bad --registry (credentials in it) is a usage error before a long verify pass.
      const { buildRegistryClient } = await import('./context.js');
      const { connectionFor, loginFrom } = await import('./connection-flags.js');
      const target = o.registry ? (await import('../registry/push-target.js')).parsePushTarget(o.registry) : undefined;
      const connection = target ? connectionFor(target, o) : o;
      if (!target && (o.username || o.passwordStdin))
        throw new FerryError('USAGE', '--username and --password-stdin need --registry HOST[:PORT]');
      const login = target ? await loginFrom(target.registry, o.username, o.passwordStdin) : undefined;
      const opts = await verifyOptions(o, s.renderer.sink, s.signal);
      const verified = await verifyBundle(resolve(path), opts);
      // The report names every artifact: a bundle whose names break their grammar gets no report that repeats them.
      if (verified.ok) await gateBundleFile(resolve(path));
      // A failed signature check is a failed row of the report (exit 3), not an error without one.
      const policy = o.policy && verified.ok ? await checkPolicy(resolve(path), resolve(o.policy)) : undefined;
      let registry;
      if (target) {
        const client = buildRegistryClient(connection, s.renderer.sink, undefined, login, s.signal);
        try {
          registry = { host: target.registry, tags: await readBackTags(resolve(path), target, client) };
        } finally {
          await client.close();
        }
      }
      const report = await writeAuditReport(path, verified, o.output, o.format, registry, policy?.record);
      const t = report.totals;
      // The bundle's contents in the words every command uses; the rows (one per checked artifact) follow.
      const counts = verified.ok ? formatCounts(await bundleCountsOfFile(resolve(path))) : undefined;
      const text = `${t.failed === 0 && t.problems === 0 ? 'PASS' : 'FAIL'}: ${counts ? `${counts}; ` : ''}${t.artifacts} artifacts, ${t.ok} ok, ${t.failed} failed${t.registryChecked !== undefined ? `; ${t.registryChecked} registry tags read back, ${t.registryFailed} differ` : ''}\nreport ${o.output}`;
      s.done({ ok: t.failed === 0 && t.problems === 0, totals: t, report: o.output }, text);
      if (t.failed > 0 || t.problems > 0) throw new FerryError('INTEGRITY_FAILED', text, { reported: true });
    },
  );
}

export async function readBackTags(
  bundlePath: string,
  target: import('../registry/push-target.js').PushTarget,
  client: import('../registry/client.js').RegistryClient,
) {
  const { BundleReader } = await import('../bundle/reader.js');
  const { confirmTags } = await import('../report/confirm-tags.js');
  const reader = await BundleReader.open(bundlePath);
  try {
    return await confirmTags(reader, target, client);
  } finally {
    await reader.close();
  }
}
