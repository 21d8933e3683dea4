import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { FerryError } from '../core/errors.js';
import type { ConnectionFlags } from './connection-flags.js';
import { type GlobalFlags, openSession } from './output.js';
import { formatCounts, renderInspect, renderPull, renderPush } from './render.js';
import { type TrustFlags, privateKeyFrom, pushCheck, verifyBeforeActing } from './verify-first.js';
import { writeAuditReport } from './report-output.js';
import { readBackTags, registerAuditCommand } from './audit-command.js';
import { registerVerifyCommand } from './verify-command.js';
import { connectionOptions, parseByteSize } from './options.js';
import { registerTransferCommands } from './transfer-commands.js';
import { registerSbomCommand } from './sbom-command.js';

const defaultCache = () => process.env.FERRY_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ferry');

/**
 * Command modules are imported when a command runs, not at start-up: `verify` on the enclave side should not pay
 * for loading the HTTP stack (start-up time counts in verify throughput).
 */
export function registerBundleCommands(program: Command): void {
  const bundle = program.command('bundle').description('build, check and unload bundles');
  const globals = (): GlobalFlags => program.opts<GlobalFlags>();

  connectionOptions(
    bundle
      .command('pull')
      .description('resolve a bundle manifest, download and verify everything, and write one bundle file')
      .argument('<manifest>', 'bundle manifest (YAML)')
      .requiredOption('-o, --output <bundle.tar>', 'bundle file to write')
      .option('--lock <file>', 'pull exactly what this lock says (no re-resolution)')
      .option('--cache <dir>', 'content-addressed download cache', defaultCache())
      .option('--cache-images', 'also keep every image blob in the cache, for the next pull (a second write of each)')
      .option('--mirror <from=to>', 'send requests for a registry or URL prefix elsewhere (repeatable)', collect, [])
      .option('--config <file>', 'config file with mirrors')
      .option('--concurrency <n>', 'blob downloads in flight', toInt, 8)
      .option('--sign-key <key>', 'Ed25519 private key (PEM) to sign the bundle with (ferry key generate)')
      .option('--split <size>', 'write parts of at most this size (4G for FAT32 media): BUNDLE.000, … and BUNDLE.parts.json')
      .option('--since <base>', 'a delta: leave out what this lock or registry inventory says the enclave has')
      .option('--max-file-size <size>', 'most bytes a file download of unknown size may bring (default 8G)')
      .option(
        '--platform <platforms>',
        "os/arch[/variant][,…] or all: the platforms of every image, over the manifest's (recorded in the lock)",
      )
      .option(
        '--with-ferry <path>',
        'carry this ferry executable (ferry-<version>-linux-<arch>, its SBOM and SHA256SUMS beside it), over spec.ferry',
      )
      .option('--helm <path>', 'render charts with this Helm binary to find their images (over spec.helm.path and helm on PATH)'),
  ).action(
    async (
      manifest: string,
      o: ConnectionFlags & {
        output: string;
        lock?: string;
        cache: string;
        cacheImages?: boolean;
        mirror: string[];
        config?: string;
        concurrency: number;
        signKey?: string;
        split?: string;
        since?: string;
        maxFileSize?: string;
        platform?: string;
        withFerry?: string;
        helm?: string;
      },
    ) => {
      const { pullBundle } = await import('../pull/pull-bundle.js');
      const platforms =
        o.platform !== undefined ? (await import('../manifest/platform-override.js')).parsePlatformFlag(o.platform) : undefined;
      const { buildHttpGetter, buildMirrors, buildRegistryClient } = await import('./context.js');
      const s = openSession(globals());
      const signKey = o.signKey ? await privateKeyFrom(o.signKey) : undefined;
      const splitSize = o.split ? (await import('../bundle/parts.js')).parseSize(o.split) : undefined;
      const mirrors = await buildMirrors(o.mirror, o.config);
      const client = buildRegistryClient(o, s.renderer.sink, mirrors, undefined, s.signal);
      const r = await pullBundle({
        manifestPath: resolve(manifest),
        outPath: resolve(o.output),
        ...(o.lock ? { lockPath: resolve(o.lock) } : {}),
        cacheDir: resolve(o.cache),
        ...(o.cacheImages ? { cacheImages: true } : {}),
        client,
        http: buildHttpGetter(client, mirrors, o.maxFileSize ? { maxFileSize: parseByteSize(o.maxFileSize, '--max-file-size') } : {}),
        concurrency: o.concurrency,
        events: s.renderer.sink,
        signal: s.signal,
        ...(signKey ? { signKey } : {}),
        ...(splitSize ? { splitSize } : {}),
        ...(o.since ? { sincePath: resolve(o.since) } : {}),
        ...(platforms ? { platforms } : {}),
        ...(o.withFerry ? { withFerry: resolve(o.withFerry) } : {}),
        ...(o.helm ? { helm: resolve(o.helm) } : {}),
      });
      s.done({ ok: true, ...r }, renderPull(r));
    },
  );

  registerVerifyCommand(bundle, globals);

  bundle
    .command('inspect')
    .description('list what a bundle holds')
    .argument('<bundle>', 'bundle file')
    .action(async (path: string) => {
      const { inspectBundle } = await import('../inspect/inspect-bundle.js');
      const s = openSession(globals());
      const r = await inspectBundle(resolve(path));
      s.done(r, renderInspect(r));
    });

  connectionOptions(
    bundle
      .command('push')
      .description("push the bundle's images to a registry, straight from the bundle file")
      .argument('<bundle>', 'bundle file')
      .requiredOption('--registry <host[:port][/prefix]>', 'target registry')
      .option('--username <user>', 'registry user (password from --password-stdin)')
      .option('--password-stdin', 'read the registry password from standard input')
      .option('--dry-run', 'print the plan, push nothing')
      .option('--concurrency <n>', 'blob uploads in flight per image', toInt, 6),
  )
    .option('--key <pub>', 'public key (PEM) the bundle must be signed with')
    .option('--require-signature', 'refuse a bundle not signed by --key')
    .option('--no-verify', 'push without verifying the bundle first (logged)')
    .option('--report <file>', 'write the checksum audit report with every tag read back from the registry (.json, .md or .html)')
    .action(
      async (
        path: string,
        o: ConnectionFlags &
          TrustFlags & {
            registry: string;
            username?: string;
            passwordStdin?: boolean;
            dryRun?: boolean;
            concurrency: number;
            report?: string;
          },
      ) => {
        const { pushBundle } = await import('../push/push-bundle.js');
        const { parsePushTarget } = await import('../registry/push-target.js');
        const { buildRegistryClient } = await import('./context.js');
        const { connectionFor, loginFrom } = await import('./connection-flags.js');
        const s = openSession(globals());
        const target = parsePushTarget(o.registry);
        const connection = connectionFor(target, o);
        if (o.report && o.verify === false)
          throw new FerryError('USAGE', '--report needs the checks before the push (they are the report); drop --no-verify');
        const login = await loginFrom(target.registry, o.username, o.passwordStdin);
        const checks = o.dryRun ? undefined : await pushCheck(resolve(path), o, s.renderer.sink, s.signal);
        const client = buildRegistryClient(connection, s.renderer.sink, undefined, login, s.signal);
        const seen = o.report ? new (await import('./push-report.js')).PushedBlobs() : undefined;
        try {
          const r = await pushBundle({
            bundlePath: resolve(path),
            target,
            client,
            dryRun: o.dryRun === true,
            concurrency: o.concurrency,
            events: seen ? seen.watch(s.renderer.sink) : s.renderer.sink,
            ...(checks?.check ? { check: checks.check } : {}),
          });
          let text = renderPush(r, o.dryRun === true);
          const verified = checks?.result();
          if (verified && seen && o.report) {
            // Post-push confirmation: every tag read back from the registry, not taken from what was sent.
            const tags = await readBackTags(resolve(path), target, client);
            const upToDate = r.plan.filter((p, i) => r.images[i]?.upToDate === true && p.archive === undefined).map((p) => p.root);
            const read = await seen.complete(verified, resolve(path), upToDate);
            const report = await writeAuditReport(path, read, o.report, undefined, { host: target.registry, tags });
            text += `\nread back ${report.totals.registryChecked} tags: ${report.totals.registryFailed} differ; report ${o.report}`;
            if ((report.totals.registryFailed ?? 0) > 0)
              throw new FerryError('INTEGRITY_FAILED', `${text}\nthe registry does not serve what was pushed: see ${o.report}`);
          }
          s.done({ ok: true, ...r }, text);
        } finally {
          await client.close();
        }
      },
    );

  registerAuditCommand(bundle, globals);
  registerSbomCommand(bundle, globals);
  registerTransferCommands(bundle, globals);

  bundle
    .command('stage')
    .description('lay out node artifacts in a directory: files/, and rke2/ for install.sh with registries.yaml and a README')
    .argument('<bundle>', 'bundle file')
    .requiredOption('--dir <dir>', 'staging directory')
    .option('--registry <host[:port][/prefix]>', 'the enclave registry the nodes pull from (for RKE2 registries.yaml)')
    .option('--registry-username <user>', 'registry user the nodes authenticate as (password from --registry-password-stdin)')
    .option('--registry-password-stdin', "read that user's password from standard input")
    .option('--plain-http', 'the registry speaks plain HTTP')
    .option('--ca-file <file>', 'CA bundle (PEM) the nodes should trust for the registry; copied into rke2/')
    .option('--insecure', 'tell the nodes to skip TLS verification for the registry')
    .option('--apt-sign-key <key.asc>', 'armoured OpenPGP private key to sign the staged apt repository with')
    .option('--key <pub>', 'public key (PEM) the bundle must be signed with')
    .option('--require-signature', 'refuse a bundle not signed by --key')
    .option('--no-verify', 'stage without verifying the bundle first (logged)')
    .action(
      async (
        path: string,
        o: TrustFlags & {
          dir: string;
          aptSignKey?: string;
          registry?: string;
          registryUsername?: string;
          registryPasswordStdin?: boolean;
          plainHttp?: boolean;
          caFile?: string;
          insecure?: boolean;
        },
      ) => {
        const { stageBundle, stagingKinds } = await import('../stage/stage-bundle.js');
        const { parsePushTarget } = await import('../registry/push-target.js');
        const { connectionFor, loginFrom } = await import('./connection-flags.js');
        const s = openSession(globals());
        if ((o.registryUsername || o.caFile || o.insecure || o.plainHttp) && !o.registry)
          throw new FerryError('USAGE', 'registry options need --registry HOST[:PORT]');
        const target = o.registry ? parsePushTarget(o.registry) : undefined;
        const plainHttp = target ? connectionFor(target, o).plainHttp === true : false;
        const login = target
          ? await loginFrom(target.registry, o.registryUsername, o.registryPasswordStdin, {
              user: '--registry-username',
              password: '--registry-password-stdin',
            })
          : undefined;
        await verifyBeforeActing(resolve(path), o, s.renderer.sink, 'staging', s.signal);
        const registry = target && {
          host: target.registry,
          prefix: target.prefix,
          plainHttp,
          insecure: o.insecure === true,
          ...(o.caFile ? { caFile: resolve(o.caFile) } : {}),
          ...(login ? { username: login.username, password: login.password } : {}),
        };
        const r = await stageBundle({
          bundlePath: resolve(path),
          dir: resolve(o.dir),
          ...(registry ? { registry } : {}),
          ...(o.aptSignKey ? { aptSignKey: resolve(o.aptSignKey) } : {}),
          events: s.renderer.sink,
          signal: s.signal,
        });
        const staging = stagingKinds();
        const lines = staging.flatMap((k) => {
          const staged = (r as Record<string, unknown>)[k.key];
          return staged === undefined ? [] : k.stage.lines(staged as never, r.dir);
        });
        const nouns = staging.flatMap((k) => ('noun' in k.stage ? [k.stage.noun] : []));
        if (lines.length === 0)
          lines.push(
            `nothing to stage: the bundle has no ${nouns.slice(0, -1).join(', ')} or ${nouns.at(-1)} (it holds ${formatCounts(r.counts)})`,
          );
        else lines.unshift(`staged from a bundle of ${formatCounts(r.counts)}:`);
        s.done({ ok: true, ...r }, lines.join('\n'));
      },
    );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** A bad value is commander's InvalidArgumentError, so the message names the option: `option '--concurrency <n>' argument 'x' is invalid. …`. */
function toInt(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}
