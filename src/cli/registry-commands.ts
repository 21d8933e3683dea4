import { writeFileAtomic } from '../core/atomic-write.js';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { ConnectionFlags } from './connection-flags.js';
import { registerLoginCommands } from './login-commands.js';
import { type GlobalFlags, openSession } from './output.js';

/** `ferry registry inventory` (what an enclave registry holds, for delta bundles), `login` and `logout`. */
export function registerRegistryCommands(program: Command): void {
  const registry = program.command('registry').description('log in to a registry, or look at what it holds');
  registry
    .command('inventory')
    .description('list repositories, tags and digests (and the blobs they use) for `bundle pull --since`')
    .requiredOption('--registry <host[:port][/prefix]>', 'the registry (and prefix) to list')
    .requiredOption('-o, --output <file>', 'inventory file to write (JSON)')
    .option('--username <user>', 'registry user (password from --password-stdin)')
    .option('--password-stdin', 'read the registry password from standard input')
    .addOption(new Option('--ca-file <file>', 'trust this CA bundle (PEM) for registry TLS'))
    .addOption(new Option('--insecure', 'skip TLS certificate verification'))
    .addOption(new Option('--plain-http', 'talk plain HTTP to the registry'))
    .action(async (o: ConnectionFlags & { registry: string; output: string; username?: string; passwordStdin?: boolean }) => {
      const { takeInventory } = await import('../delta/inventory.js');
      const { parsePushTarget } = await import('../registry/push-target.js');
      const { buildRegistryClient } = await import('./context.js');
      const { connectionFor, loginFrom } = await import('./connection-flags.js');
      const s = openSession(program.opts<GlobalFlags>());
      const target = parsePushTarget(o.registry);
      const connection = connectionFor(target, o);
      const login = await loginFrom(target.registry, o.username, o.passwordStdin);
      const client = buildRegistryClient(connection, s.renderer.sink, undefined, login, s.signal);
      try {
        const inv = await takeInventory(client, target, s.renderer.sink);
        const path = resolve(o.output);
        await writeFileAtomic(path, `${JSON.stringify(inv, null, 2)}\n`);
        const tags = inv.repositories.reduce((n, r) => n + Object.keys(r.tags).length, 0);
        s.done(
          { ok: true, output: path, repositories: inv.repositories.length, tags, blobs: inv.blobs.length },
          `wrote ${path}: ${inv.repositories.length} repositories, ${tags} tags, ${inv.blobs.length} blobs`,
        );
      } finally {
        await client.close();
      }
    });
  registerLoginCommands(registry, program);
}
